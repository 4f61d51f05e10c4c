// Certificates for demos and tests, and the address book of peers.
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/cli_context.h"
#include "core/json_codec.h"
#include "core/node_id.h"
#include "core/peer_book.h"
#include "core/time_format.h"
#include "sync/identity.h"

namespace accord::cli {

namespace {

using nlohmann::json;

struct PeerArgs {
  std::string name, url;
  std::string ca_dir, out, node_id, party, ca_name = "Accord deployment CA";
};

int RunCertCa(const Context& ctx, const PeerArgs& args) {
  Status st = sync::MakeDeploymentCa(args.out, args.ca_name);
  if (!st.ok()) return Fail(st);
  if (ctx.json) {
    PrintJson({{"ca", args.out + "/ca.pem"}, {"key", args.out + "/ca.key"}});
  } else {
    std::cout << "deployment CA written to " << args.out << "/ca.pem (keep " << args.out
              << "/ca.key offline)\n";
  }
  return kExitOk;
}

int RunCertNode(const Context& ctx, const PeerArgs& args) {
  if (!args.node_id.empty() && !IsValidNodeId(args.node_id)) {
    return UsageError(InvalidArgument("'" + args.node_id + "' is not a valid node id"));
  }
  std::string node_id = args.node_id;
  std::string out = args.out;
  if (node_id.empty() || out.empty()) {
    // Default: a certificate for this node, into its own tls/ folder.
    auto store = ctx.OpenStore();
    if (!store.ok()) return Fail(store.status());
    if (node_id.empty()) node_id = (*store)->node_id();
    if (out.empty()) out = ctx.TlsDir();
  }
  std::string party = args.party.empty() ? sync::PartyFromNodeId(node_id) : args.party;
  if (party == "none") party.clear();
  Status st = sync::MakeNodeCertificate(args.ca_dir, node_id, out, party);
  if (!st.ok()) return Fail(st);
  if (args.node_id.empty() || args.out.empty()) {
    // This node's own certificate: its party decides where the cases it
    // opens may go, from now on (it is also recorded at every sync).
    auto store = ctx.OpenStore();
    if (store.ok() && (*store)->node_id() == node_id) {
      if (Status noted = (*store)->RecordNodeParty(node_id, party); !noted.ok()) return Fail(noted);
    }
  }
  if (ctx.json) {
    PrintJson({{"node_id", node_id},
               {"party", party},
               {"cert", out + "/node.pem"},
               {"key", out + "/node.key"},
               {"ca", out + "/ca.pem"}});
  } else {
    std::cout << "certificate for " << node_id
              << (party.empty() ? " (no party: it receives only what every node may hold)"
                                : " of party " + party)
              << " written to " << out << "/node.pem\n";
  }
  return kExitOk;
}

int RunPeerAdd(const Context& ctx, const PeerArgs& args) {
  if (!IsValidNodeId(args.name)) {
    return UsageError(InvalidArgument("peer name '" + args.name +
                                      "' is not valid: letters, digits and '-', at most 32 "
                                      "characters"));
  }
  if (args.url.rfind("https://", 0) != 0) {
    return UsageError(InvalidArgument("peer URL '" + args.url + "' must start with https://"));
  }
  auto store = ctx.OpenStore();
  if (!store.ok()) return Fail(store.status());
  Status st = (*store)->peers().Add(args.name, args.url);
  if (!st.ok()) return Fail(st);
  if (!ctx.json)
    std::cout << "peer " << args.name << " -> " << args.url << "\n";
  else
    PrintJson({{"name", args.name}, {"url", args.url}});
  return kExitOk;
}

int RunPeerList(const Context& ctx) {
  auto store = ctx.OpenStore();
  if (!store.ok()) return Fail(store.status());
  auto peers = (*store)->peers().List();
  if (!peers.ok()) return Fail(peers.status());
  if (ctx.json) {
    json out = json::array();
    for (const auto& p : *peers) {
      out.push_back(
          {{"name", p.name},
           {"url", p.url},
           {"node_id", p.peer_id.empty() ? json(nullptr) : json(p.peer_id)},
           {"last_sync", p.last_sync_ms ? json(FormatUtcMs(p.last_sync_ms)) : json(nullptr)},
           {"their_knowledge", VersionVectorJson(p.their_knowledge)},
           {"inbound_cursor", p.inbound_cursor}});
    }
    PrintJson(out);
    return kExitOk;
  }
  for (const auto& p : *peers) {
    std::cout << p.name << "  " << p.url << "  "
              << (p.peer_id.empty() ? "(never synced)" : p.peer_id);
    if (p.last_sync_ms) std::cout << "  last sync " << FormatUtcMs(p.last_sync_ms);
    std::cout << "\n";
  }
  if (peers->empty()) std::cerr << "no peers yet: accord peer add NAME https://HOST:PORT\n";
  return kExitOk;
}

}  // namespace

void AddPeerCommands(CLI::App& app, Context& ctx, Runner& run) {
  auto args = std::make_shared<PeerArgs>();
  auto* cert =
      app.add_subcommand("cert", "Make a deployment CA and node certificates (demos and tests)");
  cert->require_subcommand(1);
  auto* ca = cert->add_subcommand("ca", "Create a deployment CA");
  ca->add_option("--out", args->out, "Folder for ca.pem and ca.key")->required();
  ca->add_option("--name", args->ca_name, "The CA's name");
  AddJsonFlag(ca, ctx);
  OnRun(ca, run, [&ctx, args] { return RunCertCa(ctx, *args); });
  auto* node = cert->add_subcommand("node", "Issue a node certificate (CN = node id) from the CA");
  node->add_option("--ca-dir", args->ca_dir, "Folder holding ca.pem and ca.key")->required();
  node->add_option("--node-id", args->node_id, "Node id (default: this node's)");
  node->add_option("--party", args->party,
                   "The node's party (e.g. KH): decides which records it may receive "
                   "(default: the node id's prefix, as in KH-POIPET; 'none' for no party)");
  node->add_option("--out", args->out, "Output folder (default: DIR/tls)");
  AddJsonFlag(node, ctx);
  OnRun(node, run, [&ctx, args] { return RunCertNode(ctx, *args); });

  auto* peer = app.add_subcommand("peer", "Remember the peers this node syncs with");
  peer->require_subcommand(1);
  auto* add = peer->add_subcommand("add", "Add or change a peer");
  add->add_option("name", args->name, "A short name, e.g. th-capital")->required();
  add->add_option("url", args->url, "https://HOST:PORT")->required();
  AddJsonFlag(add, ctx);
  OnRun(add, run, [&ctx, args] { return RunPeerAdd(ctx, *args); });
  auto* list = peer->add_subcommand("list", "List peers and what each is known to have");
  AddJsonFlag(list, ctx);
  OnRun(list, run, [&ctx] { return RunPeerList(ctx); });
}

}  // namespace accord::cli
