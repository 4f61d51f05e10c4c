// Who receives what: policy show, where.
#include <iostream>
#include <memory>

#include "cli/cli_context.h"
#include "core/record_id.h"
#include "core/sharing_policy.h"

namespace accord::cli {

namespace {

int RunPolicyShow(const Context& ctx) {
  const SharingPolicy& policy = SharingPolicy::Default();
  if (ctx.json) {
    PrintJson(nlohmann::json::parse(policy.ToJson()));
    return kExitOk;
  }
  std::cout << "sharing policy version " << policy.version << " (built in; docs/sharing.md)\n";
  std::cout << "every node:";
  for (const auto& t : policy.everyone) std::cout << " " << t;
  std::cout << "\n";
  for (const auto& [type, rule] : policy.roots) {
    std::cout << type << ": ";
    if (!rule.parties_field.empty()) {
      std::cout << "the parties in its " << rule.parties_field << " field";
    } else {
      std::cout << "no parties field";
    }
    if (!rule.consent_field.empty()) {
      std::cout << ", only while every value of " << rule.consent_field << " is one of";
      for (const auto& v : rule.shared_when) std::cout << " " << v;
      if (!rule.override_value.empty()) {
        std::cout << " (" << rule.override_value << " only with " << rule.override_reason_field
                  << ")";
      }
    }
    std::cout << "; when none are recorded: "
              << (rule.unstated_goes_everywhere ? "every node"
                                                : "the party of the office that opened it")
              << "\n";
  }
  for (const auto& [type, refs] : policy.follow) {
    std::cout << type << ": follows its";
    for (const auto& r : refs) std::cout << " " << r;
    std::cout << "\n";
  }
  std::cout << "anything else: the party of the office that opened it\n";
  return kExitOk;
}

int RunWhere(const Context& ctx, const std::string& id) {
  if (!IsValidRecordId(id)) return UsageError(InvalidArgument("'" + id + "' is not a record id"));
  auto store = ctx.OpenStore();
  if (!store.ok()) return Fail(store.status());
  auto scope = (*store)->ScopeOf(id);
  if (!scope.ok()) return Fail(scope.status());
  auto nodes = (*store)->KnownNodeParties();
  if (!nodes.ok()) return Fail(nodes.status());
  nlohmann::json may = nlohmann::json::array(), may_not = nlohmann::json::array();
  for (const auto& [node, party] : *nodes) {
    nlohmann::json entry = {{"node", node}, {"party", party}};
    (scope->Allows(party) ? may : may_not).push_back(entry);
  }
  if (ctx.json) {
    PrintJson({{"id", id},
               {"everyone", scope->everyone},
               {"parties", scope->parties},
               {"owner_party", scope->owner_party},
               {"reason", scope->reason},
               {"known_nodes_that_may_hold_it", may},
               {"known_nodes_it_is_held_back_from", may_not}});
    return kExitOk;
  }
  std::cout << id << ": " << scope->reason << "\n";
  std::cout << "may go to: ";
  if (scope->everyone) {
    std::cout << "every node\n";
  } else {
    std::string sep;
    for (const auto& p : scope->parties) std::cout << sep << p, sep = ", ";
    std::cout << (scope->parties.empty() ? "no party known" : "") << "\n";
  }
  auto list = [](const char* label, const nlohmann::json& nodes_json) {
    std::cout << label;
    if (nodes_json.empty()) std::cout << " none";
    for (const auto& n : nodes_json) {
      std::cout << " " << n["node"].get<std::string>() << " ("
                << (n["party"].get<std::string>().empty() ? "no party"
                                                          : n["party"].get<std::string>())
                << ")";
    }
    std::cout << "\n";
  };
  list("known nodes that may hold it:", may);
  list("known nodes it is held back from:", may_not);
  return kExitOk;
}

}  // namespace

void AddSharingCommands(CLI::App& app, Context& ctx, Runner& run) {
  auto* policy =
      app.add_subcommand("policy", "The sharing policy: which records go to which nodes");
  policy->require_subcommand(1);
  auto* show = policy->add_subcommand("show", "Show the sharing policy this node applies");
  AddJsonFlag(show, ctx);
  OnRun(show, run, [&ctx] { return RunPolicyShow(ctx); });

  auto id = std::make_shared<std::string>();
  auto* where =
      app.add_subcommand("where", "Where a record may go, and which known nodes may hold it");
  where->add_option("id", *id, "Record id")->required();
  AddJsonFlag(where, ctx);
  OnRun(where, run, [&ctx, id] { return RunWhere(ctx, *id); });
}

}  // namespace accord::cli
