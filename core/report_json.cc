#include "core/report_json.h"

#include <algorithm>
#include <ctime>

#include "core/search_text.h"

namespace accord {

using nlohmann::json;

std::string LocalToday(const Store& store) {
  std::time_t now = static_cast<std::time_t>(store.NowMs() / 1000);
  std::tm local{};
  localtime_r(&now, &local);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &local);
  return buf;
}

// ---- Follow-up of action items.

json ActionReviewJson(const ActionReview& r) {
  return {{"meeting", r.meeting_id},          {"meeting_date", r.meeting_date},
          {"meeting_label", r.meeting_label}, {"record", r.record_id},
          {"record_type", r.record_type},     {"number", r.number}};
}

json ActionJson(const ActionRow& a) {
  json reviews = json::array();
  for (const ActionReview& r : a.reviews) reviews.push_back(ActionReviewJson(r));
  return {{"id", a.id},
          {"meeting", a.meeting_id},
          {"meeting_date", a.meeting_date},
          {"meeting_label", a.meeting_label},
          {"number", a.number},
          {"action", a.action},
          {"responsible_party", a.responsible_party},
          {"activity", a.activity.empty() ? json(nullptr) : json(a.activity)},
          {"status", a.status.empty() ? json(nullptr) : json(a.status)},
          {"due",
           {{"text", a.due.text},
            {"date", a.due.date ? json(*a.due.date) : json(nullptr)},
            {"precision", DuePrecisionName(a.due.precision)},
            {"basis", a.due.basis}}},
          {"open", a.open},
          {"overdue", a.overdue},
          {"last_reviewed", a.last_reviewed ? ActionReviewJson(*a.last_reviewed) : json(nullptr)},
          {"reviews", reviews},
          {"fields_in_conflict", a.fields_in_conflict}};
}

json ActionReportJson(const std::vector<ActionRow>& rows, const std::string& today) {
  json items = json::array();
  for (const ActionRow& a : rows) items.push_back(ActionJson(a));
  return {{"today", today}, {"action_items", items}};
}

// ---- Signatures.

Result<PlanSignatures> CheckPlanSignatures(Store& store, const std::string& plan_id) {
  PlanSignatures signatures;
  auto checks = CheckSignatures(store, plan_id);
  if (!checks.ok()) return checks.status();
  signatures.checks = std::move(checks).value();
  for (const SignatureCheck& check : signatures.checks) {
    for (const Amendment& a : check.amended) signatures.amended.insert(a.id);
  }
  return signatures;
}

std::string SignatureField(const SignatureCheck& check, const char* name) {
  const auto* value = check.signature.Value(name);
  return value && *value ? **value : "";
}

json SignatureChecksJson(const std::vector<SignatureCheck>& checks) {
  json out = json::array();
  for (const SignatureCheck& check : checks) {
    json amended = json::array();
    for (const Amendment& a : check.amended) {
      amended.push_back(
          {{"kind", std::string(AmendmentWord(a.kind))}, {"type", a.type}, {"id", a.id}});
    }
    out.push_back({{"id", check.signature.id},
                   {"signatory", SignatureField(check, "signatory")},
                   {"signed_on", SignatureField(check, "signed_on")},
                   {"intact", check.intact()},
                   {"amended", amended}});
  }
  return out;
}

// ---- Progress of a plan per party.

json AssessmentJson(const PartyAssessment& p) {
  return {{"id", p.id},
          {"party", p.party},
          {"period", p.period},
          {"status", p.status},
          {"narrative", p.narrative},
          {"assessed_on", p.assessed_on.empty() ? json(nullptr) : json(p.assessed_on)},
          {"recorded_by", p.recorded_by},
          {"recorder_party", p.recorder_party ? json(*p.recorder_party) : json(nullptr)},
          {"assessments_by_party", p.assessments_by_party}};
}

namespace {

json ActivityProgressJson(const ActivityProgress& a, const PlanSignatures& signatures) {
  json targets = json::array();
  for (const YearTarget& t : a.targets) {
    targets.push_back(
        {{"year", t.year.empty() ? json(nullptr) : json(t.year)}, {"target", t.target}});
  }
  json assessments = json::array();
  for (const PartyAssessment& p : a.latest) assessments.push_back(AssessmentJson(p));
  return {{"id", a.id},
          {"number", a.number},
          {"description", a.description},
          {"responsible_agency", a.responsible_agency},
          {"timeframe", a.timeframe},
          {"total_target", a.total_target},
          {"targets", targets},
          {"shared_progress_status", a.shared_status},
          {"shared_progress_note", a.shared_note},
          {"assessments", assessments},
          {"fields_in_conflict", a.fields_in_conflict},
          {"amended_since_signing", signatures.amended.count(a.id) > 0}};
}

}  // namespace

json PlanReportJson(const PlanReport& plan, const PlanSignatures& signatures) {
  json objectives = json::array();
  for (const ObjectiveProgress& o : plan.objectives) {
    json activities = json::array();
    for (const ActivityProgress& a : o.activities) {
      activities.push_back(ActivityProgressJson(a, signatures));
    }
    objectives.push_back(
        {{"id", o.id}, {"number", o.number}, {"text", o.text}, {"activities", activities}});
  }
  return {{"plan",
           {{"id", plan.id},
            {"title", plan.title},
            {"parties", plan.parties},
            {"period_start", plan.period_start},
            {"period_end", plan.period_end},
            {"status", plan.status}}},
          {"signatures", SignatureChecksJson(signatures.checks)},
          {"assessing_parties", plan.assessing_parties},
          {"objectives", objectives}};
}

// ---- Search.

json SearchResultsJson(const std::string& query, const SearchResults& found) {
  json hits = json::array();
  for (const SearchHit& hit : found.hits) {
    // The words as the value has them, which the snippet shows in [brackets]
    // (line breaks as spaces): a page marks them without guessing which
    // brackets are the value's own.
    std::string match =
        hit.value.substr(std::min(hit.match.first_byte, hit.value.size()), hit.match.first_length);
    for (char& c : match) c = c == '\n' || c == '\r' || c == '\t' ? ' ' : c;
    hits.push_back({{"record_id", hit.record_id},
                    {"type", hit.type},
                    {"label", hit.label},
                    {"field", hit.field},
                    {"snippet", SearchSnippet(hit.value, hit.match)},
                    {"match", match},
                    {"score", hit.match.score},
                    {"personal", hit.personal}});
  }
  return {{"query", query},
          {"hits", hits},
          {"matched", found.matched},
          {"personal_locked", found.personal_locked},
          {"personal_withheld", found.personal_withheld},
          {"index_behind", found.index_behind}};
}

}  // namespace accord
