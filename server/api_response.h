// JSON answers of the staff page's API (review_api.cc, office_api.cc): one
// shape for every endpoint, errors as {"error": MESSAGE} with the HTTP status
// net::HttpStatusFor gives the failure. Defined in review_api.cc.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "core/status.h"
#include "server/https_server.h"

namespace accord::server {

// `body` as JSON, not cached by the browser (the node changes under it).
// Invalid UTF-8 in it (a path quoted in a message) becomes U+FFFD.
HttpResponse JsonResponse(int status, const nlohmann::json& body);
HttpResponse ErrorResponse(int status, const std::string& message);
HttpResponse ErrorResponse(const Status& status);

// The number in query[key], at most `max`; `fallback` when absent or not a number.
size_t ParseSize(const std::map<std::string, std::string>& query, const std::string& key,
                 size_t fallback, size_t max);

}  // namespace accord::server
