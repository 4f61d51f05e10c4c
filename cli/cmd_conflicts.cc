// Conflict review on the command line: conflicts, conflicts show, resolve.
#include <cstdlib>
#include <iostream>
#include <memory>

#include "cli/cli_context.h"
#include "core/conflicts.h"
#include "core/json_codec.h"
#include "core/text_rule.h"
#include "core/time_format.h"

namespace accord::cli {

namespace {

using nlohmann::json;

struct ConflictArgs {
  std::string type;
  std::string id;
  std::string take;
  std::string value;
  bool has_value = false;
  bool all = false;
  bool yes = false;
  std::string by;
};

void PrintConflict(const Conflict& c, bool details) {
  std::cout << c.id << "  " << c.record_label << "  " << c.record_id << "\n";
  std::cout << "  "
            << (c.field == kDeletedField ? "deleted on one node, edited on another"
                                         : "field " + c.field)
            << "\n";
  for (const auto& v : c.values) {
    std::cout << "    " << (v.provisional ? "* " : "  ") << v.summary << "   by "
              << WrittenBy(v.version) << " at " << FormatUtcMs(v.version.origin_time_ms) << "\n";
    if (details) {
      for (const auto& line : v.diff_from_ancestor)
        std::cout << "        " << line.op << " " << line.text << "\n";
    }
  }
  if (!details) return;
  if (c.ancestor) {
    std::cout << "  before (common ancestor): "
              << (c.ancestor->value ? *c.ancestor->value : "(empty)") << "   by "
              << WrittenBy(*c.ancestor) << "\n";
  }
  if (c.suggested_merge)
    std::cout << "  suggested merge (not applied):\n" << *c.suggested_merge << "\n";
  std::cout << "  record:\n";
  for (const auto& [name, value] : c.context) {
    if (value) std::cout << "    " << name << ": " << *value << "\n";
  }
  std::cout << "  resolve: accord resolve " << c.id << " --take NODE   or   --value TEXT\n";
}

Status CheckType(const std::string& type) {
  if (type.empty() || Schema::Get().FindType(type)) return Status::Ok();
  return InvalidArgument("unknown record type '" + type + "'");
}

int RunList(const Context& ctx, const ConflictArgs& args) {
  if (Status st = CheckType(args.type); !st.ok()) return UsageError(st);
  auto store = ctx.OpenStore();
  if (!store.ok()) return Fail(store.status());
  auto conflicts = ListConflicts(**store, args.type);
  if (!conflicts.ok()) return Fail(conflicts.status());
  if (ctx.json) {
    json out = json::array();
    for (const auto& c : *conflicts) out.push_back(ConflictJson(c, false));
    PrintJson(out);
    return kExitOk;
  }
  for (const auto& c : *conflicts) PrintConflict(c, false);
  std::cerr << conflicts->size() << " open conflict(s)"
            << (conflicts->empty()
                    ? ""
                    : "; `accord conflicts show ID` for details, * marks the value shown meanwhile")
            << "\n";
  return kExitOk;
}

int RunShow(const Context& ctx, const ConflictArgs& args) {
  auto store = ctx.OpenStore();
  if (!store.ok()) return Fail(store.status());
  auto c = GetConflict(**store, args.id);
  if (!c.ok()) return Fail(c.status());
  if (ctx.json) {
    PrintJson(ConflictJson(*c, true));
  } else {
    PrintConflict(*c, true);
  }
  return kExitOk;
}

std::string Reviewer(const ConflictArgs& args) {
  if (!args.by.empty()) return args.by;
  const char* user = std::getenv("USER");
  if (!user) return "";
  // An account name that is not text is left out, not signed.
  auto text = NormalizeText(user, /*long_text=*/false);
  return text.ok() ? *text : "";
}

int RunResolve(const Context& ctx, const ConflictArgs& args) {
  if (args.take.empty() == !args.has_value) {
    return UsageError(InvalidArgument("resolve with exactly one of --take NODE or --value TEXT"));
  }
  if (args.all && (args.type.empty() || args.take.empty())) {
    return UsageError(InvalidArgument("resolve --all needs --type TYPE and --take NODE"));
  }
  if (!args.all && args.id.empty()) {
    return UsageError(InvalidArgument("resolve needs a conflict ID (or --all --type TYPE)"));
  }
  if (Status st = CheckType(args.type); !st.ok()) return UsageError(st);
  ResolutionChoice choice;
  if (!args.take.empty()) choice.take_node = args.take;
  if (args.has_value) {
    if (args.value.empty()) {
      choice.clear = true;
    } else {
      choice.value = args.value;
    }
  }
  // Checked before anything is opened: the name is signed into the note.
  auto reviewer = NormalizeText(Reviewer(args), /*long_text=*/false);
  if (!reviewer.ok()) return UsageError(reviewer.status().WithContext("--by: the name "));
  choice.resolved_by = std::move(reviewer).value();
  auto store = ctx.OpenStoreAs();
  if (!store.ok()) return Fail(store.status());

  std::vector<std::string> ids;
  if (args.all) {
    auto conflicts = ListConflicts(**store, args.type);
    if (!conflicts.ok()) return Fail(conflicts.status());
    for (const auto& c : *conflicts) {
      for (const auto& v : c.values) {
        if (v.version.origin == args.take) {
          ids.push_back(c.id);
          break;
        }
      }
    }
    if (ids.empty()) {
      std::cerr << "no open " << args.type << " conflict has a value by " << args.take << "\n";
      return kExitOk;
    }
    if (!args.yes) {
      std::cerr << "resolve " << ids.size() << " " << args.type << " conflict(s) by taking "
                << args.take << "'s value? [y/N] ";
      std::string answer;
      if (!std::getline(std::cin, answer) || (answer != "y" && answer != "Y" && answer != "yes")) {
        std::cerr << "nothing resolved\n";
        return kExitFailure;
      }
    }
  } else {
    ids.push_back(args.id);
  }
  json results = json::array();
  int failures = 0;
  for (const auto& id : ids) {
    auto written = ResolveConflict(**store, id, choice);
    if (!written.ok()) {
      if (ids.size() == 1) return Fail(written.status());
      std::cerr << "accord: " << id << ": " << written.status().message() << "\n";
      ++failures;
      continue;
    }
    results.push_back({{"id", id}, {"value", *written ? json(**written) : json(nullptr)}});
    if (!ctx.json) std::cout << "resolved " << id << "\n";
  }
  if (ctx.json) PrintJson({{"resolved", results}});
  return failures ? kExitFailure : kExitOk;
}

}  // namespace

void AddConflictCommands(CLI::App& app, Context& ctx, Runner& run) {
  auto args = std::make_shared<ConflictArgs>();
  auto* conflicts = app.add_subcommand("conflicts", "List open conflicts for review");
  conflicts->add_option("--type", args->type, "Only conflicts on records of this type");
  AddJsonFlag(conflicts, ctx);
  auto* show =
      conflicts->add_subcommand("show", "One conflict with its ancestor, diffs and record");
  show->add_option("id", args->id, "Conflict id")->required();
  AddJsonFlag(show, ctx);
  OnRun(show, run, [&ctx, args] { return RunShow(ctx, *args); });
  conflicts->callback([&run, &ctx, args, show] {
    if (!show->parsed()) run = [&ctx, args] { return RunList(ctx, *args); };
  });

  auto* resolve =
      app.add_subcommand("resolve", "Resolve a conflict; the resolution syncs to every node");
  resolve->add_option("id", args->id, "Conflict id (from `accord conflicts`)");
  resolve->add_option("--take", args->take, "Keep the value written by this node");
  resolve->add_option("--value", args->value, "Set a merged value instead")
      ->each([args](const std::string&) { args->has_value = true; });
  resolve->add_flag("--all", args->all, "Every conflict of --type with a value by --take NODE");
  resolve->add_option("--type", args->type, "Record type, with --all");
  resolve->add_flag("--yes,-y", args->yes, "Do not ask for confirmation");
  resolve->add_option("--by", args->by,
                      "Reviewer's name for the history, on a node without users (default: "
                      "$USER); with users the reviewer is --as");
  AddActingUserOptions(resolve, ctx);
  AddJsonFlag(resolve, ctx);
  OnRun(resolve, run, [&ctx, args] { return RunResolve(ctx, *args); });
}

}  // namespace accord::cli
