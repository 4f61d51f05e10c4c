// accord report actions | plan: what a secretariat prints before a meeting
// (core/reports.h), as aligned text, JSON or CSV.
#include <iostream>
#include <set>
#include <sstream>

#include "cli/cli_context.h"
#include "core/display_width.h"
#include "core/report_json.h"
#include "core/reports.h"
#include "core/signed_content.h"

namespace accord::cli {

namespace {

struct ReportArgs {
  bool csv = false;
  bool open = false;
  bool overdue = false;
  std::string meeting;
  std::string party;
  std::string today;
  std::string plan;
};

// ---- Output helpers.

// Whether a spreadsheet would read `value` as a plain number ("-3", "12.5").
bool IsPlainNumber(const std::string& value) {
  size_t i = value[0] == '-' ? 1 : 0;
  bool digits = false, dot = false;
  for (; i < value.size(); ++i) {
    if (value[i] >= '0' && value[i] <= '9') {
      digits = true;
    } else if (value[i] == '.' && !dot && digits) {
      dot = true;
    } else {
      return false;
    }
  }
  return digits && value.back() != '.';
}

// One CSV field, quoted when it holds a comma, quote or line break (RFC 4180).
// A value that starts as a formula would ("=", "+", "-", "@", tab, CR: a
// note typed at another office, or sent by one) is opened in a spreadsheet
// as text, not run: it is prefixed with a single quote (OWASP's advice for
// CSV injection). Plain numbers are left as they are.
std::string CsvField(const std::string& raw) {
  std::string value = raw;
  if (!value.empty() && std::string_view("=+-@\t\r").find(value[0]) != std::string_view::npos &&
      !IsPlainNumber(value)) {
    value.insert(value.begin(), '\'');
  }
  if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

void PrintCsvRow(const std::vector<std::string>& fields) {
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) line += ',';
    line += CsvField(fields[i]);
  }
  std::cout << line << "\r\n";
}

// The first line of a paragraph, for a table cell.
std::string FirstLine(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

// Columns padded by display width, so Khmer and Thai cells line up; the last
// column is not padded. Lines added with AddLine (a meeting's heading) are
// printed as they are, between the rows, which keep one set of columns.
class Table {
 public:
  explicit Table(std::vector<int> max_widths) : max_(std::move(max_widths)) {}
  void Add(std::vector<std::string> cells) {
    for (size_t i = 0; i < cells.size() && i < max_.size(); ++i) {
      cells[i] = TruncateToWidth(FirstLine(cells[i]), max_[i]);
    }
    rows_.push_back({false, std::move(cells)});
  }
  void AddLine(std::string line) { rows_.push_back({true, {std::move(line)}}); }
  void Print(const std::string& indent) const {
    std::vector<int> width(max_.size(), 0);
    for (const auto& [verbatim, row] : rows_) {
      for (size_t i = 0; !verbatim && i < row.size() && i < width.size(); ++i) {
        width[i] = std::max(width[i], DisplayWidth(row[i]));
      }
    }
    for (const auto& [verbatim, row] : rows_) {
      if (verbatim) {
        std::cout << row[0] << "\n";
        continue;
      }
      std::string line = indent;
      for (size_t i = 0; i < row.size(); ++i) {
        line += i + 1 == row.size() ? row[i] : PadToWidth(row[i], width[i]) + "  ";
      }
      while (!line.empty() && line.back() == ' ') line.pop_back();
      std::cout << line << "\n";
    }
  }

 private:
  std::vector<int> max_;
  std::vector<std::pair<bool, std::vector<std::string>>> rows_;
};

// ---- accord report actions

std::string StatusCell(const ActionRow& a) {
  std::string status = a.status.empty() ? "(none)" : a.status;
  if (a.overdue) status += ", OVERDUE";
  if (!a.fields_in_conflict.empty()) status += ", conflict";
  return status;
}

void PrintActionsText(const std::vector<ActionRow>& rows, const std::string& today) {
  Table table({10, 22, 10, 30, 36, 28, 56});
  std::optional<std::string> meeting;
  for (const ActionRow& a : rows) {
    if (a.meeting_id != meeting) {
      table.AddLine(std::string(meeting ? "\n" : "") +
                    (a.meeting_label.empty() ? "" : a.meeting_label + "  ") + "(" + a.meeting_id +
                    ")");
      meeting = a.meeting_id;
      table.Add({"NO.", "STATUS", "DUE", "AS AGREED", "LAST REVIEWED", "OWNER", "ACTION"});
    }
    std::string reviewed = "—";
    if (a.last_reviewed) {
      reviewed = a.last_reviewed->meeting_label + ", " + a.last_reviewed->record_type + " " +
                 a.last_reviewed->number;
    }
    table.Add({a.number.empty() ? a.id : a.number, StatusCell(a), a.due.date.value_or("—"),
               a.due.text.empty() ? "—" : a.due.text, reviewed,
               a.responsible_party.empty() ? "—" : a.responsible_party, a.action});
  }
  table.Print("  ");
  size_t overdue = 0;
  for (const ActionRow& a : rows) overdue += a.overdue ? 1 : 0;
  std::cerr << rows.size() << " action item(s), " << overdue << " overdue as of " << today << "\n";
}

void PrintActionsCsv(const std::vector<ActionRow>& rows) {
  PrintCsvRow({"id", "meeting", "meeting_date", "number", "action", "responsible_party", "status",
               "due_text", "due_date", "due_precision", "due_basis", "open", "overdue",
               "last_reviewed_meeting", "last_reviewed_date", "last_reviewed_record",
               "last_reviewed_number", "reviews", "fields_in_conflict"});
  for (const ActionRow& a : rows) {
    std::string conflicts;
    for (const std::string& f : a.fields_in_conflict)
      conflicts += (conflicts.empty() ? "" : ";") + f;
    const ActionReview* last = a.last_reviewed ? &*a.last_reviewed : nullptr;
    PrintCsvRow({a.id, a.meeting_id, a.meeting_date, a.number, a.action, a.responsible_party,
                 a.status, a.due.text, a.due.date.value_or(""), DuePrecisionName(a.due.precision),
                 a.due.basis, a.open ? "yes" : "no", a.overdue ? "yes" : "no",
                 last ? last->meeting_id : "", last ? last->meeting_date : "",
                 last ? last->record_id : "", last ? last->number : "",
                 std::to_string(a.reviews.size()), conflicts});
  }
}

int RunActions(const Context& ctx, const ReportArgs& args) {
  if (ctx.json && args.csv) return UsageError(InvalidArgument("--json and --csv: choose one"));
  if (!args.today.empty() && !IsValidDate(args.today)) {
    return UsageError(InvalidArgument("--today '" + args.today + "' is not a date (YYYY-MM-DD)"));
  }
  auto store = ctx.OpenStore();
  if (!store.ok()) return Fail(store.status());
  ActionQuery query;
  query.open_only = args.open;
  query.overdue_only = args.overdue;
  query.meeting = args.meeting;
  query.party = args.party;
  query.today = args.today.empty() ? LocalToday(**store) : args.today;
  auto rows = ReportActions(**store, query);
  if (!rows.ok()) return Fail(rows.status());
  if (ctx.json) {
    PrintJson(ActionReportJson(*rows, query.today));
  } else if (args.csv) {
    PrintActionsCsv(*rows);
  } else {
    PrintActionsText(*rows, query.today);
  }
  return kExitOk;
}

// ---- accord report plan

std::string Recorder(const PartyAssessment& p) {
  // An assessment is its party's own: one recorded by another party's office says so.
  if (p.recorder_party && !p.recorder_party->empty() && *p.recorder_party != p.party) {
    return "recorded by " + p.recorded_by + " (" + *p.recorder_party + ")";
  }
  return "";
}

void PrintPlanText(const PlanReport& plan, const PlanSignatures& signatures) {
  std::cout << "Plan " << plan.id << ": " << FirstLine(plan.title) << "\n";
  std::string period = plan.period_start.empty() && plan.period_end.empty()
                           ? ""
                           : plan.period_start + "–" + plan.period_end;
  std::cout << "  parties " << (plan.parties.empty() ? "—" : plan.parties) << "   period "
            << (period.empty() ? "—" : period) << "   status "
            << (plan.status.empty() ? "—" : plan.status) << "\n";
  for (const SignatureCheck& check : signatures.checks) {
    std::cout << "  signed by " << SignatureField(check, "signatory");
    if (!SignatureField(check, "signed_on").empty()) {
      std::cout << " on " << SignatureField(check, "signed_on");
    }
    std::cout << ": "
              << (check.intact() ? "intact"
                                 : "AMENDED since signing (" +
                                       std::to_string(check.amended.size()) + " record(s))")
              << "\n";
  }
  for (const ObjectiveProgress& o : plan.objectives) {
    std::cout << "\nObjective " << o.number << "  " << TruncateToWidth(FirstLine(o.text), 100)
              << "\n";
    for (const ActivityProgress& a : o.activities) {
      std::cout << "\n  Activity " << a.number << "  "
                << TruncateToWidth(FirstLine(a.description), 96)
                << (a.fields_in_conflict.empty() ? "" : "  [conflict]")
                << (signatures.amended.count(a.id) ? "  [amended since signing]" : "") << "\n";
      Table facts({20, 100});
      if (!a.responsible_agency.empty()) facts.Add({"responsible", a.responsible_agency});
      if (!a.timeframe.empty()) facts.Add({"timeframe", a.timeframe});
      if (!a.total_target.empty()) facts.Add({"total target", a.total_target});
      facts.Print("    ");
      if (!a.targets.empty()) {
        std::cout << "    targets per year\n";
        Table targets({6, 100});
        for (const YearTarget& t : a.targets) targets.Add({t.year.empty() ? "" : t.year, t.target});
        targets.Print("      ");
      }
      std::cout << "    assessments\n";
      Table progress({8, 12, 12, 12, 70});
      for (const PartyAssessment& p : a.latest) {
        std::string narrative = p.narrative;
        std::string recorder = Recorder(p);
        if (!recorder.empty()) narrative = "[" + recorder + "] " + narrative;
        progress.Add(
            {p.party, p.period, p.status, p.assessed_on.empty() ? "—" : p.assessed_on, narrative});
      }
      if (a.latest.empty()) progress.Add({"—", "", "", "", "no party has assessed it yet"});
      progress.Print("      ");
      if (!a.shared_status.empty()) {
        std::cout << "      shared field progress_status: " << a.shared_status << "\n";
      }
    }
  }
}

void PrintPlanCsv(const PlanReport& plan) {
  std::vector<std::string> header = {"objective_number", "objective",
                                     "activity_id",      "activity_number",
                                     "description",      "responsible_agency",
                                     "timeframe",        "total_target",
                                     "targets_per_year", "shared_progress_status"};
  for (const std::string& party : plan.assessing_parties) {
    for (const char* column : {"period", "status", "assessed_on", "narrative"}) {
      header.push_back(party + "_" + column);
    }
  }
  PrintCsvRow(header);
  for (const ObjectiveProgress& o : plan.objectives) {
    for (const ActivityProgress& a : o.activities) {
      std::string targets;
      for (const YearTarget& t : a.targets) {
        targets += (targets.empty() ? "" : "; ") + (t.year.empty() ? "" : t.year + ": ") + t.target;
      }
      std::vector<std::string> row = {o.number,       FirstLine(o.text), a.id,
                                      a.number,       a.description,     a.responsible_agency,
                                      a.timeframe,    a.total_target,    targets,
                                      a.shared_status};
      for (const std::string& party : plan.assessing_parties) {
        const PartyAssessment* found = nullptr;
        for (const PartyAssessment& p : a.latest) {
          if (p.party == party) found = &p;
        }
        row.push_back(found ? found->period : "");
        row.push_back(found ? found->status : "");
        row.push_back(found ? found->assessed_on : "");
        row.push_back(found ? found->narrative : "");
      }
      PrintCsvRow(row);
    }
  }
}

int RunPlan(const Context& ctx, const ReportArgs& args) {
  if (ctx.json && args.csv) return UsageError(InvalidArgument("--json and --csv: choose one"));
  auto store = ctx.OpenStore();
  if (!store.ok()) return Fail(store.status());
  auto plan = ReportPlan(**store, args.plan);
  if (!plan.ok()) return Fail(plan.status());
  auto signatures = CheckPlanSignatures(**store, args.plan);
  if (!signatures.ok()) return Fail(signatures.status());
  if (ctx.json) {
    PrintJson(PlanReportJson(*plan, *signatures));
  } else if (args.csv) {
    PrintPlanCsv(*plan);
  } else {
    PrintPlanText(*plan, *signatures);
  }
  return kExitOk;
}

}  // namespace

void AddReportCommands(CLI::App& app, Context& ctx, Runner& run) {
  auto args = std::make_shared<ReportArgs>();
  auto* report = app.add_subcommand("report", "Reports for preparing a meeting");
  report->require_subcommand(1);

  auto* actions = report->add_subcommand(
      "actions",
      "Action items with owner, due date, status and the meeting that last reviewed them");
  actions->add_flag("--open", args->open, "Only items still open or in progress");
  actions->add_flag("--overdue", args->overdue, "Only open items whose due date has passed");
  actions->add_option("--meeting", args->meeting, "Only items agreed at this meeting (id)");
  actions->add_option("--party", args->party,
                      "Only items whose responsible party names this party (code or id)");
  actions->add_option("--today", args->today,
                      "Judge overdue as of this day, YYYY-MM-DD (default: today on this "
                      "machine's calendar)");
  actions->add_flag("--csv", args->csv, "Print CSV (UTF-8) for a spreadsheet");
  AddJsonFlag(actions, ctx);
  OnRun(actions, run, [&ctx, args] { return RunActions(ctx, *args); });

  auto* plan = report->add_subcommand(
      "plan", "A plan's objectives, activities, targets per year and each party's assessment");
  plan->add_option("plan", args->plan, "Plan id")->required();
  plan->add_flag("--csv", args->csv, "Print CSV (UTF-8), one row per activity");
  AddJsonFlag(plan, ctx);
  OnRun(plan, run, [&ctx, args] { return RunPlan(ctx, *args); });
}

}  // namespace accord::cli
