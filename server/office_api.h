// The office's page's read-only API (issue 13.6), beside the conflict review
// (review_api.h), on the same loopback listener and under the same checks
// (ui_routes.h: loopback, Host, same origin). Every answer is built by the
// functions the CLI prints with (core/reports.h, core/report_json.h,
// Store::Search, Store::History), so the page shows what `accord` says.
//   GET /api/actions?open=1&overdue=1&meeting=&party=&today=
//                               `accord report actions --json`
//   GET /api/plans              the plans held: [{id, label, title, status}]
//   GET /api/plan?id=PLAN       `accord report plan PLAN --json`
//   GET /api/search?q=&type=&limit=
//                               `accord search --json`
//   GET /api/record?id=ID       the record, who wrote each value, its
//                               history, signatures (amended or intact),
//                               sharing, and its references in and out
// Personal data is read only where `accord get` and `accord search` read it:
// on a locked node a case is refused with the store's message, and search
// says personal data was not searched. On a node with users, only a reader
// signed in with an active account reads it.
#pragma once

#include <optional>

#include "core/store.h"
#include "server/https_server.h"

namespace accord::server {

// The answer to `request` if it is one of the endpoints above, else nullopt.
// `may_read_personal`: false for a reader not signed in on a node with users;
// cases and what hangs off them are then withheld (401 for the record, left
// out of search and of references, which say so).
std::optional<HttpResponse> HandleOfficeRequest(Store& store, const HttpRequest& request,
                                                bool may_read_personal);

}  // namespace accord::server
