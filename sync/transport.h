// The seam between the sync engine and the network: the engine hands a request
// body to a transport and gets the reply body back. HTTPS (client/) is one
// transport; tests use an in-process one that can drop, cut or repeat calls.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace accord::sync {

// Operations a peer endpoint serves; each maps to POST /sync/v1/<name>.
inline constexpr std::string_view kOpHello = "hello";
inline constexpr std::string_view kOpPull = "pull";
inline constexpr std::string_view kOpPush = "push";

class Transport {
 public:
  virtual ~Transport() = default;
  // Sends `request` (an encoded frame, see wire_codec.h) to operation `op` and
  // returns the peer's reply frame. A reply that is an ErrorReply is still
  // returned as bytes: the engine decodes it. Transport failures are kUnavailable.
  virtual Result<std::string> RoundTrip(std::string_view op, const std::string& request) = 0;
};

// What a server-side handler answers: an HTTP-like status and a frame.
struct ServiceReply {
  int http_status = 200;
  std::string body;
};

}  // namespace accord::sync
