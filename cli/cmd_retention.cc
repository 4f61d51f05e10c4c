// Retention: `accord retention prune` applies the deployment's retention
// setting (the sharing policy's `retention` section, docs/sharing.md) now.
// `serve` also runs it hourly, and `sync` after each sync.
#include <iostream>
#include <memory>

#include "cli/cli_context.h"
#include "core/time_format.h"

namespace accord::cli {

using nlohmann::json;

json RetentionReportJson(const RetentionReport& report) {
  json types = json::array();
  for (const RetentionOfType& t : report.types) {
    types.push_back({{"type", t.type},
                     {"days", t.days},
                     {"superseded_before", FormatUtcMs(t.cutoff_ms)},
                     {"pruned", t.pruned},
                     {"records", t.records},
                     {"kept_scope_fields", t.kept_scope_fields}});
  }
  json out = {{"policy_version", report.policy_version}, {"dry_run", report.dry_run},
              {"at", FormatUtcMs(report.now_ms)},        {"types", types},
              {"not_personal", report.not_personal},     {"pruned", report.pruned}};
  if (!report.warning.empty()) out["warning"] = report.warning;
  return out;
}

void PrintRetentionReport(const RetentionReport& report, std::ostream& out) {
  if (report.types.empty()) {
    out << "no retention: sharing policy version " << report.policy_version
        << " keeps every superseded value of personal data";
    if (!report.not_personal.empty()) out << " (it names only types that are not personal here)";
    out << "\n";
    return;
  }
  const char* verb = report.dry_run ? "would prune" : "pruned";
  for (const RetentionOfType& t : report.types) {
    out << t.type << ": kept " << t.days << " days; " << verb << " " << t.pruned
        << " superseded value(s) of " << t.records << " record(s), replaced before "
        << FormatUtcMs(t.cutoff_ms) << "\n";
    if (t.kept_scope_fields > 0) {
      out << "  kept " << t.kept_scope_fields
          << " older value(s) of fields that decide where a record may go "
             "(docs/sharing.md, \"Retention\")\n";
    }
  }
  for (const std::string& type : report.not_personal) {
    out << type << ": not personal data on this node; its history is kept\n";
  }
  if (!report.warning.empty()) out << "warning: " << report.warning << "\n";
}

namespace {

int RunPrune(const Context& ctx, bool dry_run) {
  auto store = ctx.OpenStore();
  if (!store.ok()) return Fail(store.status());
  auto report = (*store)->PruneSuperseded(dry_run);
  if (!report.ok()) return Fail(report.status());
  if (ctx.json) {
    PrintJson(RetentionReportJson(*report));
  } else {
    PrintRetentionReport(*report, std::cout);
  }
  return kExitOk;
}

}  // namespace

void AddRetentionCommands(CLI::App& app, Context& ctx, Runner& run) {
  auto* retention = app.add_subcommand(
      "retention", "How long superseded values of personal data are kept (the sharing policy)");
  retention->require_subcommand(1);
  auto* prune = retention->add_subcommand(
      "prune",
      "Erase the values of superseded versions of personal data older than the deployment's "
      "retention (securely, WAL emptied); the live value and open conflicts stay");
  auto dry_run = std::make_shared<bool>(false);
  prune->add_flag("--dry-run", *dry_run, "Count what would be pruned; change nothing");
  AddJsonFlag(prune, ctx);
  OnRun(prune, run, [&ctx, dry_run] { return RunPrune(ctx, *dry_run); });
}

}  // namespace accord::cli
