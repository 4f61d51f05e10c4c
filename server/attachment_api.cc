#include "server/attachment_api.h"

#include <nlohmann/json.hpp>

#include "net/http_status.h"
#include "server/api_response.h"

namespace accord::server {

namespace {

using nlohmann::json;

// RFC 5987: a UTF-8 file name (Khmer, Thai) in Content-Disposition.
std::string PercentEncoded(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '.' || c == '-' || c == '_') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

// The part of `path` between `prefix` and `suffix`, if it has that shape
// and holds no '/'.
std::optional<std::string> Between(const std::string& path, const std::string& prefix,
                                   const std::string& suffix) {
  if (path.size() <= prefix.size() + suffix.size() || path.rfind(prefix, 0) != 0 ||
      path.compare(path.size() - suffix.size(), suffix.size(), suffix) != 0) {
    return std::nullopt;
  }
  std::string middle = path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
  if (middle.find('/') != std::string::npos) return std::nullopt;
  return middle;
}

}  // namespace

json AttachmentJson(const AttachmentInfo& a) {
  return {{"id", a.id},
          {"type", a.type},
          {"name", a.file_name},
          {"file_name", a.file_name},
          {"media_type", a.media_type},
          {"caption", a.caption},
          {"size", a.size},
          {"sha256", a.sha256},
          {"held", a.held},
          {"partial_bytes", a.partial_bytes},
          {"href", "/api/attachments/" + a.id + "/file"},
          {"download", "/api/attachments/" + a.id + "/file"}};
}

std::optional<HttpResponse> HandleAttachmentRequest(Store& store, const HttpRequest& request,
                                                    bool may_read_personal) {
  if (request.method != "GET") return std::nullopt;
  if (auto record = Between(request.path, "/api/records/", "/attachments")) {
    auto found = store.Attachments(*record);
    if (!found.ok()) return ErrorResponse(found.status());
    json out = json::array();
    size_t withheld = 0;
    for (const AttachmentInfo& a : *found) {
      // A case's files, their names and captions are the case's data.
      if (!may_read_personal && store.IsPersonalType(a.type)) {
        ++withheld;
        continue;
      }
      out.push_back(AttachmentJson(a));
    }
    if (withheld > 0 && out.empty()) {
      return ErrorResponse(401,
                           "these are a case's files: sign in to see them (this office has "
                           "users)");
    }
    return JsonResponse(200, out);
  }
  if (auto id = Between(request.path, "/api/attachments/", "/file")) {
    auto file = store.Attachment(*id);
    if (!file.ok()) return ErrorResponse(file.status());
    if (!may_read_personal && store.IsPersonalType(file->type)) {
      return ErrorResponse(401, "a case's file: sign in to download it (this office has users)");
    }
    if (!file->held) return ErrorResponse(NotFound("the file of " + *id + " is not held here yet"));
    auto bytes = store.ReadWholeAttachment(*file);
    if (!bytes.ok()) return ErrorResponse(bytes.status());
    HttpResponse response;
    // Always a download: a file from another office is never rendered as
    // a page of this one.
    response.content_type = "application/octet-stream";
    response.body = std::move(bytes).value();
    response.headers.push_back(
        {"Content-Disposition", "attachment; filename*=UTF-8''" + PercentEncoded(file->file_name)});
    response.headers.push_back({"X-Content-Type-Options", "nosniff"});
    response.headers.push_back({"Cache-Control", "no-store"});
    return response;
  }
  return std::nullopt;
}

}  // namespace accord::server
