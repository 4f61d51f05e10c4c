// The HTTP/1.1 heads the connection governor writes: a client's request as
// forwarded to cpprestsdk, cpprestsdk's reply as relayed to the client, and
// the governor's own short replies (413, 431, 503, ...). Parsing is Beast's;
// this file only decides which headers cross the hop.
//
// Hop-by-hop headers (RFC 9110 7.6.1: Connection and the fields it names,
// Keep-Alive, TE, Trailer, Transfer-Encoding, Upgrade, Proxy-Connection)
// never cross: each side of the governor has its own connection. Expect is
// answered by the governor. Internal headers (server/internal_hop.h) sent by
// a client are dropped, so a client cannot pose as the governor.
#pragma once

#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace accord::server {

// What only the governor can say about a request.
struct HopIdentity {
  std::string_view secret;  // the internal hop's secret
  std::string_view peer;    // the client's IP address
  std::string_view node;    // CN of the client's certificate; empty on plain HTTP
};

// Request line (always HTTP/1.1: the hop is kept alive whatever the client
// speaks), the end-to-end headers, Content-Length when there is a body, then
// the internal headers.
std::string ForwardedRequestHead(const boost::beast::http::request_header<>& head,
                                 uint64_t content_length, const HopIdentity& who);

// How a relayed reply's body is delimited towards the client.
enum class ResponseFraming {
  kNone,        // no body (HEAD, 204, 304): headers as received
  kLength,      // Content-Length, copied
  kChunked,     // re-chunked by the governor
  kUntilClose,  // the body ends when the connection does
};

std::string ClientResponseHead(const boost::beast::http::response_header<>& head,
                               ResponseFraming framing, bool close);

using ExtraHeaders = std::vector<std::pair<std::string, std::string>>;

// A complete text/plain reply.
std::string PlainResponse(int status, std::string_view text, bool close,
                          const ExtraHeaders& extra = {});

}  // namespace accord::server
