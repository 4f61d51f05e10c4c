// The seam between the sync engine and the network: the engine hands a request
// body to a transport and gets the reply body back. HTTPS (client/, server/) is one
// transport; tests use an in-process one that can drop, cut or repeat calls.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace accord::sync {

// Operations a peer endpoint serves (over HTTPS: net/request_signing.h).
inline constexpr std::string_view kOpHello = "hello";
inline constexpr std::string_view kOpPull = "pull";
inline constexpr std::string_view kOpPush = "push";
// Attachments' files (docs/attachments.md), after the pages of records.
inline constexpr std::string_view kOpFile = "file";
inline constexpr std::string_view kOpFileOffer = "file-offer";
inline constexpr std::string_view kOpFilePush = "file-push";

class Transport {
 public:
  virtual ~Transport() = default;
  // Sends `request` (an encoded frame, see wire_codec.h) to operation `op` and
  // returns the peer's reply frame. A reply that is an ErrorReply is still
  // returned as bytes: the engine decodes it. Transport failures are kUnavailable.
  // A sync calls it from a thread of its own while it applies the previous
  // page (never two calls at once): an implementation must not use the
  // syncing node's Store.
  virtual Result<std::string> RoundTrip(std::string_view op, const std::string& request) = 0;
  // The node the transport itself authenticated the peer as (over HTTPS, the
  // name in the server's certificate, pinned at the first handshake), or ""
  // when it authenticates none (in-process transports). A sync refuses a
  // reply that names any other node: the node id in a frame is the peer's
  // say-so, the certificate is proof.
  virtual std::string AuthenticatedPeer() const { return ""; }
};

// What a server-side handler answers: a frame (maybe an ErrorReply) and the
// kind of failure it carries, which a transport maps to its own status codes.
struct ServiceReply {
  Code code = Code::kOk;
  std::string body;
};

}  // namespace accord::sync
