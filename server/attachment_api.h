// Attachments on the office's page (docs/attachments.md), for the page's
// routes to call (server/review_api.cc):
//   GET /api/records/ID/attachments   a record's attachments, each with "held"
//   GET /api/attachments/ID/file      a held file's bytes, as a download
#pragma once

#include <optional>

#include "core/store.h"
#include "server/https_server.h"

namespace accord::server {

// The response when `request` is one of the routes above; nullopt otherwise.
std::optional<HttpResponse> HandleAttachmentRequest(Store& store, const HttpRequest& request);

}  // namespace accord::server
