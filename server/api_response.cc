#include "server/api_response.h"

#include "net/http_status.h"

namespace accord::server {

using nlohmann::json;

HttpResponse JsonResponse(int status, const json& body) {
  HttpResponse response;
  response.status = status;
  response.content_type = "application/json";
  // Messages quote the request's path and ids, which may be any bytes:
  // invalid UTF-8 becomes U+FFFD instead of dump() throwing (a 500).
  response.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  response.headers.push_back({"Cache-Control", "no-store"});
  return response;
}

HttpResponse ErrorResponse(int status, const std::string& message) {
  return JsonResponse(status, {{"error", message}});
}

HttpResponse ErrorResponse(const Status& status) {
  return ErrorResponse(net::HttpStatusFor(status.code()), status.message());
}

size_t ParseSize(const std::map<std::string, std::string>& query, const std::string& key,
                 size_t fallback, size_t max) {
  auto it = query.find(key);
  if (it == query.end() || it->second.empty()) return fallback;
  try {
    size_t value = std::stoul(it->second);
    return std::min(value, max);
  } catch (...) {
    return fallback;
  }
}

}  // namespace accord::server
