// Offline bundles: bundle create, apply, ack, inspect.
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>

#include "cli/cli_context.h"
#include "cli/scope_exit_output.h"
#include "cli/tls_paths.h"
#include "core/hex.h"
#include "core/json_codec.h"
#include "core/node_id.h"
#include "core/peer_book.h"
#include "core/time_format.h"
#include "sync/bundle.h"
#include "sync/signed_changes.h"

namespace accord::cli {

namespace {

using nlohmann::json;

struct BundleArgs {
  std::string peer;
  std::string out;
  std::string file;
  bool since_scratch = false;
  std::string receiver_cert;
  TlsPaths tls;
};

json InfoJson(const sync::BundleInfo& info) {
  json types = json::object();
  for (const auto& [type, n] : info.states_per_type) types[type] = n;
  return {{"format_version", info.format_version},
          {"kind", info.is_ack ? "ack" : "changes"},
          {"sender", info.sender},
          {"receiver", info.receiver},
          {"created_at", FormatUtcMs(info.created_ms)},
          {"from_scratch", info.from_scratch},
          {"base_knowledge", VersionVectorJson(info.base_knowledge)},
          {"sender_knowledge", VersionVectorJson(info.sender_knowledge)},
          {"field_states", info.states},
          {"chunks", info.chunks},
          {"states_per_type", types},
          {"bytes", info.file_bytes},
          {"sha256", info.checksum_hex},
          {"policy_version", info.policy_version},
          {"purge_orders", info.purge_orders.size()},
          {"encrypted_for_key", info.encrypted ? HexEncode(info.receiver_key_id) : ""}};
}

// A peer given by address-book name resolves to its node id.
std::string ResolvePeer(Store& store, const std::string& peer) {
  auto named = store.peers().FindByName(peer);
  if (named.ok() && *named && !(*named)->peer_id.empty()) return (*named)->peer_id;
  return peer;
}

sync::BundleProgressFn Progress(const Context& ctx, const char* verb) {
  if (ctx.json) return {};
  return [verb](const sync::BundleProgress& p) {
    if (!p.file_name.empty()) {  // attachments' files, after the states
      std::cerr << "\r" << verb << " file " << p.file_name << ": " << p.file_bytes << " / "
                << p.file_total << " bytes" << std::flush;
      return;
    }
    if (p.states % 50000 == 0 || p.states == p.total) {
      std::cerr << "\r" << verb << " " << p.states;
      if (p.total) std::cerr << " / " << p.total;
      std::cerr << " field states" << std::flush;
    }
  };
}

int RunCreate(const Context& ctx, BundleArgs& args, bool ack) {
  if (!IsValidNodeId(args.peer)) {
    return UsageError(InvalidArgument("'" + args.peer + "' is not a node id or peer name"));
  }
  args.tls.DefaultFrom(ctx);
  auto store = ctx.OpenStore();
  if (!store.ok()) return Fail(store.status());
  auto signer = sync::NodeSigner::Load(args.tls.cert, args.tls.key);
  if (!signer.ok()) return Fail(signer.status());
  std::string receiver = ResolvePeer(**store, args.peer);
  std::string out = args.out.empty()
                        ? (*store)->node_id() + "-to-" + receiver + (ack ? ".ack" : ".bundle")
                        : args.out;
  std::string receiver_cert_pem;
  if (!args.receiver_cert.empty()) {
    // The receiver's certificate says which party it belongs to, and so
    // what the bundle may carry to it (docs/sharing.md).
    auto verifier = sync::PeerVerifier::Load(args.tls.ca, args.tls.revoked, args.tls.crl);
    if (!verifier.ok()) return Fail(verifier.status());
    std::ifstream in(args.receiver_cert, std::ios::binary);
    std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) return Fail(NotFound("cannot read " + args.receiver_cert));
    if (pem.empty()) return Fail(InvalidArgument(args.receiver_cert + " is empty or missing"));
    Status learnt = sync::LearnPeerParty(**store, *verifier, pem, receiver);
    if (!learnt.ok()) return Fail(learnt.WithContext(args.receiver_cert + ": "));
    receiver_cert_pem = pem;
  }
  if (!ack) {
    auto party = (*store)->PartyOf(receiver);
    if (!party.ok()) return Fail(party.status());
    if (!party->has_value() || (*party)->empty()) {
      std::cerr << "note: " << receiver
                << "'s party is not known here (never synced, no --receiver-cert): the bundle "
                   "carries only what every node may hold\n";
    }
  }
  // The receiver's certified key encrypts the changes for it: the one given,
  // else the one this node keeps from the receiver's proved writes.
  auto verifier = sync::PeerVerifier::Load(args.tls.ca, args.tls.revoked, args.tls.crl);
  if (!verifier.ok()) return Fail(verifier.status());
  sync::BundleCreateOptions options;
  options.receiver = receiver;
  options.protected_paths = ctx.OwnFiles();
  // The TLS files given by --ca/--cert/--key may live outside the node.
  options.protected_paths.insert(
      options.protected_paths.end(),
      {args.tls.ca, args.tls.cert, args.tls.key, args.tls.revoked, args.tls.crl});
  options.verifier = &*verifier;
  options.receiver_cert_pem = receiver_cert_pem;
  Result<sync::BundleInfo> info = Status::Ok();
  if (ack) {
    info = sync::CreateAck(**store, *signer, out, options);
  } else {
    options.from_scratch = args.since_scratch;
    options.on_progress = Progress(ctx, "written");
    info = sync::CreateBundle(**store, *signer, out, options);
  }
  if (!info.ok()) return Fail(info.status());
  if (ctx.json) {
    json out_json = InfoJson(*info);
    out_json["file"] = out;
    out_json["attachment_files"] = info->attachment_files;
    out_json["attachment_bytes"] = info->attachment_bytes;
    PrintJson(out_json);
  } else {
    if (!ack && info->states) std::cerr << "\n";
    std::cout << "wrote " << out << ": "
              << (ack ? "acknowledgement" : std::to_string(info->states) + " field states")
              << " for " << info->receiver << ", " << info->file_bytes << " bytes\n";
    if (info->attachment_files) {
      std::cout << "with " << info->attachment_files << " attachment file(s), "
                << info->attachment_bytes << " bytes\n";
    }
  }
  return kExitOk;
}

int RunApply(const Context& ctx, BundleArgs& args) {
  args.tls.DefaultFrom(ctx);
  auto verifier = sync::PeerVerifier::Load(args.tls.ca, args.tls.revoked, args.tls.crl);
  if (!verifier.ok()) return Fail(verifier.status());
  auto store = ctx.OpenStore();
  if (!store.ok()) return Fail(store.status());
  // This node's key opens a bundle encrypted for it.
  auto own_key = sync::NodeSigner::Load(args.tls.cert, args.tls.key);
  if (!own_key.ok()) return Fail(own_key.status());
  auto result =
      sync::ApplyBundle(**store, *verifier, args.file, &*own_key, Progress(ctx, "applied"));
  if (!result.ok()) {
    std::cerr << "accord: " << args.file << ": " << result.status().message() << "\n";
    return kExitFailure;
  }
  json exits;
  // Records erased by the purge orders it carried, then those that left
  // this node's scope.
  std::vector<PurgedRecord> purged = result->purge_orders.purged;
  purged.insert(purged.end(), result->applied.purged.begin(), result->applied.purged.end());
  std::vector<std::string> warnings = result->purge_orders.warnings;
  warnings.insert(warnings.end(), result->applied.warnings.begin(), result->applied.warnings.end());
  AddScopeExitsJson(purged, result->applied.notices_ignored, warnings, exits);
  json orders_refused = json::array();
  for (const auto& [id, why] : result->purge_orders.refused) {
    orders_refused.push_back((id == "?" ? "" : "record " + id + ": ") + why);
  }
  exits["purge_orders_taken"] = result->purge_orders.taken.size();
  exits["purge_orders_refused"] = orders_refused;
  if (ctx.json) {
    json out = {{"file", args.file},
                {"bundle", InfoJson(result->info)},
                {"received", result->applied.received},
                {"applied", result->applied.applied},
                {"unchanged", result->applied.unchanged},
                {"resumed_chunks", result->chunks_resumed},
                {"resumed_states", result->states_resumed},
                {"new_conflicts", result->applied.new_conflicts},
                {"knowledge_merged", result->knowledge_merged},
                {"files_received", result->files.files},
                {"file_bytes_received", result->files.bytes},
                {"file_problems", result->files.problems}};
    if (result->policy_taken) out["policy_taken"] = result->policy_taken;
    out.update(exits);
    PrintJson(out);
    return kExitOk;
  }
  if (result->policy_taken) {
    std::cout << "sharing policy version " << result->policy_taken << " taken from "
              << result->info.sender << ": this node judges with it now (accord policy show)\n";
  }
  for (const auto& line : orders_refused) {
    std::cout << "purge order refused: " << line.get<std::string>() << "\n";
  }
  if (result->info.is_ack) PrintScopeExits(exits);
  if (result->info.is_ack) {
    std::cout << "recorded " << result->info.sender << "'s acknowledgement: it holds "
              << result->info.sender_knowledge.ToText() << "\n";
    return kExitOk;
  }
  if (result->info.states) std::cerr << "\n";
  if (result->chunks_resumed) {
    std::cout << "resumed: " << result->chunks_resumed << " chunk(s), " << result->states_resumed
              << " field states, were already in\n";
  }
  std::cout << "applied bundle from " << result->info.sender << ": " << result->applied.applied
            << " of " << result->info.states << " field states changed this node, "
            << result->applied.new_conflicts << " new conflict(s)\n";
  if (result->applied.new_conflicts) std::cout << "review them with: accord conflicts\n";
  if (result->files.files || result->files.bytes) {
    std::cout << "files: " << result->files.files << " attachment file(s) now held whole, "
              << result->files.bytes << " bytes taken\n";
  }
  for (const std::string& line : result->files.problems) {
    std::cout << "file not taken: " << line << "\n";
  }
  PrintScopeExits(exits);
  std::cout << "tell " << result->info.sender << " what arrived: accord bundle ack --for "
            << result->info.sender << "\n";
  return kExitOk;
}

int RunInspect(const Context& ctx, BundleArgs& args) {
  args.tls.DefaultFrom(ctx);
  auto verifier = sync::PeerVerifier::Load(args.tls.ca, args.tls.revoked, args.tls.crl);
  Status verify = verifier.ok() ? Status::Ok() : verifier.status();
  Status verified;
  auto info = sync::InspectBundle(args.file, verifier.ok() ? &*verifier : nullptr, &verified);
  if (!info.ok()) return Fail(info.status().WithContext(args.file + ": "));
  if (!verify.ok()) verified = verify;
  if (ctx.json) {
    json out = InfoJson(*info);
    out["file"] = args.file;
    out["verifies"] = verified.ok();
    if (!verified.ok()) out["verify_error"] = verified.message();
    PrintJson(out);
  } else {
    std::cout << args.file << "\n  " << (info->is_ack ? "acknowledgement" : "changes") << " from "
              << info->sender << " for " << info->receiver << ", written "
              << FormatUtcMs(info->created_ms) << "\n  format " << info->format_version << ", "
              << info->file_bytes << " bytes, " << info->states << " field states in "
              << info->chunks << " chunks, sharing policy version " << info->policy_version << "\n"
              << (info->encrypted ? "  encrypted for " + info->receiver + "'s key " +
                                        HexEncode(info->receiver_key_id).substr(0, 16) +
                                        "…: only that node can read the field states\n"
                                  : std::string());
    for (const auto& [type, n] : info->states_per_type)
      std::cout << "    " << type << "  " << n << "\n";
    std::cout << "  sha256 " << info->checksum_hex << "\n  "
              << (verified.ok() ? "signature verifies against the deployment CA"
                                : "DOES NOT VERIFY: " + verified.message())
              << "\n";
  }
  return verified.ok() ? kExitOk : kExitFailure;
}

}  // namespace

void AddBundleCommands(CLI::App& app, Context& ctx, Runner& run) {
  auto args = std::make_shared<BundleArgs>();
  auto* bundle = app.add_subcommand("bundle", "Carry changes on a file when there is no link");
  bundle->require_subcommand(1);

  auto* create = bundle->add_subcommand("create", "Write the changes PEER is not known to have");
  create->add_option("--for", args->peer, "The receiving node id (or peer name)")->required();
  create->add_option("--out", args->out, "Output file (default: SELF-to-PEER.bundle)");
  create->add_flag("--since-scratch", args->since_scratch, "Everything, not only what PEER lacks");
  create->add_option("--receiver-cert", args->receiver_cert,
                     "The receiver's node certificate (its tls/node.pem): its party decides "
                     "what the bundle may carry, when the two nodes never synced");
  AddJsonFlag(create, ctx);
  args->tls.AddOptions(create);
  OnRun(create, run, [&ctx, args] { return RunCreate(ctx, *args, false); });

  auto* apply =
      bundle->add_subcommand("apply", "Verify and apply a bundle (or an acknowledgement)");
  apply->add_option("file", args->file, "The bundle file")->required();
  AddJsonFlag(apply, ctx);
  args->tls.AddOptions(apply);
  OnRun(apply, run, [&ctx, args] { return RunApply(ctx, *args); });

  auto* ack = bundle->add_subcommand("ack", "Write an acknowledgement of what this node holds");
  ack->add_option("--for", args->peer, "The node that sent the bundles")->required();
  ack->add_option("--out", args->out, "Output file (default: SELF-to-PEER.ack)");
  AddJsonFlag(ack, ctx);
  args->tls.AddOptions(ack);
  OnRun(ack, run, [&ctx, args] { return RunCreate(ctx, *args, true); });

  auto* inspect = bundle->add_subcommand(
      "inspect", "Show a bundle's header and counts, and whether it verifies");
  inspect->add_option("file", args->file, "The bundle file")->required();
  AddJsonFlag(inspect, ctx);
  args->tls.AddOptions(inspect);
  OnRun(inspect, run, [&ctx, args] { return RunInspect(ctx, *args); });
}

}  // namespace accord::cli
