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

// The HTTP status that carries a failure of this kind to a peer.
inline int HttpStatusFor(Code code) {
  switch (code) {
    case Code::kInvalidArgument:
    case Code::kCorruption:
      return 400;
    case Code::kPermissionDenied:
      return 403;
    case Code::kNotFound:
      return 404;
    case Code::kFailedPrecondition:
      return 409;
    case Code::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

// What a server-side handler answers: an HTTP-like status and a frame.
struct ServiceReply {
  int http_status = 200;
  std::string body;
};

}  // namespace accord::sync
