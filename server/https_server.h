// The peer endpoint: serves POST /sync/v1/<op> over mutual TLS to nodes of
// this deployment, and optionally staff pages over plain HTTP on loopback.
//
// A narrow seam around cpprestsdk's http_listener: no cpprestsdk or Boost
// header appears here (they cost ~11 s per translation unit), so the library
// can be replaced without touching callers.
//
// The public ports are owned by a connection governor (connection_governor.h)
// that terminates TLS, enforces ServerOptions::limits, and forwards each
// request to cpprestsdk listening on internal loopback ports.
//
// Who is asking: the TLS layer only admits certificates issued by the
// deployment CA. Each sync request is also signed (net/request_signing.h),
// and the signer must be the node whose certificate the connection presented
// (the governor passes its CN on); the handler is given that node id.
//
// When: a signed request names this server and a place in a session the
// server issued (session_table.h), so a replayed request, or one carried to
// another server, is refused (401) before its body is read. A successful
// hello opens a session (X-Accord-Session in the reply). No clock is
// trusted; every reply to a sync request carries this server's time
// (X-Accord-Server-Time) so that a client can tell its user the clock looks
// wrong.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "server/connection_limits.h"
#include "server/session_table.h"
#include "sync/transport.h"

namespace accord::server {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // as sent, percent-encoding intact, without the query
  std::string query;   // after '?', raw
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;
  std::string remote;  // peer IP address
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra, e.g. Cache-Control
};

using RouteHandler = std::function<HttpResponse(const HttpRequest&)>;

// A staff page's route: `method` requests whose path starts with `prefix`.
struct UiRoute {
  std::string method;
  std::string prefix;
  RouteHandler handler;
};

struct ServerOptions {
  std::string listen_host = "127.0.0.1";
  int port = 8443;
  std::string ca_path;    // the deployment CA: the only trust anchor
  std::string cert_path;  // this node's certificate and key
  std::string key_path;
  std::string revoked_path;  // optional; see PeerVerifier::Load
  // Optional: the deployment CA's signed revocation list (PEM CRL). A node
  // it names is shown it, with a 403, on every request (docs/protocol.md,
  // "Revoked nodes"), so that it learns it is revoked.
  std::string crl_path;
  size_t max_body_bytes = size_t{32} << 20;
  // cpprestsdk has one process-wide pool: only the first server started in a
  // process sets its size. Handlers run on it, so it bounds concurrency.
  int threads = 8;
  // Staff pages (AddRoute) on http://127.0.0.1:<ui_port>/, no client
  // certificates; 0 = not served.
  int ui_port = 0;
  size_t ui_max_body_bytes = size_t{1} << 20;
  // The staff pages' routes, in place before either port accepts a
  // connection: a browser (or a service manager's probe) that comes the
  // moment the port opens finds the pages, never a 404. More can be added
  // while serving (AddRoute).
  std::vector<UiRoute> ui_routes;
  // Sessions a hello opens: how many are kept per node and in all, and how
  // long an unused one lives (session_table.h).
  SessionLimits sessions;
  // This server's clock (ms since the Unix epoch), only sent to clients in
  // X-Accord-Server-Time. Null means the system clock; a seam for tests.
  std::function<int64_t()> clock_ms;
  // Stop() lets in-flight requests finish for this long before cutting
  // connections; handlers already running are always awaited.
  std::chrono::milliseconds shutdown_grace = std::chrono::seconds(10);
  // Timeouts and caps per connection and request (connection_limits.h);
  // max_body_bytes and ui_max_body_bytes above are enforced with them.
  ConnectionLimits limits;
};

// Receives a verified request. Runs on the server's pool; may block on the
// store, must not call Stop().
using SyncHandler = std::function<sync::ServiceReply(std::string_view op, std::string_view body,
                                                     const std::string& authenticated_node_id)>;
// JSON for GET /status (both listeners). May be empty: then /status is 404.
using StatusHandler = std::function<std::string()>;

// Decodes "a=1&b=x%20y+z" (a query or a form body) into {a: "1", b: "x y z"}.
std::map<std::string, std::string> ParseFormEncoded(std::string_view text);

class HttpsServer {
 public:
  // Loads the certificates, then listens. Fails with a message naming the
  // file or address at fault. The node id is the CN of cert_path.
  static Result<std::unique_ptr<HttpsServer>> Start(ServerOptions options, SyncHandler sync,
                                                    StatusHandler status);
  ~HttpsServer();  // Stop()s

  HttpsServer(const HttpsServer&) = delete;
  HttpsServer& operator=(const HttpsServer&) = delete;

  // Closes the public ports and every connection with no request in flight,
  // refuses new requests (503), waits up to shutdown_grace for in-flight
  // ones, closes everything, then waits for handlers still running.
  // Idempotent. REQUIRES: not called from a handler (it would wait on itself).
  void Stop();

  // Serves `method` requests whose path starts with `path_prefix` on the UI
  // listener only (never over the nodes' TLS port); the longest prefix wins.
  // May be called while serving.
  void AddRoute(std::string method, std::string path_prefix, RouteHandler handler);

  // Re-reads revoked_path and crl_path so that a revocation applies without a restart,
  // to new connections and to every further request.
  Status ReloadRevocations();

  const std::string& node_id() const;
  int port() const;
  int ui_port() const;

  // Since Start. handshake_failures counts TLS handshakes we or the client
  // aborted (no certificate, another CA, revoked); rejected_auth counts 401s.
  // refused_connections counts connections closed at once over a cap,
  // evicted_connections those closed to make room for a newer one;
  // timeouts, connections closed for a limit of ConnectionLimits (handshake,
  // head, body, reply) or answered 504. sessions() is how many sync sessions
  // are open now (bounded by ServerOptions::sessions).
  uint64_t requests() const;
  uint64_t rejected_auth() const;
  uint64_t rejected_too_large() const;
  uint64_t handshake_failures() const;
  uint64_t refused_connections() const;
  uint64_t evicted_connections() const;
  uint64_t timeouts() const;
  size_t sessions() const;

 private:
  class Impl;  // in https_server.cc, with everything cpprestsdk
  explicit HttpsServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace accord::server
