// The connection governor: owns the public ports and puts limits in front of
// cpprestsdk's listener, which has none (no handshake, head or body
// timeouts, no connection caps, no body limit; see STACK.md). A few thousand
// connections that each sent a byte now and then used to freeze a server.
//
// Design: the governor terminates TLS itself and forwards each request to
// cpprestsdk over kept-alive plain HTTP on 127.0.0.1.
//   client --mutual TLS--> governor --HTTP/1.1, loopback--> cpprestsdk
// Why terminate rather than relay TLS bytes: only the party that holds the
// TLS session can see a request's head, so only it can bound head and body
// sizes and times per request, answer 413/503/504 itself and count requests
// in flight. It also learns which certificate each connection presented,
// which cpprestsdk cannot tell a handler (microsoft/cpprestsdk#1515): the
// governor passes the certificate's CN on, so a signed request can be tied
// to the connection it came on. The cost is one loopback hop per request
// (measured with bench/https_sync_bench). docs/security.md lists the limits.
//
// The hop is authenticated (server/internal_hop.h), so a local process that
// connects straight to the internal ports gets nothing. TLS is configured by
// ServerTls::Configure with the same TlsPolicy as before: mutual TLS, the
// deployment CA as the only anchor, revocation, handshake-failure counting.
//
// Threads: the governor's I/O runs on its own `governor_threads` threads,
// one io_context each; a connection stays on one of them. It never waits on
// a handler: it only waits on sockets, each wait bounded by a limit.
// Memory per connection is bounded: until its ClientHello is whole, only
// the bytes received (a stranger trickling bytes costs ~2 KB, not the
// ~100 KB of TLS state); then TLS state, a head buffer of at most
// max_head_bytes, and one 64 KiB relay buffer while a request is in flight.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "server/connection_limits.h"

namespace accord::server {

class ServerTls;
class TlsPolicy;

// One public port and the cpprestsdk listener it forwards to.
struct FrontSettings {
  std::string name;  // for the log: "sync", "review page"
  std::string listen_host = "127.0.0.1";
  int port = 0;
  bool tls = false;       // mutual TLS terminated by the governor
  int upstream_port = 0;  // cpprestsdk's plain listener on 127.0.0.1
  size_t max_body_bytes = 0;
  std::string too_large_message;  // the text of the 413
  size_t max_connections = 0;
  size_t max_connections_per_address = 0;
  size_t max_requests_in_flight = 0;
  // Of those, per client certificate (TLS fronts); 0: no such cap.
  size_t max_requests_in_flight_per_node = 0;
  // At max_connections, which connection gives way to a new one: false =
  // only one still in its TLS handshake; true = the oldest with no request
  // in flight (for the review page, where every client is this machine).
  bool evict_idle = false;
};

// Since Start; read at any time.
struct GovernorCounters {
  uint64_t refused_connections = 0;  // over a connection cap
  uint64_t evicted_connections = 0;  // closed to make room at the cap
  uint64_t timeouts = 0;             // handshake, head, body or stalled reply
  uint64_t handler_timeouts = 0;     // 504s
  uint64_t too_large = 0;            // 413s
  uint64_t busy = 0;                 // 503s for too many requests in flight
};

class ConnectionGovernor {
 public:
  // Listens on every front's port. `tls` and `policy` are used by fronts
  // with tls set and must outlive the governor. Fails with kUnavailable
  // naming the address when a port cannot be bound.
  static Result<std::unique_ptr<ConnectionGovernor>> Start(std::vector<FrontSettings> fronts,
                                                           const ConnectionLimits& limits,
                                                           const ServerTls* tls, TlsPolicy* policy,
                                                           std::string hop_secret);
  ~ConnectionGovernor();  // Stop(0)

  ConnectionGovernor(const ConnectionGovernor&) = delete;
  ConnectionGovernor& operator=(const ConnectionGovernor&) = delete;

  // Closes the ports and every connection with no request in flight at
  // once; lets requests in flight finish for up to `grace` (later requests
  // on their connections get 503); then closes everything and joins the
  // threads. Returns within grace plus a few seconds whatever clients do.
  // Idempotent.
  void Stop(std::chrono::milliseconds grace);

  GovernorCounters counters() const;

 private:
  class Impl;
  explicit ConnectionGovernor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace accord::server
