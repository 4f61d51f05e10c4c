#include "core/schema.h"

#include <charconv>
#include <cstdint>
#include <cstdlib>

namespace accord {

const char* FieldKindName(FieldKind kind) {
  switch (kind) {
    case FieldKind::kText:
      return "text";
    case FieldKind::kLongText:
      return "long-text";
    case FieldKind::kInteger:
      return "integer";
    case FieldKind::kDate:
      return "date";
    case FieldKind::kEnum:
      return "enum";
    case FieldKind::kRef:
      return "ref";
  }
  return "?";
}

const FieldSpec* TypeSpec::FindField(std::string_view field) const {
  for (const auto& f : fields) {
    if (f.name == field) return &f;
  }
  return nullptr;
}

namespace {

FieldSpec Text(std::string name, std::string help, bool required = false) {
  return {std::move(name), FieldKind::kText, required, {}, {}, std::move(help)};
}
FieldSpec LongText(std::string name, std::string help, bool required = false) {
  return {std::move(name), FieldKind::kLongText, required, {}, {}, std::move(help)};
}
FieldSpec Integer(std::string name, std::string help, bool required = false) {
  return {std::move(name), FieldKind::kInteger, required, {}, {}, std::move(help)};
}
FieldSpec Date(std::string name, std::string help, bool required = false) {
  return {std::move(name), FieldKind::kDate, required, {}, {}, std::move(help)};
}
FieldSpec Enum(std::string name, std::vector<std::string> values, std::string help,
               bool required = false) {
  return {std::move(name), FieldKind::kEnum, required, std::move(values), {}, std::move(help)};
}
FieldSpec Ref(std::string name, std::string type, std::string help, bool required = false) {
  return {std::move(name), FieldKind::kRef, required, {}, std::move(type), std::move(help)};
}

const std::vector<std::string> kYesNoUnknown = {"yes", "no", "unknown"};
const std::vector<std::string> kProgressValues = {"not_started", "in_progress", "completed",
                                                  "postponed", "dropped"};

std::vector<TypeSpec> BuildTypes() {
  std::vector<TypeSpec> t;

  // Parties and offices.
  t.push_back({"party",
               "parties",
               "A government side of an agreement, or an observer/secretariat.",
               {"code"},
               {Text("code", "short code: KH, TH, VN, CN, IOM", true),
                Text("name", "full name, e.g. Royal Government of Cambodia", true),
                Enum("kind", {"government", "observer", "secretariat"}, "role in the agreement")}});
  t.push_back(
      {"office",
       "offices",
       "Where data is entered: a ministry, checkpoint or centre.",
       {"name"},
       {Text("name", "e.g. NCCT Phnom Penh, Poi Pet checkpoint", true),
        Ref("party", "party", "the government the office belongs to"),
        Enum("kind", {"ministry", "border_checkpoint", "transit_centre", "shelter", "secretariat"},
             "what kind of office"),
        Text("node_id", "the Accord node id this office runs, e.g. KH-POIPET"),
        Text("city", "city or province")}});

  // Plans of action.
  t.push_back(
      {"plan",
       "plans",
       "A joint plan of action implementing an agreement.",
       {"title"},
       {Text("title", "title of the plan", true),
        Text("agreement", "the agreement it implements, e.g. SOP on Law Enforcement Cooperation"),
        Text("parties", "party codes, e.g. KH,TH"),
        Integer("period_start", "first year, e.g. 2023"),
        Integer("period_end", "last year, e.g. 2025"),
        LongText("general_objective", "the general objective"),
        LongText("intended_outcome", "the intended outcome"),
        Enum("status", {"draft", "under_review", "finalized", "signed"}, "drafting status"),
        Date("signed_on", "date signed"),
        LongText("financial_notes", "budget and financial notes")}});
  t.push_back({"objective",
               "objectives",
               "A specific objective or area of a plan.",
               {"number"},
               {Ref("plan", "plan", "the plan", true), Text("number", "e.g. 1, Area 3", true),
                LongText("text", "the objective as written", true)}});
  t.push_back(
      {"activity",
       "activities",
       "A joint action or deliverable under an objective.",
       {"number"},
       {Ref("objective", "objective", "the objective", true),
        Text("number", "e.g. 1.1, 3.1.4", true), LongText("description", "what will be done", true),
        LongText("sub_steps", "sub-activities or steps"),
        Text("responsible_agency", "the lead agency or agencies"),
        Text("implementing_partners", "partners, e.g. IOM"),
        LongText("indicators", "indicators of achievement"),
        Text("total_target", "total target, e.g. 6 workshops"),
        LongText("targets_per_year", "e.g. 2024: 2 workshops, 60 participants"),
        Text("timeframe", "a year or quarter, e.g. 2024-Q2, 2023-2025"),
        LongText("expected_output", "expected output or result"),
        LongText("resources", "resources needed"), Text("venue", "tentative venue"),
        Enum("progress_status", kProgressValues,
             "one progress shared by every party (older data; each party's own assessment is a "
             "progress_assessment)"),
        LongText("progress_note", "progress note")}});
  // Each side presents its own assessment at the bilateral meetings (seed 003
  // §7.7): one record per party and period, never one shared field that two
  // honest assessments would turn into a conflict.
  t.push_back({"progress_assessment",
               "progress_assessments",
               "One party's own assessment of an activity's progress for a period.",
               {"party", "period"},
               {Ref("activity", "activity", "the activity assessed", true),
                Text("party", "the assessing party's code, e.g. KH, TH", true),
                Text("period", "the period assessed: a year or quarter, e.g. 2024, 2024-Q2", true),
                Enum("status", kProgressValues, "progress as this party sees it", true),
                LongText("narrative", "what was done, what is missing, in the party's own words"),
                Date("assessed_on", "when the party made the assessment")}});

  // Meetings.
  t.push_back({"meeting",
               "meetings",
               "A bilateral, case-management or working-group meeting.",
               {"start_date", "city"},
               {Text("title", "title of the meeting", true),
                Enum("kind",
                     {"bilateral_meeting", "case_management_meeting", "technical_working_group",
                      "online_meeting", "signing_ceremony"},
                     "kind of meeting"),
                Date("start_date", "first day", true), Date("end_date", "last day"),
                Text("venue", "e.g. Sokhalay Angkor Hotel"), Text("city", "e.g. Siem Reap"),
                Text("country", "e.g. Cambodia"), LongText("chairs", "the chairs"),
                Ref("host_party", "party", "the host"),
                Enum("status", {"planned", "held", "minutes_adopted", "signed"}, "status"),
                Ref("related_plan", "plan", "the plan of action discussed"),
                Text("related_agreement", "the SOP or agreement discussed")}});
  t.push_back({"participant",
               "participants",
               "A person attending a meeting.",
               {"name"},
               {Ref("meeting", "meeting", "the meeting", true), Text("name", "full name", true),
                Text("position", "position or title"),
                Text("organisation", "ministry, department or organisation"),
                Ref("delegation", "party", "the delegation"),
                Enum("role",
                     {"chair", "head_of_delegation", "delegate", "master_of_ceremonies",
                      "interpreter", "observer", "secretariat", "facilitator"},
                     "role at the meeting")}});
  t.push_back(
      {"agenda_item",
       "agenda_items",
       "An item of a meeting's agenda.",
       {"date", "start_time"},
       {Ref("meeting", "meeting", "the meeting", true), Date("date", "the day"),
        Text("start_time", "HH:MM"), Text("end_time", "HH:MM"),
        LongText("description", "what is discussed", true), Text("facilitator", "who leads it")}});
  t.push_back({"minute",
               "minutes",
               "A numbered paragraph of the meeting notes.",
               {"number"},
               {Ref("meeting", "meeting", "the meeting", true), Text("number", "e.g. 6.2.3", true),
                LongText("text", "the paragraph", true), Text("speaker", "who spoke"),
                Ref("follows_up", "action_item",
                    "the action item of an earlier meeting this paragraph reviews")}});
  t.push_back({"decision",
               "decisions",
               "A key result or agreement of a meeting.",
               {"number"},
               {Ref("meeting", "meeting", "the meeting", true), Text("number", "e.g. 1"),
                LongText("text", "what was agreed", true),
                Ref("follows_up", "action_item",
                    "the action item of an earlier meeting this decision reviews")}});
  t.push_back(
      {"action_item",
       "action_items",
       "A next step agreed at a meeting.",
       {"number"},
       {Ref("meeting", "meeting", "the meeting", true),
        Ref("activity", "activity", "the plan activity it advances"), Text("number", "item number"),
        LongText("action", "what is to be done", true), Text("responsible_party", "who does it"),
        Text("due", "when, as agreed: e.g. by end of October 2022"),
        Date("due_date", "a firm due date, if any"), LongText("expected_result", "expected result"),
        Enum("status", {"open", "in_progress", "done", "cancelled"}, "status")}});
  t.push_back(
      {"signature",
       "signatures",
       "A signature on a meeting record or plan.",
       {"signatory"},
       {Ref("meeting", "meeting", "the meeting signed"), Ref("plan", "plan", "the plan signed"),
        Text("signatory", "who signed", true), Text("title", "the signatory's title"),
        Ref("party", "party", "on behalf of"), Date("signed_on", "date signed"),
        // Written by `accord sign` (core/signed_content.h): what was signed,
        // frozen, so that a later edit shows as an amendment.
        Text("digest", "sha256: of the content signed, as it stood"),
        LongText("covers", "each record signed and its digest, one per line")}});

  // Cases: the most sensitive records. Pseudonyms or initials only.
  t.push_back({"case",
               "cases",
               "A victim's repatriation and reintegration case.",
               {"reference"},
               {Text("reference", "case reference, e.g. KH-2023-014", true),
                Text("direction", "from and to, e.g. TH-KH"),
                Enum("age_group", {"child", "adult"}, "age group"),
                Enum("sex", {"female", "male", "other", "not_recorded"}, "sex"),
                Text("initials", "pseudonym or initials only: never a full name"),
                Text("vulnerability", "e.g. elderly, disability, chronic condition"),
                Enum("step",
                     {"identified", "referred", "family_tracing", "family_assessment",
                      "nationality_confirmation", "repatriation_approved", "returned",
                      "transit_centre", "reintegration", "monitoring", "closed"},
                     "current step"),
                Text("return_checkpoint", "checkpoint of return, e.g. Poi Pet"),
                Text("case_manager", "case manager"), Text("shelter", "shelter or centre"),
                Date("next_review", "next review date"), LongText("notes", "case notes"),
                Enum("consent", {"given", "refused", "overridden", "not_asked"},
                     "consent to share the case with the other country"),
                Text("consent_recorded_by", "who recorded the consent decision"),
                Date("consent_recorded_on", "when"),
                LongText("consent_override_reason", "why consent was overridden")}});
  t.push_back({"family_tracing",
               "family_tracings",
               "Family tracing and assessment for a case.",
               {},
               {Ref("case", "case", "the case", true),
                Enum("family_found", kYesNoUnknown, "was the family found"),
                Enum("family_can_care", kYesNoUnknown, "can the family care for the person"),
                LongText("assessment_notes", "family assessment notes"),
                Enum("nationality_confirmed", {"yes", "no", "pending"}, "nationality confirmed"),
                Text("nationality_confirmed_by", "the confirming authority"),
                Date("nationality_confirmed_on", "when")}});
  t.push_back(
      {"case_review",
       "case_reviews",
       "A case discussed at a case-management meeting.",
       {},
       {Ref("meeting", "meeting", "the meeting"), Ref("case", "case", "the case", true),
        LongText("discussion", "what was discussed"), LongText("decision", "what was decided")}});
  // Attachments (docs/attachments.md): a file kept by its SHA-256 in the
  // node directory, described here and hung off the record it belongs to.
  // Refs hold one type each, so there is one ref per kind of owner; the
  // sharing policy follows the first that is set. A case's files are a type
  // of their own, personal like the case: their names and captions are
  // sealed at rest, and so are the files.
  auto file_fields = [] {
    return std::vector<FieldSpec>{
        Text("sha256", "SHA-256 of the file's bytes, 64 hex digits (set by accord attach)", true),
        Integer("size", "the file's size in bytes", true),
        Text("file_name", "the file's name, e.g. signed-minutes-2024-03.pdf", true),
        Text("media_type", "e.g. application/pdf, image/png"),
        LongText("caption", "what the file is, e.g. minutes signed by both heads of delegation")};
  };
  {
    std::vector<FieldSpec> fields = {
        Ref("meeting", "meeting", "the meeting it belongs to (e.g. its signed minutes)"),
        Ref("plan", "plan", "the plan it belongs to (e.g. a signed annex)"),
        Ref("activity", "activity", "the activity it documents"),
        Ref("action_item", "action_item", "the action item it documents")};
    for (FieldSpec& f : file_fields()) fields.push_back(std::move(f));
    t.push_back({"attachment",
                 "attachments",
                 "A file (scan, annex, slides) of a meeting, plan, activity or action item.",
                 {"file_name"},
                 std::move(fields)});
  }
  {
    std::vector<FieldSpec> fields = {
        Ref("case", "case", "the case", true),
        Ref("case_review", "case_review", "the review it was shown at")};
    for (FieldSpec& f : file_fields()) fields.push_back(std::move(f));
    t.push_back({"case_attachment",
                 "case_attachments",
                 "A file of a victim's case (a scanned form, a report).",
                 {"file_name"},
                 std::move(fields)});
  }
  for (TypeSpec& type : t) {
    type.personal = type.name == "case" || type.name == "family_tracing" ||
                    type.name == "case_review" || type.name == "case_attachment";
  }
  return t;
}

bool ParseInt64(std::string_view text, int64_t* out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

}  // namespace

namespace {

// A newer accord, for the rolling-upgrade tests only: one more field, one
// more enum value and one more record type than this build's schema, as the
// next release might add. Switched on by ACCORD_TEST_SCHEMA_EXTENSION=1 in
// the environment of a test's node, in builds with ACCORD_TEST_HOOKS (the
// default when tests are built); nothing else reads it.
void ExtendForRollingUpgradeTests(std::vector<TypeSpec>& types) {
  for (TypeSpec& type : types) {
    if (type.name == "activity") {
      type.fields.push_back(Text("budget", "budget agreed for the activity (test extension)"));
      for (FieldSpec& field : type.fields) {
        if (field.name == "progress_status") field.enum_values.push_back("on_hold");
      }
    }
  }
  types.push_back({"field_visit",
                   "field_visits",
                   "A joint visit to a border checkpoint (test extension).",
                   {"date"},
                   {Ref("plan", "plan", "the plan it serves", true), Date("date", "the day", true),
                    LongText("notes", "what the visit found")}});
}

bool TestExtensionRequested() {
#ifdef ACCORD_TEST_HOOKS
  const char* flag = std::getenv("ACCORD_TEST_SCHEMA_EXTENSION");
  return flag && std::string_view(flag) == "1";
#else
  return false;  // a build for the offices (-DACCORD_TESTS=OFF): no test schema
#endif
}

}  // namespace

Schema::Schema() : types_(BuildTypes()), version_(kSchemaVersion) {
  if (TestExtensionRequested()) {
    ExtendForRollingUpgradeTests(types_);
    version_ += 1000;
  }
}

const Schema& Schema::Get() {
  static const Schema schema;
  return schema;
}

const TypeSpec* Schema::FindType(std::string_view type) const {
  for (const auto& t : types_) {
    if (t.name == type) return &t;
  }
  return nullptr;
}

bool IsValidDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  int64_t y = 0, m = 0, d = 0;
  if (!ParseInt64(s.substr(0, 4), &y) || !ParseInt64(s.substr(5, 2), &m) ||
      !ParseInt64(s.substr(8, 2), &d)) {
    return false;
  }
  if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1) return false;
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  int max_day = kDays[m - 1] + ((m == 2 && leap) ? 1 : 0);
  return d <= max_day;
}

Status Schema::ValidateValue(const TypeSpec& type, const FieldSpec& field, std::string_view value) {
  auto where = [&] { return type.name + "." + field.name + ": "; };
  switch (field.kind) {
    case FieldKind::kText:
      if (value.find('\n') != std::string_view::npos) {
        return InvalidArgument(where() + "is a one-line text field; the value has a line break");
      }
      return Status::Ok();
    case FieldKind::kLongText:
      return Status::Ok();
    case FieldKind::kInteger: {
      int64_t n = 0;
      if (!ParseInt64(value, &n)) {
        return InvalidArgument(where() + "'" + std::string(value) + "' is not an integer");
      }
      return Status::Ok();
    }
    case FieldKind::kDate:
      if (!IsValidDate(value)) {
        return InvalidArgument(where() + "'" + std::string(value) +
                               "' is not a date (expected YYYY-MM-DD)");
      }
      return Status::Ok();
    case FieldKind::kEnum: {
      for (const auto& allowed : field.enum_values) {
        if (allowed == value) return Status::Ok();
      }
      std::string list;
      for (const auto& allowed : field.enum_values) list += (list.empty() ? "" : ", ") + allowed;
      return InvalidArgument(where() + "'" + std::string(value) + "' is not one of: " + list);
    }
    case FieldKind::kRef:
      return Status::Ok();  // existence is checked by the store
  }
  return Internal(where() + "unknown field kind");
}

}  // namespace accord
