// What the connection governor (connection_governor.h) allows each client
// before it gives up on it. cpprestsdk's listener has none of these: a few
// thousand connections that each send a byte now and then used to exhaust
// its file descriptors and memory. docs/security.md ("Server limits") lists
// them with what each one protects against; keep the two in step.
#pragma once

#include <chrono>
#include <cstddef>

namespace accord::server {

struct ConnectionLimits {
  // A TLS handshake (nodes' port) must finish within this, from accept.
  std::chrono::milliseconds handshake_timeout = std::chrono::seconds(10);
  // A request head must arrive whole within this, counted from its first
  // byte; a connection's first head, from the end of the TLS handshake (or
  // from accept on plain HTTP).
  std::chrono::milliseconds head_timeout = std::chrono::seconds(10);
  size_t max_head_bytes = size_t{16} << 10;  // request line + headers; over it: 431
  // A kept-alive connection with no request started is closed after this.
  std::chrono::milliseconds idle_timeout = std::chrono::seconds(60);
  // While a body moves (either way), no progress for this long closes the
  // connection; once this long has passed, a request body must also average
  // at least min_body_bytes_per_second (408 otherwise).
  std::chrono::milliseconds body_timeout = std::chrono::seconds(10);
  size_t min_body_bytes_per_second = 1024;
  // From the last byte of the request to the first byte of the reply: past
  // it the client gets 504 and the connection is closed.
  std::chrono::milliseconds handler_timeout = std::chrono::minutes(5);

  // Nodes' port. At max_connections a new connection closes the oldest one
  // still in its TLS handshake (a stranger's), or is refused if there is
  // none; past max_connections_per_address it is refused at once.
  size_t max_connections = 1000;
  size_t max_connections_per_address = 32;
  // Requests forwarded to the sync handler at once; beyond it: 503 with
  // Retry-After.
  size_t max_requests_in_flight = 32;
  // Of those, what one node (one certificate) may hold at once, so that a
  // certificate holder sending slow bodies cannot take every slot; an honest
  // sync has one request in flight. Beyond it: 503 with Retry-After.
  size_t max_requests_in_flight_per_node = 8;

  // Review page port (loopback only, so one address): at the cap a new
  // connection closes the oldest one with no request in flight.
  size_t ui_max_connections = 64;
  size_t ui_max_requests_in_flight = 8;

  // The governor's own threads (TLS, parsing, relaying); never the handler's.
  int governor_threads = 2;
};

}  // namespace accord::server
