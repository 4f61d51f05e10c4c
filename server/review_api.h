// The office's page (conflict review, follow-up, plan progress, search, a
// record and its history) and its JSON API, for a node's own staff: served
// on a loopback-only listener, no internet needed (the page ships in the
// binary). The read-only views' endpoints are in office_api.h.
//   GET  /                                   the page
//   GET  /api/status                         node id, open conflicts
//   GET  /api/conflicts?type=&offset=&limit= open conflicts (with details), paged
//   GET  /api/conflicts/ID                   one conflict
//   POST /api/conflicts/ID/resolve           {"take": NODE} | {"value": TEXT} [+ "by"]
//   GET  /api/session                        {"users": bool, "user": NAME|null}
//   POST /api/login                          {"name", "password"} -> session cookie
//   POST /api/logout
//   GET  /api/records/ID/attachments         server/attachment_api.h
//   GET  /api/attachments/ID/file
// On a node with users (docs/users.md) a resolution needs a signed-in user,
// who becomes its author; "by" is only read on a node without users.
#pragma once

#include <vector>

#include "server/https_server.h"
#include "server/review_sessions.h"
#include "server/store_pool.h"

namespace accord::server {

// Answers one review request; exposed so tests can call it without a socket.
HttpResponse HandleReviewRequest(StorePool& stores, ReviewSessions& sessions,
                                 const HttpRequest& request);

// The page's and its API's routes, for ServerOptions::ui_routes. `stores`
// must outlive the server; sign-ins live as long as the routes.
std::vector<UiRoute> ReviewRoutes(StorePool& stores);

// The page itself (HTML, CSS and script in one document).
const char* ReviewPageHtml();
// Its Content-Security-Policy: the page's own inline style and script, by
// SHA-256, and requests to this node only.
const char* ReviewPageCsp();

}  // namespace accord::server
