// sync::Transport over HTTPS with libcurl: the client side of
// POST /sync/v1/<op> (server/https_server.h is the other side).
//
// One curl handle per transport keeps one TLS connection alive across a
// sync session (~0.3 ms per small request instead of ~5 ms for a new
// mutual-TLS handshake). Not thread-safe: one transport per session.
//
// Requests are signed for one server node and numbered within the session
// that server's reply to hello opened (request signing v2,
// net/request_signing.h). If the server has forgotten the session (it
// restarted, or the session idled out), the transport says the engine's last
// hello again by itself (a hello changes nothing at the server) and retries
// the request once, so the engine sees no difference.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "sync/identity.h"
#include "sync/transport.h"
#include "sync/wire_limits.h"

namespace accord::client {

struct HttpsTransportOptions {
  std::string base_url = "https://127.0.0.1:8443";
  std::string ca_path;  // the deployment CA: the only certificate authority trusted
  std::string cert_path;
  std::string key_path;
  // The node id the server's certificate must name. Node certificates carry
  // no host names, so this (not the URL's host) identifies the server; empty
  // accepts any node of the deployment: then the first TLS handshake (made
  // before the first request, to learn whom to sign it for) pins the node
  // its certificate names for the rest of this transport's life.
  std::string expected_server_node;
  // Attempts per RoundTrip, counting the first. Transient failures
  // (connection refused/reset, timeouts, HTTP 502/503/504) are retried after
  // first_backoff, doubling up to max_backoff (a server's Retry-After, if
  // longer, wins up to max_backoff).
  int max_attempts = 5;
  std::chrono::milliseconds first_backoff{200};
  std::chrono::milliseconds max_backoff{5000};
  std::chrono::milliseconds connect_timeout{10000};
  // Abort a transfer that moved less than 1 byte/s for this long (a dead
  // link mid-upload, or a server stuck in a handler).
  std::chrono::seconds stall_timeout{60};
  // A reply body longer than this is cut off and refused (kCorruption, not
  // retried). A sync frame never exceeds kMaxFrameBytes decompressed, and an
  // engine's page stops at 8 MiB of states.
  size_t max_reply_bytes = sync::kMaxFrameBytes;
  // Proxy URL; empty means none, whatever http(s)_proxy says.
  std::string proxy;
  // Seams for tests: null means std::this_thread::sleep_for and the system
  // clock (ms since the Unix epoch). The clock only serves to measure how far
  // it is from the server's (clock_skew_ms); nothing is refused for it.
  std::function<void(std::chrono::milliseconds)> sleep;
  std::function<int64_t()> clock_ms;
  // Sees each request as it is sent (path, "Name: value" headers, body), so
  // a test can replay one byte for byte as an eavesdropper would. Null:
  // nothing.
  std::function<void(const std::string& path, const std::vector<std::string>& headers,
                     const std::string& body)>
      on_send;
};

class HttpsTransport : public sync::Transport {
 public:
  // Loads the certificate and key (checking they match); does not connect.
  static Result<std::unique_ptr<HttpsTransport>> Create(HttpsTransportOptions options);
  ~HttpsTransport() override;
  HttpsTransport(const HttpsTransport&) = delete;
  HttpsTransport& operator=(const HttpsTransport&) = delete;

  // Errors: kUnavailable (network, after retries), kPermissionDenied (401/403
  // or a TLS refusal either way; a request other than hello before any hello
  // opened a session), kInvalidArgument (413 and other 4xx with
  // a text body; our own certificate files unusable), kNotFound (404),
  // kInternal (500). A reply in application/x-protobuf is returned as bytes
  // whatever its status (it is a frame, maybe an ErrorReply, for the engine)
  // unless it is a retryable 5xx.
  Result<std::string> RoundTrip(std::string_view op, const std::string& request) override;

  const std::string& node_id() const;
  // The server node requests are signed for: expected_server_node, or the
  // node the server's certificate named at the first handshake ("" before).
  const std::string& server_node() const;
  std::string AuthenticatedPeer() const override { return server_node(); }
  // The server's clock minus this node's, from the last reply that carried
  // the server's time, taken at the middle of the round trip. Positive: this
  // node's clock is behind. nullopt until such a reply arrived.
  std::optional<int64_t> clock_skew_ms() const;
  // Hellos the transport said again by itself because the server had
  // forgotten the session.
  uint64_t rehellos() const;
  // Body bytes actually sent and received, all attempts included.
  uint64_t bytes_sent() const;
  uint64_t bytes_received() const;
  // HTTP attempts made, all RoundTrips included (retries = attempts - calls).
  uint64_t attempts() const;
  // What the server showed when it refused this node as revoked (a 403
  // with X-Accord-Refusal: certificate-revoked): its body, claimed to be the
  // deployment CA's signed revocation list. "" when no server did. Only a
  // claim: sync::VerifyOwnRevocation decides whether to believe it.
  const std::string& revocation_statement() const;

 private:
  struct Impl;
  explicit HttpsTransport(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace accord::client
