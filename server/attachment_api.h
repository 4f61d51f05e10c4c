// Attachments on the office's page (docs/attachments.md), for the page's
// routes to call (server/review_api.cc):
//   GET /api/records/ID/attachments   a record's attachments, each with "held"
//   GET /api/attachments/ID/file      a held file's bytes, as a download
#pragma once

#include <nlohmann/json.hpp>
#include <optional>

#include "core/store.h"
#include "server/https_server.h"

namespace accord::server {

// One attachment as the page shows it (name, media type, size, caption,
// whether the file is held here, and where to download it).
nlohmann::json AttachmentJson(const AttachmentInfo& attachment);

// The response when `request` is one of the routes above; nullopt otherwise.
// `may_read_personal` as for HandleOfficeRequest (server/office_api.h): a
// case's files are withheld from a reader not signed in on a node with users.
std::optional<HttpResponse> HandleAttachmentRequest(Store& store, const HttpRequest& request,
                                                    bool may_read_personal);

}  // namespace accord::server
