#include "server/http_head.h"

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <boost/beast/http/status.hpp>

#include "server/internal_hop.h"

namespace accord::server {
namespace {

namespace http = boost::beast::http;
using boost::beast::iequals;

// Boost 1.74's Beast speaks boost::string_view.
std::string_view Std(boost::beast::string_view v) {
  return {v.data(), v.size()};
}
boost::beast::string_view Boost(std::string_view v) {
  return {v.data(), v.size()};
}

// Whether `name` is hop-by-hop, given the message's Connection header.
bool IsHopByHop(std::string_view name, std::string_view connection) {
  static constexpr std::string_view kAlways[] = {"connection", "keep-alive", "proxy-connection",
                                                 "te",         "trailer",    "transfer-encoding",
                                                 "upgrade"};
  for (std::string_view h : kAlways) {
    if (iequals(Boost(name), Boost(h))) return true;
  }
  for (auto token : http::token_list(Boost(connection))) {
    if (iequals(Boost(name), token)) return true;
  }
  return false;
}

template <bool isRequest>
std::string_view ConnectionValue(const http::header<isRequest>& head) {
  auto it = head.find(http::field::connection);
  return it == head.end() ? std::string_view() : Std(it->value());
}

void AppendField(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out += ": ";
  out.append(value);
  out += "\r\n";
}

}  // namespace

std::string ForwardedRequestHead(const http::request_header<>& head, uint64_t content_length,
                                 const HopIdentity& who) {
  std::string out;
  out.reserve(512);
  out.append(Std(head.method_string()));
  out += ' ';
  out.append(Std(head.target()));
  out += " HTTP/1.1\r\n";
  std::string_view connection = ConnectionValue(head);
  for (const auto& f : head) {
    std::string_view name = Std(f.name_string());
    if (IsHopByHop(name, connection) || IsHopHeader(name) || iequals(f.name_string(), "expect") ||
        iequals(f.name_string(), "content-length")) {
      continue;
    }
    AppendField(out, name, Std(f.value()));
  }
  if (content_length > 0) AppendField(out, "Content-Length", std::to_string(content_length));
  AppendField(out, kHopSecretHeader, who.secret);
  AppendField(out, kHopPeerHeader, who.peer);
  if (!who.node.empty()) AppendField(out, kHopNodeHeader, who.node);
  out += "\r\n";
  return out;
}

std::string ClientResponseHead(const http::response_header<>& head, ResponseFraming framing,
                               bool close) {
  std::string out;
  out.reserve(256);
  out += "HTTP/1.1 ";
  out += std::to_string(head.result_int());
  out += ' ';
  std::string_view reason = Std(head.reason());
  out.append(reason.empty() ? Std(http::obsolete_reason(head.result())) : reason);
  out += "\r\n";
  std::string_view connection = ConnectionValue(head);
  bool keep_length = framing == ResponseFraming::kNone || framing == ResponseFraming::kLength;
  for (const auto& f : head) {
    std::string_view name = Std(f.name_string());
    if (IsHopByHop(name, connection) || IsHopHeader(name)) continue;
    if (!keep_length && iequals(f.name_string(), "content-length")) continue;
    AppendField(out, name, Std(f.value()));
  }
  if (framing == ResponseFraming::kChunked) AppendField(out, "Transfer-Encoding", "chunked");
  if (close) AppendField(out, "Connection", "close");
  out += "\r\n";
  return out;
}

std::string PlainResponse(int status, std::string_view text, bool close,
                          const ExtraHeaders& extra) {
  std::string out = "HTTP/1.1 " + std::to_string(status) + " ";
  out.append(Std(http::obsolete_reason(http::int_to_status(static_cast<unsigned>(status)))));
  out += "\r\n";
  AppendField(out, "Content-Type", "text/plain; charset=utf-8");
  AppendField(out, "Content-Length", std::to_string(text.size()));
  for (const auto& [name, value] : extra) AppendField(out, name, value);
  if (close) AppendField(out, "Connection", "close");
  out += "\r\n";
  out.append(text);
  return out;
}

}  // namespace accord::server
