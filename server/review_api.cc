#include "server/review_api.h"

#include <limits>
#include <nlohmann/json.hpp>

#include "core/conflicts.h"
#include "core/json_codec.h"
#include "net/http_status.h"
#include "server/api_response.h"
#include "server/attachment_api.h"
#include "server/office_api.h"

namespace accord::server {

using nlohmann::json;

// ---- server/api_response.h: every answer of the staff page's API. Defined
// here rather than in a file of their own: one more translation unit that
// parses nlohmann/json costs CI seconds in each of its three builds.
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

namespace {

HttpResponse Json(int status, const json& body) {
  return JsonResponse(status, body);
}

HttpResponse Error(int status, const std::string& message) {
  return ErrorResponse(status, message);
}

// Personal data on the page: on a node with users, only for a reader
// signed in with an account that is still active. (Without users the page
// is the office's, as the command line is; docs/security.md.)
Result<bool> MayReadPersonal(Store& store, const std::optional<std::string>& user) {
  ASSIGN_OR_RETURN(bool has_users, store.HasUsers());
  if (!has_users) return true;
  if (!user) return false;
  ASSIGN_OR_RETURN(std::optional<User> found, store.FindUser(*user));
  return found && !found->disabled;
}

HttpResponse ListPage(Store& store, const HttpRequest& request, bool may_read_personal) {
  auto query = ParseFormEncoded(request.query);
  std::string type = query.count("type") ? query["type"] : "";
  size_t offset = ParseSize(query, "offset", 0, std::numeric_limits<size_t>::max());
  size_t limit = ParseSize(query, "limit", 50, 500);
  auto page = ListConflictPage(store, {type, offset, limit});
  if (!page.ok()) return Error(net::HttpStatusFor(page.status().code()), page.status().message());
  json conflicts = json::array();
  // Where each record on the page may go, and who holds it: a reviewer sees
  // which offices a resolution will reach.
  json sharing = json::object();
  size_t personal_withheld = 0;
  for (const Conflict& c : page->conflicts) {
    if (!may_read_personal && store.IsPersonalType(c.record_type)) {
      ++personal_withheld;
      continue;
    }
    conflicts.push_back(ConflictJson(c, true));
    if (sharing.contains(c.record_id)) continue;
    auto where = store.SharingOf(c.record_id);
    if (!where.ok())
      return Error(net::HttpStatusFor(where.status().code()), where.status().message());
    sharing[c.record_id] = RecordSharingJson(*where);
  }
  return Json(200, {{"node_id", store.node_id()},
                    {"total", page->total},
                    {"offset", std::min<uint64_t>(offset, page->total)},
                    {"limit", limit},
                    {"conflicts", conflicts},
                    {"personal_withheld", personal_withheld},
                    {"sharing", sharing}});
}

HttpResponse Resolve(Store& store, const std::string& id, const HttpRequest& request,
                     const std::optional<std::string>& user) {
  json body = json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) return Error(400, "the body must be a JSON object");
  ResolutionChoice choice;
  if (body.contains("take")) {
    if (!body["take"].is_string()) return Error(400, "\"take\" must be a node id string");
    choice.take_node = body["take"].get<std::string>();
  }
  if (body.contains("value")) {
    if (body["value"].is_null()) {
      choice.clear = true;
    } else if (body["value"].is_string()) {
      choice.value = body["value"].get<std::string>();
    } else {
      return Error(400, "\"value\" must be a string or null");
    }
  }
  if (body.contains("by")) {
    if (!body["by"].is_string()) return Error(400, "\"by\" must be a string");
    choice.resolved_by = body["by"].get<std::string>();
  }
  if (choice.resolved_by.empty()) choice.resolved_by = "review page";
  auto has_users = store.HasUsers();
  if (!has_users.ok()) return Error(500, has_users.status().message());
  if (*has_users && !user) {
    return Error(401,
                 "sign in to resolve: this node has users, and every resolution is signed "
                 "with the name of the one who made it");
  }
  // The store is leased from a pool: whoever resolved, the next lease acts
  // as nobody.
  store.ActAs(*has_users ? *user : "");
  auto written = ResolveConflict(store, id, choice);
  store.ActAs("");
  if (!written.ok())
    return Error(net::HttpStatusFor(written.status().code()), written.status().message());
  return Json(200, {{"resolved", id}, {"value", *written ? json(**written) : json(nullptr)}});
}

std::string SessionToken(const HttpRequest& request) {
  auto it = request.headers.find("cookie");
  return it == request.headers.end() ? "" : CookieValue(it->second, kReviewCookie);
}

HttpResponse Login(Store& store, ReviewSessions& sessions, const HttpRequest& request) {
  json body = json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object() || !body.contains("name") ||
      !body["name"].is_string() || !body.contains("password") || !body["password"].is_string()) {
    return Error(400, "sign in with {\"name\": USER, \"password\": PASSWORD}");
  }
  auto user =
      store.Authenticate(body["name"].get<std::string>(), body["password"].get<std::string>());
  if (!user.ok()) return Error(401, user.status().message());
  std::string token = sessions.Open(user->name);
  if (token.empty()) return Error(500, "the system's random generator failed: no session");
  HttpResponse response = Json(200, {{"user", user->name}, {"display_name", user->display_name}});
  response.headers.push_back({"Set-Cookie", std::string(kReviewCookie) + "=" + token +
                                                "; HttpOnly; SameSite=Strict; Path=/; Max-Age=" +
                                                std::to_string(kReviewSessionMs / 1000)});
  return response;
}

HttpResponse SessionInfo(Store& store, const std::optional<std::string>& user) {
  auto has_users = store.HasUsers();
  if (!has_users.ok()) return Error(500, has_users.status().message());
  json out = {{"users", *has_users}, {"user", user ? json(*user) : json(nullptr)}};
  if (user) {
    auto found = store.FindUser(*user);
    if (found.ok() && *found) out["display_name"] = (*found)->display_name;
  }
  return Json(200, out);
}

}  // namespace

HttpResponse HandleReviewRequest(StorePool& stores, ReviewSessions& sessions,
                                 const HttpRequest& request) {
  const std::string& path = request.path;
  if (request.method == "GET" && (path == "/" || path == "/index.html")) {
    HttpResponse page;
    page.content_type = "text/html; charset=utf-8";
    page.body = ReviewPageHtml();
    page.headers.push_back({"Content-Security-Policy", ReviewPageCsp()});
    page.headers.push_back({"X-Content-Type-Options", "nosniff"});
    page.headers.push_back({"Referrer-Policy", "no-referrer"});
    return page;
  }
  if (path.rfind("/api/", 0) != 0) return Error(404, "no such page: " + path);
  auto store = stores.Acquire();
  if (!store.ok()) return Error(500, store.status().message());
  if (request.method == "GET" && path == "/api/status") {
    auto status = (*store)->GetStatus();
    if (!status.ok()) return Error(500, status.status().message());
    return Json(200, NodeStatusJson(*status));
  }
  const std::string token = SessionToken(request);
  const std::optional<std::string> user = sessions.UserOf(token);
  auto may_read_personal = MayReadPersonal(**store, user);
  if (!may_read_personal.ok()) return Error(500, may_read_personal.status().message());
  if (request.method == "GET" && path == "/api/conflicts") {
    return ListPage(**store, request, *may_read_personal);
  }
  if (auto office = HandleOfficeRequest(**store, request, *may_read_personal)) {
    return std::move(*office);
  }
  if (auto attachments = HandleAttachmentRequest(**store, request, *may_read_personal)) {
    return std::move(*attachments);
  }
  if (request.method == "GET" && path == "/api/session") return SessionInfo(**store, user);
  if (request.method == "POST" && path == "/api/login") return Login(**store, sessions, request);
  if (request.method == "POST" && path == "/api/logout") {
    sessions.Close(token);
    HttpResponse response = Json(200, {{"user", nullptr}});
    response.headers.push_back({"Set-Cookie", std::string(kReviewCookie) +
                                                  "=; HttpOnly; SameSite=Strict; Path=/; "
                                                  "Max-Age=0"});
    return response;
  }
  const std::string prefix = "/api/conflicts/";
  if (path.rfind(prefix, 0) == 0) {
    std::string rest = path.substr(prefix.size());
    const std::string resolve_suffix = "/resolve";
    if (request.method == "POST" && rest.size() > resolve_suffix.size() &&
        rest.compare(rest.size() - resolve_suffix.size(), resolve_suffix.size(), resolve_suffix) ==
            0) {
      return Resolve(**store, rest.substr(0, rest.size() - resolve_suffix.size()), request, user);
    }
    if (request.method == "GET" && rest.find('/') == std::string::npos) {
      auto c = GetConflict(**store, rest);
      if (!c.ok()) return Error(net::HttpStatusFor(c.status().code()), c.status().message());
      if (!*may_read_personal && (*store)->IsPersonalType(c->record_type)) {
        return Error(401, "a conflict on a " + c->record_type +
                              " is personal data: sign in to review it (this office has users)");
      }
      auto where = (*store)->SharingOf(c->record_id);
      if (!where.ok())
        return Error(net::HttpStatusFor(where.status().code()), where.status().message());
      json out = ConflictJson(*c, true);
      out["sharing"] = RecordSharingJson(*where);
      return Json(200, out);
    }
    if (request.method != "GET" && request.method != "POST")
      return Error(405, "method not allowed");
  }
  return Error(404, "no such API: " + request.method + " " + path);
}

}  // namespace accord::server
