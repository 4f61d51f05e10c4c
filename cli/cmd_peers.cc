// Certificates for demos and tests, and the address book of peers.
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/cli_context.h"
#include "core/json_codec.h"
#include "core/node_id.h"
#include "core/output_file.h"
#include "core/peer_book.h"
#include "core/time_format.h"
#include "sync/identity.h"
#include "sync/openssl_util.h"
#include "sync/revocation_list.h"

namespace accord::cli {

namespace {

using nlohmann::json;

struct PeerArgs {
  std::string name, url;
  std::string ca_dir, out, node_id, party, ca_name = "Accord deployment CA";
  std::string crl;                          // cert revoke: the signed list to extend
  std::vector<std::string> certs, serials;  // cert revoke: what to revoke
};

int64_t WallClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// On the CA's machine: adds certificates to the CA's signed revocation list.
int RunCertRevoke(const Context& ctx, const PeerArgs& args) {
  if (args.certs.empty() && args.serials.empty()) {
    return UsageError(InvalidArgument("name the certificates to revoke: CERT.pem or --serial HEX"));
  }
  std::vector<std::string> serials = args.serials;
  for (const std::string& path : args.certs) {
    auto pem = sync::ossl::ReadFile(path);
    if (!pem.ok()) return Fail(pem.status());
    auto serial = sync::CertificateSerial(*pem);
    if (!serial.ok()) return Fail(serial.status().WithContext(path + ": "));
    serials.push_back(*serial);
  }
  std::string previous;
  std::error_code ec;
  if (std::filesystem::exists(args.crl, ec)) {
    auto text = sync::ossl::ReadFile(args.crl);
    if (!text.ok()) return Fail(text.status());
    previous = *text;
  }
  auto signed_list = sync::SignRevocationList(args.ca_dir, previous, serials, WallClockMs());
  if (!signed_list.ok()) return Fail(signed_list.status());
  auto out = OutputFile::Create(args.crl);
  if (!out.ok()) return Fail(out.status());
  if (Status st = out->Write(*signed_list); !st.ok()) return Fail(st);
  if (Status st = out->Commit(); !st.ok()) return Fail(st);
  auto ca_pem = sync::ossl::ReadFile(args.ca_dir + "/ca.pem");
  auto list = ca_pem.ok() ? sync::VerifyRevocationList(*signed_list, *ca_pem)
                          : Result<sync::RevocationList>(ca_pem.status());
  if (!list.ok()) return Fail(list.status());
  if (ctx.json) {
    json revoked = json::array();
    for (const auto& r : list->revoked) {
      revoked.push_back({{"serial", r.serial_hex}, {"revoked_at", FormatUtcMs(r.revoked_at_ms)}});
    }
    PrintJson({{"crl", args.crl}, {"revoked", revoked}});
  } else {
    std::cout << "signed revocation list " << args.crl << " now names " << list->revoked.size()
              << " certificate(s); copy it to each node's tls/revoked.crl (and send `accord "
                 "serve` a SIGHUP): the revoked node is shown it when it next syncs, and locks "
                 "its personal data\n";
  }
  return kExitOk;
}

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

  auto* revoke = cert->add_subcommand(
      "revoke", "Add certificates to the CA's signed revocation list (on the CA's machine)");
  revoke->add_option("certs", args->certs, "Node certificates (PEM) to revoke");
  revoke->add_option("--serial", args->serials, "A certificate serial (hex) to revoke");
  revoke->add_option("--ca-dir", args->ca_dir, "Folder holding ca.pem and ca.key")->required();
  revoke
      ->add_option("--crl", args->crl,
                   "The signed list: extended if it exists, else made (e.g. revoked.crl)")
      ->required();
  AddJsonFlag(revoke, ctx);
  OnRun(revoke, run, [&ctx, args] { return RunCertRevoke(ctx, *args); });

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
