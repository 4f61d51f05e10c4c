// Who receives what: policy show, sign and install; where.
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>

#include "cli/cli_context.h"
#include "cli/tls_paths.h"
#include "core/output_file.h"
#include "core/record_id.h"
#include "core/sharing_policy.h"
#include "core/time_format.h"
#include "sync/signed_policy.h"

namespace accord::cli {

namespace {

// Where a policy version came from, for people.
std::string Provenance(const HeldPolicy& held) {
  if (held.built_in()) return "built in; docs/sharing.md";
  return "signed by " + held.signer + ", key " + held.key_id.substr(0, 16) + "; " + held.source +
         ", " + FormatUtcMs(held.installed_at_ms);
}

void PrintPolicyRules(const SharingPolicy& policy) {
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
  for (const auto& [type, days] : policy.superseded_days) {
    std::cout << "retention: superseded values of " << type << " kept " << days
              << " days, then pruned\n";
  }
}

int RunPolicyShow(const Context& ctx) {
  auto store = ctx.OpenStore();
  if (!store.ok()) return Fail(store.status());
  auto held = (*store)->CurrentPolicy();
  if (!held.ok()) return Fail(held.status());
  auto all = (*store)->HeldPolicies();
  if (!all.ok()) return Fail(all.status());
  std::vector<int> versions;
  for (const auto& h : *all) versions.push_back(h.policy.version);
  if (ctx.json) {
    nlohmann::json out = nlohmann::json::parse(held->policy.ToJson());
    out["source"] = held->source;
    if (!held->built_in()) {
      out["signer"] = held->signer;
      out["key_id"] = held->key_id;
      out["installed_at"] = FormatUtcMs(held->installed_at_ms);
    }
    out["versions_held"] = versions;
    PrintJson(out);
    return kExitOk;
  }
  std::cout << "sharing policy version " << held->policy.version << " (" << Provenance(*held)
            << ")\n";
  PrintPolicyRules(held->policy);
  if (versions.size() > 1) {
    std::cout << "versions held (for peers that still judge with an older one):";
    for (int v : versions) std::cout << " " << v;
    std::cout << "\n";
  }
  return kExitOk;
}

Result<std::string> ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read " + path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return IoError("cannot read " + path);
  return text;
}

struct PolicyArgs {
  std::string ca_dir, ca_cert, ca_key, in, out, file;
  TlsPaths tls;
};

int RunPolicySign(const Context& ctx, const PolicyArgs& args) {
  std::string cert = args.ca_cert, key = args.ca_key;
  if (!args.ca_dir.empty()) {
    if (!cert.empty() || !key.empty()) {
      return UsageError(InvalidArgument("give --ca-dir, or --ca-cert and --ca-key, not both"));
    }
    cert = args.ca_dir + "/ca.pem";
    key = args.ca_dir + "/ca.key";
  } else if (cert.empty() || key.empty()) {
    return UsageError(InvalidArgument(
        "the deployment CA signs the policy: give --ca-dir DIR, or --ca-cert and --ca-key"));
  }
  if (args.in == args.out) return UsageError(InvalidArgument("--out must differ from --in"));
  auto text = ReadText(args.in);
  if (!text.ok()) return Fail(text.status());
  auto signed_text = sync::SignPolicy(*text, cert, key);
  if (!signed_text.ok()) return Fail(signed_text.status().WithContext(args.in + ": "));
  std::vector<std::string> never = ctx.OwnFiles();
  never.insert(never.end(), {cert, key});
  auto out = OutputFile::Create(args.out, never);
  if (!out.ok()) return Fail(out.status());
  Status written = out->Write(*signed_text);
  if (written.ok()) written = out->Commit();
  if (!written.ok()) return Fail(written);
  auto policy = SharingPolicy::Parse(*text);
  int version = policy.ok() ? policy->version : 0;
  if (ctx.json) {
    PrintJson({{"out", args.out}, {"version", version}});
    return kExitOk;
  }
  std::cout << "signed sharing policy version " << version << " into " << args.out
            << "; on each node: accord policy install " << args.out
            << " (or let sync and bundles carry it)\n";
  return kExitOk;
}

int RunPolicyInstall(const Context& ctx, PolicyArgs& args) {
  args.tls.DefaultFrom(ctx);
  auto verifier = sync::PeerVerifier::Load(args.tls.ca, args.tls.revoked, args.tls.crl);
  if (!verifier.ok()) return Fail(verifier.status());
  auto text = ReadText(args.file);
  if (!text.ok()) return Fail(text.status());
  auto store = ctx.OpenStore();
  if (!store.ok()) return Fail(store.status());
  auto held = sync::VerifySignedPolicy(*verifier, *text);
  if (!held.ok()) return Fail(held.status().WithContext(args.file + ": refused: "));
  auto current = (*store)->CurrentPolicy();
  if (!current.ok()) return Fail(current.status());
  const int previous = current->policy.version;
  if (held->policy.version <= previous) {
    return Fail(FailedPrecondition(args.file + ": refused: it is sharing policy version " +
                                   std::to_string(held->policy.version) +
                                   ", and this node holds version " + std::to_string(previous) +
                                   " (" + Provenance(*current) +
                                   "); only a newer version replaces it. Nothing changed"));
  }
  held->source = "installed";
  auto installed = (*store)->InstallPolicy(*held);
  if (!installed.ok()) return Fail(installed.status().WithContext(args.file + ": "));
  if (ctx.json) {
    PrintJson({{"version", held->policy.version},
               {"previous_version", previous},
               {"signer", held->signer},
               {"key_id", held->key_id}});
    return kExitOk;
  }
  std::cout << "installed sharing policy version " << held->policy.version << " (signed by "
            << held->signer << "); it replaces version " << previous
            << ". Peers take it at their next sync or bundle from this node\n";
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

  auto args = std::make_shared<PolicyArgs>();
  auto* sign = policy->add_subcommand(
      "sign", "Sign a new policy version with the deployment CA's key (on the CA's machine)");
  sign->add_option("--ca-dir", args->ca_dir, "Folder holding ca.pem and ca.key");
  sign->add_option("--ca-cert", args->ca_cert, "The CA certificate (instead of --ca-dir)");
  sign->add_option("--ca-key", args->ca_key, "The CA private key (instead of --ca-dir)");
  sign->add_option("--in", args->in, "The policy (JSON, as `accord policy show --json` prints)")
      ->required();
  sign->add_option("--out", args->out, "The signed policy to write")->required();
  AddJsonFlag(sign, ctx);
  OnRun(sign, run, [&ctx, args] { return RunPolicySign(ctx, *args); });

  auto* install = policy->add_subcommand(
      "install", "Install a newer signed policy on this node (checked against the CA)");
  install->add_option("file", args->file, "The signed policy (from `accord policy sign`)")
      ->required();
  install->add_option("--ca", args->tls.ca, "Deployment CA certificate (default: DIR/tls/ca.pem)");
  AddJsonFlag(install, ctx);
  OnRun(install, run, [&ctx, args] { return RunPolicyInstall(ctx, *args); });

  auto id = std::make_shared<std::string>();
  auto* where =
      app.add_subcommand("where", "Where a record may go, and which known nodes may hold it");
  where->add_option("id", *id, "Record id")->required();
  AddJsonFlag(where, ctx);
  OnRun(where, run, [&ctx, id] { return RunWhere(ctx, *id); });
}

}  // namespace accord::cli
