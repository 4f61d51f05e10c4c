// What a secretariat reads before a meeting: the follow-up of action items
// (seed 003 §5.1.1, §6.1: every bilateral meeting opens by reviewing the
// previous one's next steps) and the progress of a plan as each party
// assesses it (seed 003 §7.7: "each side can present their respective
// assessments"). Read from the per-type views (docs/schema.md), provisional
// winners shown, fields in conflict named; `accord report` prints them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/due_date.h"
#include "core/store.h"

namespace accord {

// ---- Follow-up of action items (`accord report actions`).

struct ActionQuery {
  bool open_only = false;     // status open or in progress (or none recorded)
  bool overdue_only = false;  // open, and due before `today`
  std::string meeting;        // only items agreed at this meeting (id); "" all
  // Only items whose responsible party names this party: its code as a word
  // ("KH"), its name as the party record has it, or its country's name in
  // English, Khmer, Thai, Vietnamese or Chinese; or "both" sides ("Both
  // delegations", "ភាគីទាំងពីរ") when the plan the meeting discussed names
  // the party. "" all.
  std::string party;
  std::string today;  // YYYY-MM-DD: what "overdue" is judged against
};

// A minute or decision of a later meeting that follows an item up.
struct ActionReview {
  std::string meeting_id;
  std::string meeting_date;   // its first day
  std::string meeting_label;  // e.g. "2023-01-18 Siem Reap"
  std::string record_id;      // the minute or decision
  std::string record_type;    // "minute" or "decision"
  std::string number;         // its paragraph number
};

struct ActionRow {
  std::string id;
  std::string number;
  std::string action;
  std::string responsible_party;
  std::string status;  // "" when none recorded
  std::string activity;
  std::string meeting_id;  // where it was agreed
  std::string meeting_date;
  std::string meeting_label;
  // The due date: `due_date` when the meeting fixed one (precision kDay,
  // basis "firm due date"), else read from the words of `due`. `text` is
  // always the words as agreed ("" when none were recorded).
  DueDate due;
  bool open = false;
  bool overdue = false;
  std::vector<ActionReview> reviews;          // oldest meeting first
  std::optional<ActionReview> last_reviewed;  // the latest of them
  std::vector<std::string> fields_in_conflict;
};

// Items agreed at earlier meetings, by the date of the meeting that agreed
// them, then by item number.
Result<std::vector<ActionRow>> ReportActions(Store& store, const ActionQuery& query);

// ---- Progress of a plan per party (`accord report plan`).

struct YearTarget {
  std::string year;    // "2024"; "" for a line with no year
  std::string target;  // "2 workshops, 60 participants"
};

struct PartyAssessment {
  std::string id;
  std::string party;  // as recorded: the party whose assessment it is
  std::string period;
  std::string status;
  std::string narrative;
  std::string assessed_on;
  // The node that recorded the assessment's party, and that node's party as
  // its certificate named it (nullopt: not learnt). A party's assessment
  // recorded by another party's office is shown as such.
  std::string recorded_by;
  std::optional<std::string> recorder_party;
  int assessments_by_party = 0;  // how many this party recorded for the activity
};

struct ActivityProgress {
  std::string id;
  std::string number;
  std::string description;
  std::string responsible_agency;
  std::string timeframe;
  std::string total_target;
  std::vector<YearTarget> targets;  // from targets_per_year, one per line
  // The older, shared field (one value for every party), shown as recorded.
  std::string shared_status;
  std::string shared_note;
  std::vector<PartyAssessment> latest;  // each party's latest, by party
  std::vector<std::string> fields_in_conflict;
};

struct ObjectiveProgress {
  std::string id;
  std::string number;
  std::string text;
  std::vector<ActivityProgress> activities;  // by number (1.2 before 1.10)
};

struct PlanReport {
  std::string id;
  std::string title;
  std::string parties;
  std::string period_start;
  std::string period_end;
  std::string status;
  std::vector<ObjectiveProgress> objectives;   // by number
  std::vector<std::string> assessing_parties;  // every party with an assessment, sorted
};

// kNotFound when the node holds no plan `plan_id`.
Result<PlanReport> ReportPlan(Store& store, const std::string& plan_id);

// "2024: 2 workshops, 60 participants\n2025: ..." as one target per line.
std::vector<YearTarget> ParseTargetsPerYear(const std::string& text);

// Numbers as people order them: "1.2" before "1.10", "Area 2" before "Area 10".
bool NumberLess(const std::string& a, const std::string& b);

}  // namespace accord
