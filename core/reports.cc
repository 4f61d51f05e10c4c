#include "core/reports.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

namespace accord {

namespace {

// The provisional winner of `field` ("" when cleared or never written).
std::string V(const RecordView& r, const std::string& field) {
  const std::optional<std::string>* value = r.Value(field);
  return value && *value ? **value : std::string();
}

std::vector<std::string> InConflict(const RecordView& r) {
  std::vector<std::string> fields;
  for (const auto& [field, values] : r.conflicts) fields.push_back(field);
  if (r.delete_conflict) fields.push_back(std::string(kDeletedField));
  return fields;
}

// Reports read record by record through the store (Store::List), so that
// conflicts are named and a type a deployment marks personal is opened as
// every other read opens it. Each list is its own read; a sync committing
// between two of them shows in the next report.
Result<std::vector<RecordView>> ListOf(Store& store, const std::string& type,
                                       std::optional<FieldWrite> where = std::nullopt) {
  return store.List(type, where);
}

std::string MeetingLabel(const RecordView& meeting) {
  std::string city = V(meeting, "city");
  std::string date = V(meeting, "start_date");
  return city.empty() ? date : date + " " + city;
}

std::string AsciiLower(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

bool IsWordByte(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

// `code` as a word of `text`: "KH" in "KH, TH" but not in "KHMER".
bool HasWord(const std::string& text, const std::string& code) {
  if (code.empty()) return false;
  for (size_t at = text.find(code); at != std::string::npos; at = text.find(code, at + 1)) {
    bool before = at == 0 || !IsWordByte(text[at - 1]);
    bool after = at + code.size() >= text.size() || !IsWordByte(text[at + code.size()]);
    if (before && after) return true;
  }
  return false;
}

// How the minutes name each government: in English, Khmer, Thai,
// Vietnamese and Chinese (responsible parties are free text).
const std::map<std::string, std::vector<std::string>>& CountryNames() {
  static const std::map<std::string, std::vector<std::string>> names = {
      {"KH", {"cambodia", "cambodian", "កម្ពុជា", "กัมพูชา", "campuchia", "柬埔寨"}},
      {"TH", {"thailand", "thai", "ថៃ", "ไทย", "thái lan", "泰国"}},
      {"VN", {"viet nam", "vietnam", "vietnamese", "វៀតណាម", "เวียดนาม", "việt nam", "越南"}},
      {"CN", {"china", "chinese", "ចិន", "จีน", "trung quốc", "中国"}},
      {"IOM", {"iom", "international organization for migration"}},
  };
  return names;
}

struct PartyWords {
  std::string code;
  std::vector<std::string> names;  // ASCII-lower-cased
};

Result<PartyWords> WordsForParty(Store& store, const std::string& asked) {
  PartyWords words;
  words.code = asked;
  ASSIGN_OR_RETURN(std::vector<RecordView> parties, ListOf(store, "party"));
  for (const RecordView& p : parties) {
    std::string code = V(p, "code");
    if (p.id == asked || AsciiLower(code) == AsciiLower(asked)) {
      words.code = code;
      if (!V(p, "name").empty()) words.names.push_back(AsciiLower(V(p, "name")));
    }
  }
  std::string upper = words.code;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  words.code = upper;
  if (auto it = CountryNames().find(upper); it != CountryNames().end()) {
    words.names.insert(words.names.end(), it->second.begin(), it->second.end());
  }
  return words;
}

// "Both delegations", "Heads of both countries", "ทั้งสองฝ่าย", "ភាគីទាំងពីរ":
// every party of the plan the meeting discussed.
bool NamesBothSides(const std::string& responsible) {
  std::string lower = AsciiLower(responsible);
  for (const char* both : {"both", "ทั้งสอง", "ទាំងពីរ", "hai bên", "cả hai", "双方"}) {
    if (lower.find(both) != std::string::npos) return true;
  }
  return false;
}

bool PlanNamesParty(const std::string& plan_parties, const std::string& code) {
  return !code.empty() && HasWord(plan_parties, code);
}

bool NamesParty(const std::string& responsible, const PartyWords& party,
                const std::string& plan_parties) {
  if (HasWord(responsible, party.code)) return true;
  if (NamesBothSides(responsible) && PlanNamesParty(plan_parties, party.code)) return true;
  std::string lower = AsciiLower(responsible);
  for (const std::string& name : party.names) {
    if (lower.find(name) != std::string::npos) return true;
  }
  return false;
}

struct MeetingInfo {
  std::string id;
  std::string date;
  std::string label;
  std::string plan;
  std::string kind;
};

// "By the next meeting": the first meeting after the one that agreed the
// item about the same plan (of the same kind when it names no plan).
void ResolveNextMeeting(const MeetingInfo& agreed, const std::vector<MeetingInfo>& by_date,
                        DueDate& due) {
  for (const MeetingInfo& m : by_date) {
    if (m.date <= agreed.date || m.id == agreed.id) continue;
    bool same = agreed.plan.empty() ? m.kind == agreed.kind : m.plan == agreed.plan;
    if (!same) continue;
    due.date = m.date;
    due.basis = "the next meeting, " + m.label;
    return;
  }
  due.basis = "the next meeting (none recorded yet)";
}

}  // namespace

bool NumberLess(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    bool da = std::isdigit(static_cast<unsigned char>(a[i])) != 0;
    bool db = std::isdigit(static_cast<unsigned char>(b[j])) != 0;
    if (da && db) {
      size_t ei = i, ej = j;
      while (ei < a.size() && std::isdigit(static_cast<unsigned char>(a[ei]))) ++ei;
      while (ej < b.size() && std::isdigit(static_cast<unsigned char>(b[ej]))) ++ej;
      std::string na = a.substr(i, ei - i), nb = b.substr(j, ej - j);
      na.erase(0, std::min(na.find_first_not_of('0'), na.size()));
      nb.erase(0, std::min(nb.find_first_not_of('0'), nb.size()));
      if (na.size() != nb.size()) return na.size() < nb.size();
      if (na != nb) return na < nb;
      i = ei;
      j = ej;
    } else {
      if (a[i] != b[j]) return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[j]);
      ++i;
      ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

Result<std::vector<ActionRow>> ReportActions(Store& store, const ActionQuery& query) {
  ASSIGN_OR_RETURN(std::vector<RecordView> meetings, ListOf(store, "meeting"));
  std::map<std::string, MeetingInfo> meeting_by_id;
  std::vector<MeetingInfo> by_date;
  for (const RecordView& m : meetings) {
    MeetingInfo info{m.id, V(m, "start_date"), MeetingLabel(m), V(m, "related_plan"), V(m, "kind")};
    meeting_by_id[m.id] = info;
    by_date.push_back(info);
  }
  std::sort(by_date.begin(), by_date.end(), [](const MeetingInfo& a, const MeetingInfo& b) {
    return std::tie(a.date, a.id) < std::tie(b.date, b.id);
  });

  // Every minute and decision that follows an item up, by the item.
  std::map<std::string, std::vector<ActionReview>> reviews;
  for (const char* type : {"minute", "decision"}) {
    ASSIGN_OR_RETURN(std::vector<RecordView> records, ListOf(store, type));
    for (const RecordView& r : records) {
      std::string item = V(r, "follows_up");
      if (item.empty()) continue;
      ActionReview review;
      review.meeting_id = V(r, "meeting");
      if (auto it = meeting_by_id.find(review.meeting_id); it != meeting_by_id.end()) {
        review.meeting_date = it->second.date;
        review.meeting_label = it->second.label;
      }
      review.record_id = r.id;
      review.record_type = type;
      review.number = V(r, "number");
      reviews[item].push_back(std::move(review));
    }
  }

  std::optional<PartyWords> party;
  std::map<std::string, std::string> plan_parties;  // plan id -> its parties ("KH,TH")
  if (!query.party.empty()) {
    ASSIGN_OR_RETURN(party, WordsForParty(store, query.party));
    ASSIGN_OR_RETURN(std::vector<RecordView> plans, ListOf(store, "plan"));
    for (const RecordView& p : plans) plan_parties[p.id] = V(p, "parties");
  }
  std::optional<FieldWrite> where;
  if (!query.meeting.empty()) where = FieldWrite{"meeting", query.meeting};
  ASSIGN_OR_RETURN(std::vector<RecordView> items, ListOf(store, "action_item", where));
  std::vector<ActionRow> rows;
  for (const RecordView& item : items) {
    ActionRow row;
    row.id = item.id;
    row.number = V(item, "number");
    row.action = V(item, "action");
    row.responsible_party = V(item, "responsible_party");
    row.status = V(item, "status");
    row.activity = V(item, "activity");
    row.meeting_id = V(item, "meeting");
    MeetingInfo agreed;
    if (auto it = meeting_by_id.find(row.meeting_id); it != meeting_by_id.end()) {
      agreed = it->second;
    }
    row.meeting_date = agreed.date;
    row.meeting_label = agreed.label;
    std::string firm = V(item, "due_date");
    if (!firm.empty()) {
      row.due.text = V(item, "due");
      row.due.date = firm;
      row.due.precision = DueDate::Precision::kDay;
      row.due.basis = "firm due date";
    } else {
      row.due = ParseDue(V(item, "due"), agreed.date);
      if (row.due.precision == DueDate::Precision::kNextMeeting) {
        agreed.id = row.meeting_id;
        ResolveNextMeeting(agreed, by_date, row.due);
      }
    }
    row.open = row.status.empty() || row.status == "open" || row.status == "in_progress";
    row.overdue = row.open && row.due.date && !query.today.empty() && *row.due.date < query.today;
    if (auto it = reviews.find(item.id); it != reviews.end()) {
      row.reviews = it->second;
      std::sort(row.reviews.begin(), row.reviews.end(),
                [](const ActionReview& a, const ActionReview& b) {
                  return std::tie(a.meeting_date, a.meeting_id, a.record_id) <
                         std::tie(b.meeting_date, b.meeting_id, b.record_id);
                });
      row.last_reviewed = row.reviews.back();
    }
    row.fields_in_conflict = InConflict(item);
    if (query.open_only && !row.open) continue;
    if (query.overdue_only && !row.overdue) continue;
    if (party && !NamesParty(row.responsible_party, *party, plan_parties[agreed.plan])) continue;
    rows.push_back(std::move(row));
  }
  std::sort(rows.begin(), rows.end(), [](const ActionRow& a, const ActionRow& b) {
    if (a.meeting_date != b.meeting_date) return a.meeting_date < b.meeting_date;
    if (a.meeting_id != b.meeting_id) return a.meeting_id < b.meeting_id;
    if (a.number != b.number) return NumberLess(a.number, b.number);
    return a.id < b.id;
  });
  return rows;
}

std::vector<YearTarget> ParseTargetsPerYear(const std::string& text) {
  std::vector<YearTarget> targets;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    size_t first = line.find_first_not_of(" \t");
    line = first == std::string::npos ? "" : line.substr(first);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) {
      line.pop_back();
    }
    if (!line.empty()) {
      YearTarget t;
      size_t colon = line.find(':');
      std::string head = colon == std::string::npos ? "" : line.substr(0, colon);
      bool year = head.size() == 4 && std::all_of(head.begin(), head.end(), [](char c) {
                    return std::isdigit(static_cast<unsigned char>(c)) != 0;
                  });
      if (year) {
        t.year = head;
        size_t value = line.find_first_not_of(' ', colon + 1);
        t.target = value == std::string::npos ? "" : line.substr(value);
      } else {
        t.target = line;
      }
      targets.push_back(std::move(t));
    }
    start = end + 1;
  }
  return targets;
}

Result<PlanReport> ReportPlan(Store& store, const std::string& plan_id) {
  auto plan = store.Get(plan_id);
  if (!plan.ok() || plan->type != "plan" || plan->deleted) {
    return NotFound("no plan " + plan_id + " on this node");
  }
  PlanReport report;
  report.id = plan->id;
  report.title = V(*plan, "title");
  report.parties = V(*plan, "parties");
  report.period_start = V(*plan, "period_start");
  report.period_end = V(*plan, "period_end");
  report.status = V(*plan, "status");

  ASSIGN_OR_RETURN(std::vector<RecordView> objectives,
                   ListOf(store, "objective", FieldWrite{"plan", plan_id}));
  std::set<std::string> parties;
  for (const RecordView& o : objectives) {
    ObjectiveProgress objective{o.id, V(o, "number"), V(o, "text"), {}};
    ASSIGN_OR_RETURN(std::vector<RecordView> activities,
                     ListOf(store, "activity", FieldWrite{"objective", o.id}));
    for (const RecordView& a : activities) {
      ActivityProgress activity;
      activity.id = a.id;
      activity.number = V(a, "number");
      activity.description = V(a, "description");
      activity.responsible_agency = V(a, "responsible_agency");
      activity.timeframe = V(a, "timeframe");
      activity.total_target = V(a, "total_target");
      activity.targets = ParseTargetsPerYear(V(a, "targets_per_year"));
      activity.shared_status = V(a, "progress_status");
      activity.shared_note = V(a, "progress_note");
      activity.fields_in_conflict = InConflict(a);
      ASSIGN_OR_RETURN(std::vector<RecordView> assessments,
                       ListOf(store, "progress_assessment", FieldWrite{"activity", a.id}));
      // Each party's latest: the most recent assessment, then the latest period.
      std::map<std::string, PartyAssessment> latest;
      for (const RecordView& p : assessments) {
        PartyAssessment pa;
        pa.id = p.id;
        pa.party = V(p, "party");
        pa.period = V(p, "period");
        pa.status = V(p, "status");
        pa.narrative = V(p, "narrative");
        pa.assessed_on = V(p, "assessed_on");
        if (auto it = p.fields.find("party"); it != p.fields.end()) {
          pa.recorded_by = it->second.origin;
          ASSIGN_OR_RETURN(pa.recorder_party, store.PartyOf(pa.recorded_by));
        }
        parties.insert(pa.party);
        auto [it, inserted] = latest.emplace(pa.party, pa);
        const PartyAssessment& held = it->second;
        if (!inserted && std::tie(held.assessed_on, held.period, held.id) <
                             std::tie(pa.assessed_on, pa.period, pa.id)) {
          int count = held.assessments_by_party;
          it->second = pa;
          it->second.assessments_by_party = count;
        }
        ++it->second.assessments_by_party;
      }
      for (auto& [party, pa] : latest) activity.latest.push_back(std::move(pa));
      objective.activities.push_back(std::move(activity));
    }
    std::sort(objective.activities.begin(), objective.activities.end(),
              [](const ActivityProgress& x, const ActivityProgress& y) {
                return NumberLess(x.number, y.number);
              });
    report.objectives.push_back(std::move(objective));
  }
  std::sort(report.objectives.begin(), report.objectives.end(),
            [](const ObjectiveProgress& x, const ObjectiveProgress& y) {
              return NumberLess(x.number, y.number);
            });
  report.assessing_parties.assign(parties.begin(), parties.end());
  return report;
}

}  // namespace accord
