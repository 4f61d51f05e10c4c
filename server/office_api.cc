#include "server/office_api.h"

#include "core/json_codec.h"
#include "core/record_label.h"
#include "core/report_json.h"
#include "core/reports.h"
#include "core/schema.h"
#include "core/signed_content.h"
#include "server/api_response.h"
#include "server/attachment_api.h"

namespace accord::server {

namespace {

using nlohmann::json;
using Query = std::map<std::string, std::string>;

std::string Param(const Query& query, const std::string& key) {
  auto it = query.find(key);
  return it == query.end() ? "" : it->second;
}

bool Flag(const Query& query, const std::string& key) {
  std::string value = Param(query, key);
  return value == "1" || value == "true" || value == "yes";
}

HttpResponse Actions(Store& store, const Query& query) {
  ActionQuery q;
  q.open_only = Flag(query, "open");
  q.overdue_only = Flag(query, "overdue");
  q.meeting = Param(query, "meeting");
  q.party = Param(query, "party");
  q.today = Param(query, "today");
  if (!q.today.empty() && !IsValidDate(q.today)) {
    return ErrorResponse(400, "today '" + q.today + "' is not a date (YYYY-MM-DD)");
  }
  if (q.today.empty()) q.today = LocalToday(store);
  auto rows = ReportActions(store, q);
  if (!rows.ok()) return ErrorResponse(rows.status());
  return JsonResponse(200, ActionReportJson(*rows, q.today));
}

HttpResponse Plans(Store& store) {
  auto plans = store.List("plan");
  if (!plans.ok()) return ErrorResponse(plans.status());
  json out = json::array();
  for (const RecordView& plan : *plans) {
    if (plan.deleted) continue;
    const auto* title = plan.Value("title");
    const auto* status = plan.Value("status");
    out.push_back({{"id", plan.id},
                   {"label", RecordLabel(plan)},
                   {"title", title && *title ? **title : ""},
                   {"status", status && *status ? **status : ""}});
  }
  return JsonResponse(200, {{"plans", out}});
}

HttpResponse Plan(Store& store, const Query& query) {
  std::string id = Param(query, "id");
  if (id.empty()) return ErrorResponse(400, "which plan? /api/plan?id=PLAN");
  auto plan = ReportPlan(store, id);
  if (!plan.ok()) return ErrorResponse(plan.status());
  auto signatures = CheckPlanSignatures(store, id);
  if (!signatures.ok()) return ErrorResponse(signatures.status());
  return JsonResponse(200, PlanReportJson(*plan, *signatures));
}

HttpResponse Search(Store& store, const Query& query, bool may_read_personal) {
  std::string text = Param(query, "q");
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    return ErrorResponse(400, "search for what? /api/search?q=WORDS");
  }
  SearchOptions options;
  options.type = Param(query, "type");
  options.limit = ParseSize(query, "limit", 20, 200);
  if (options.limit == 0) options.limit = 1;
  options.personal = may_read_personal;
  auto found = store.Search(text, options);
  if (!found.ok()) return ErrorResponse(found.status());
  return JsonResponse(200, SearchResultsJson(text, *found));
}

// ---- One record, as a person reads it.

// Records of `type` that this reader may not see here: personal data on a
// locked node, or on a node with users for a reader not signed in.
bool PersonalWithheld(const Store& store, const std::string& type, bool may_read_personal) {
  if (!store.IsPersonalType(type)) return false;
  return !may_read_personal || (store.encrypted() && !store.unlocked());
}

// Each reference field set on the record, and what it names.
Result<json> ReferencesOut(Store& store, const RecordView& record, const TypeSpec& spec,
                           bool may_read_personal) {
  json out = json::array();
  for (const FieldSpec& field : spec.fields) {
    if (field.kind != FieldKind::kRef) continue;
    const auto* value = record.Value(field.name);
    if (!value || !*value || (*value)->empty()) continue;
    json ref = {{"field", field.name}, {"id", **value}, {"type", field.ref_type}};
    if (PersonalWithheld(store, field.ref_type, may_read_personal)) {
      ref["locked"] = true;
    } else {
      auto target = store.Get(**value);
      if (target.ok()) {
        ref["label"] = RecordLabel(*target);
      } else if (target.status().code() != Code::kNotFound) {
        return target.status();
      }
      ref["held"] = target.ok();
    }
    out.push_back(std::move(ref));
  }
  return out;
}

// Every record whose reference fields name this one: the minutes and
// decisions that followed an action item up, a meeting's action items.
Result<json> ReferencesIn(Store& store, const RecordView& record, bool may_read_personal,
                          bool* personal_skipped) {
  json in = json::array();
  for (const TypeSpec& type : Schema::Get().types()) {
    for (const FieldSpec& field : type.fields) {
      if (field.kind != FieldKind::kRef || field.ref_type != record.type) continue;
      if (PersonalWithheld(store, type.name, may_read_personal)) {
        *personal_skipped = true;
        continue;
      }
      auto from = store.List(type.name, FieldWrite{field.name, record.id});
      if (!from.ok()) return from.status();
      for (const RecordView& r : *from) {
        if (r.deleted) continue;
        in.push_back(
            {{"id", r.id}, {"type", r.type}, {"label", RecordLabel(r)}, {"field", field.name}});
      }
    }
  }
  return in;
}

// The signatures on the meeting or plan whose signed content holds the
// record, and whether this record was amended since each.
Result<json> Signatures(Store& store, const RecordView& record) {
  auto root = SignedRootOf(store, record);
  if (!root.ok()) return root.status();
  if (!*root) return json(nullptr);
  auto checks = CheckSignatures(store, **root);
  // A deleted or missing meeting or plan has nothing signed to compare.
  if (!checks.ok() && (checks.status().code() == Code::kNotFound ||
                       checks.status().code() == Code::kFailedPrecondition)) {
    return json(nullptr);
  }
  if (!checks.ok()) return checks.status();
  bool amended = false;
  for (const SignatureCheck& check : *checks) {
    for (const Amendment& a : check.amended) amended = amended || a.id == record.id;
  }
  return json{
      {"root", **root}, {"checks", SignatureChecksJson(*checks)}, {"this_record_amended", amended}};
}

HttpResponse Record(Store& store, const Query& query, bool may_read_personal) {
  std::string id = Param(query, "id");
  if (id.empty()) return ErrorResponse(400, "which record? /api/record?id=ID");
  auto record = store.Get(id);
  if (!record.ok()) return ErrorResponse(record.status());
  if (!may_read_personal && store.IsPersonalType(record->type)) {
    return ErrorResponse(
        401, "a " + record->type + " is personal data: sign in to read it (this office has users)");
  }
  json out = RecordJson(*record);
  out["label"] = RecordLabel(*record);
  out["personal"] = store.IsPersonalType(record->type);
  // Who wrote each current value: the user at the office, and when.
  json written = json::object();
  for (const auto& [name, version] : record->fields) written[name] = FieldVersionJson(version);
  out["written"] = std::move(written);
  auto history = store.History(id, std::nullopt);
  if (!history.ok()) return ErrorResponse(history.status());
  json entries = json::array();
  for (const StoredVersion& v : *history) entries.push_back(HistoryEntryJson(v));
  out["history"] = std::move(entries);
  auto sharing = store.SharingOf(id);
  if (!sharing.ok()) return ErrorResponse(sharing.status());
  out["sharing"] = RecordSharingJson(*sharing);
  auto signatures = Signatures(store, *record);
  if (!signatures.ok()) return ErrorResponse(signatures.status());
  out["signatures"] = std::move(*signatures);
  json refs_out = json::array();
  if (const TypeSpec* spec = Schema::Get().FindType(record->type)) {
    auto found = ReferencesOut(store, *record, *spec, may_read_personal);
    if (!found.ok()) return ErrorResponse(found.status());
    refs_out = std::move(*found);
  }
  out["references_out"] = std::move(refs_out);
  bool personal_skipped = false;
  auto refs_in = ReferencesIn(store, *record, may_read_personal, &personal_skipped);
  if (!refs_in.ok()) return ErrorResponse(refs_in.status());
  out["references_in"] = std::move(*refs_in);
  out["personal_references_locked"] = personal_skipped;
  // Its files: the record itself may be read, so may its attachments, but
  // a case's files stay withheld where cases are.
  auto attachments = store.Attachments(id);
  if (!attachments.ok()) return ErrorResponse(attachments.status());
  json files = json::array();
  for (const AttachmentInfo& a : *attachments) {
    if (PersonalWithheld(store, a.type, may_read_personal)) continue;
    files.push_back(AttachmentJson(a));
  }
  out["attachments"] = std::move(files);
  return JsonResponse(200, out);
}

}  // namespace

std::optional<HttpResponse> HandleOfficeRequest(Store& store, const HttpRequest& request,
                                                bool may_read_personal) {
  if (request.method != "GET") return std::nullopt;
  const std::string& path = request.path;
  if (path != "/api/actions" && path != "/api/plans" && path != "/api/plan" &&
      path != "/api/search" && path != "/api/record") {
    return std::nullopt;
  }
  Query query = ParseFormEncoded(request.query);
  if (path == "/api/actions") return Actions(store, query);
  if (path == "/api/plans") return Plans(store);
  if (path == "/api/plan") return Plan(store, query);
  if (path == "/api/search") return Search(store, query, may_read_personal);
  return Record(store, query, may_read_personal);
}

}  // namespace accord::server
