// The JSON forms of the secretariat's reports and of search: one definition
// for `accord report … --json`, `accord search --json` and the office's page
// (server/office_api.cc), so the page shows exactly what the CLI prints.
#pragma once

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "core/reports.h"
#include "core/search.h"
#include "core/signed_content.h"
#include "core/store.h"

namespace accord {

// Today on this machine's calendar (the store's clock, local time zone), as
// YYYY-MM-DD: what "overdue" is judged against unless a day is given.
std::string LocalToday(const Store& store);

nlohmann::json ActionReviewJson(const ActionReview& r);
nlohmann::json ActionJson(const ActionRow& a);
// {"today", "action_items": [...]}
nlohmann::json ActionReportJson(const std::vector<ActionRow>& rows, const std::string& today);

// A plan's signatures, and every record amended since any of them: the
// signed plan is the authority, so the report says where it no longer holds.
struct PlanSignatures {
  std::vector<SignatureCheck> checks;
  std::set<std::string> amended;  // record ids
};
Result<PlanSignatures> CheckPlanSignatures(Store& store, const std::string& plan_id);

// A signature field's value, "" when unset.
std::string SignatureField(const SignatureCheck& check, const char* name);
// [{"id", "signatory", "signed_on", "intact", "amended": [{"kind","type","id"}]}]
nlohmann::json SignatureChecksJson(const std::vector<SignatureCheck>& checks);

nlohmann::json AssessmentJson(const PartyAssessment& p);
nlohmann::json PlanReportJson(const PlanReport& plan, const PlanSignatures& signatures);

// {"query", "hits": [{record_id, type, label, field, snippet (the first
// match in [brackets]), match (its words), score, personal}], "matched",
// "personal_locked", "index_behind"}
nlohmann::json SearchResultsJson(const std::string& query, const SearchResults& found);

}  // namespace accord
