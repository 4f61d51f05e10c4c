#include "server/ui_routes.h"

#include <cpprest/base_uri.h>

#include <set>

namespace accord::server {

std::map<std::string, std::string> ParseFormEncoded(std::string_view text) {
  std::map<std::string, std::string> out;
  auto decode = [](std::string s) {
    for (char& c : s) c = c == '+' ? ' ' : c;
    try {
      return web::uri::decode(s);
    } catch (const std::exception&) {
      return s;  // malformed escapes: keep the text as sent
    }
  };
  size_t pos = 0;
  while (pos <= text.size() && !text.empty()) {
    size_t amp = text.find('&', pos);
    std::string_view pair = text.substr(pos, amp == std::string_view::npos ? amp : amp - pos);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      std::string key(pair.substr(0, eq));
      std::string value(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
      out[decode(key)] = decode(value);
    }
    if (amp == std::string_view::npos) break;
    pos = amp + 1;
  }
  return out;
}

void RouteTable::Add(std::string method, std::string path_prefix, RouteHandler handler) {
  std::lock_guard<std::mutex> lock(mu_);
  routes_.push_back({std::move(method), std::move(path_prefix), std::move(handler)});
}

Result<RouteHandler> RouteTable::Find(const std::string& method, const std::string& path,
                                      std::string* allowed) const {
  std::lock_guard<std::mutex> lock(mu_);
  const Route* best = nullptr;
  std::set<std::string> others;
  for (const Route& r : routes_) {
    if (path.compare(0, r.prefix.size(), r.prefix) != 0) continue;
    if (r.method != method) {
      others.insert(r.method);
    } else if (best == nullptr || r.prefix.size() > best->prefix.size()) {
      best = &r;
    }
  }
  if (best != nullptr) return best->handler;
  if (others.empty()) return NotFound("no page at " + path);
  allowed->clear();
  for (const std::string& m : others) *allowed += (allowed->empty() ? "" : ", ") + m;
  return FailedPrecondition(method + " is not allowed on " + path + " (allowed: " + *allowed + ")");
}

namespace {

std::string Header(const HttpRequest& request, const std::string& name) {
  auto it = request.headers.find(name);
  return it == request.headers.end() ? "" : it->second;
}

bool IsLoopbackAddress(const std::string& ip) {
  return ip.rfind("127.", 0) == 0 || ip == "::1" || ip.rfind("::ffff:127.", 0) == 0;
}

}  // namespace

Status CheckLocalRequest(const HttpRequest& request, int port) {
  if (!IsLoopbackAddress(request.remote)) {
    return PermissionDenied("the review page only answers this machine");
  }
  const std::string p = std::to_string(port);
  const std::set<std::string> hosts = {"127.0.0.1:" + p, "localhost:" + p, "[::1]:" + p};
  if (hosts.count(Header(request, "host")) == 0) {
    return PermissionDenied("unexpected Host header; open http://127.0.0.1:" + p + "/");
  }
  bool changes_state = request.method != "GET" && request.method != "HEAD";
  if (!changes_state) return Status::Ok();
  std::string origin = Header(request, "origin");
  if (!origin.empty() && hosts.count(origin.substr(origin.rfind("http://", 0) == 0 ? 7 : 0)) == 0) {
    return PermissionDenied("cross-origin request refused");
  }
  if (Header(request, "sec-fetch-site") == "cross-site") {
    return PermissionDenied("cross-site request refused");
  }
  return Status::Ok();
}

}  // namespace accord::server
