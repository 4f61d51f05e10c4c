// Networking commands: serve (the HTTPS peer endpoint and the review page) and sync.
#include <sys/resource.h>

#include <csignal>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

#include "cli/cli_context.h"
#include "cli/scope_exit_output.h"
#include "cli/tls_paths.h"
#include "client/clock_skew.h"
#include "client/https_transport.h"
#include "core/json_codec.h"
#include "core/peer_book.h"
#include "server/https_server.h"
#include "server/log.h"
#include "server/review_api.h"
#include "server/store_pool.h"
#include "sync/own_revocation.h"
#include "sync/sync_service.h"
#include "sync/sync_session.h"

namespace accord::cli {

namespace {

using nlohmann::json;

struct NetArgs {
  std::string listen = "127.0.0.1:8443";
  std::string ui_listen = "127.0.0.1:8080";
  bool no_ui = false;
  std::string target;  // URL or peer name
  bool all = false;
  uint32_t page_size = sync::kDefaultPageSize;
  TlsPaths tls;
};

Result<std::pair<std::string, int>> ParseHostPort(const std::string& text) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return InvalidArgument("'" + text + "' is not HOST:PORT");
  try {
    int port = std::stoi(text.substr(colon + 1));
    if (port <= 0 || port > 65535) throw std::out_of_range("port");
    return std::make_pair(text.substr(0, colon), port);
  } catch (...) {
    return InvalidArgument("'" + text + "' has no valid port");
  }
}

volatile std::sig_atomic_t g_stop = 0;
volatile std::sig_atomic_t g_reload = 0;
void OnSignal(int) {
  g_stop = 1;
}
// SIGHUP: re-read the revocation list, so revoking a stolen laptop's
// certificate takes effect without a restart.
void OnHangup(int) {
  g_reload = 1;
}

// The server's connection caps are fitted to the open-files limit
// (server/connection_limits.h); the soft limit is often far below what the
// system allows. Nothing in this process uses select(), so more is safe.
void RaiseOpenFilesLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
}

// One retention run of `serve`, logged when it pruned anything or failed.
void PruneFromServe(server::StorePool& stores) {
  auto store = stores.Acquire();
  if (!store.ok()) {
    server::Log("retention not applied: " + store.status().message());
    return;
  }
  auto report = (**store).PruneSuperseded();
  if (!report.ok()) {
    server::Log("retention not applied: " + report.status().message());
    return;
  }
  if (report->pruned > 0 || !report->warning.empty()) {
    server::Log("retention: " + JsonText(RetentionReportJson(*report)));
  }
  // Tombstones every known node acknowledged go with the same run
  // (docs/security.md, "Collecting tombstones").
  auto collected = (**store).CollectPurgeOrders(/*dry_run=*/false);
  if (!collected.ok()) {
    server::Log("tombstones not collected: " + collected.status().message());
    return;
  }
  for (const CollectedPurge& c : collected->collected) {
    server::Log("collected the tombstone of " + c.type + " " + c.record_id + " (order " +
                std::to_string(c.sequence) + " of " + c.issuer + ")");
  }
}

int RunServe(const Context& ctx, NetArgs& args) {
  args.tls.DefaultFrom(ctx);
  RaiseOpenFilesLimit();
  auto listen = ParseHostPort(args.listen);
  if (!listen.ok()) return UsageError(listen.status());
  server::ServerOptions options;
  options.listen_host = listen->first;
  options.port = listen->second;
  options.ca_path = args.tls.ca;
  options.cert_path = args.tls.cert;
  options.key_path = args.tls.key;
  options.revoked_path = args.tls.revoked;
  options.crl_path = args.tls.crl;
  if (!args.no_ui) {
    auto ui = ParseHostPort(args.ui_listen);
    if (!ui.ok()) return UsageError(ui.status());
    if (ui->first != "127.0.0.1" && ui->first != "localhost") {
      return UsageError(InvalidArgument(
          "the review page is for this office's staff: it listens on 127.0.0.1 only"));
    }
    options.ui_port = ui->second;
  }
  // The data key is loaded once (an Argon2id derivation, or a key file) and
  // shared by every connection of the pool.
  auto data_key = ctx.LoadDataKey();
  if (!data_key.ok()) return Fail(data_key.status());
  auto check = ctx.OpenStore();
  if (!check.ok()) return Fail(check.status());
  std::string node_id = (*check)->node_id();
  if (const auto& lock = (*check)->revocation_lock()) {
    return Fail(FailedPrecondition("`serve` refused: " + RevocationLockMessage(*lock)));
  }
  if ((*check)->encrypted() && !*data_key) {
    return Fail(FailedPrecondition(
        std::string("this node's personal data is encrypted and `serve` would answer no sync: ") +
        kLockedMessage));
  }
  check->reset();

  auto loaded = args.tls.Load();
  if (!loaded.ok()) return Fail(loaded.status());
  // The verifier is replaced on SIGHUP; a request keeps the one it started with.
  std::mutex credentials_mu;
  auto credentials = std::make_shared<const TlsPaths::Loaded>(std::move(loaded).value());
  auto current = [&] {
    std::lock_guard<std::mutex> lock(credentials_mu);
    return credentials;
  };
  StoreOptions store_options;
  store_options.data_key = *data_key;
  store_options.checkpoint_frames = StoreOptions::kServerCheckpointFrames;
  server::StorePool stores(ctx.DatabasePath(), std::move(store_options));
  stores.SealWritesAsMade(
      sync::SealerFor(std::make_shared<const sync::NodeSigner>(credentials->signer)));
  sync::ServiceOptions service_options;
  service_options.log = [](std::string_view line) { server::Log(line); };
  auto handler = [&stores, &current, &service_options](std::string_view op, std::string_view body,
                                                       const std::string& peer) {
    auto store = stores.Acquire();
    if (!store.ok()) return sync::ServiceReply{Code::kUnavailable, ""};
    auto held = current();
    sync::SyncService service(**store, held->credentials(), service_options);
    return service.Handle(op, body, peer);
  };
  auto status = [&stores]() -> std::string {
    auto store = stores.Acquire();
    if (!store.ok()) return JsonText({{"error", store.status().message()}});
    auto s = (*store)->GetStatus();
    if (!s.ok()) return JsonText({{"error", s.status().message()}});
    return JsonText(NodeStatusJson(*s));
  };
  // The handlers go in before the retention run and the listener: a SIGTERM
  // from a service manager (or a test) that comes as soon as the port
  // accepts, or during the run, stops the node cleanly instead of killing it.
  std::signal(SIGTERM, OnSignal);
  std::signal(SIGINT, OnSignal);
  std::signal(SIGHUP, OnHangup);
  // Retention (docs/sharing.md) is applied before the node serves, then
  // hourly: a node that was off for months prunes what fell due meanwhile.
  PruneFromServe(stores);
  if (g_stop) {
    std::cerr << "accord: stopped before serving" << std::endl;
    return kExitOk;
  }
  auto next_prune = std::chrono::steady_clock::now() + std::chrono::hours(1);
  // The review page's routes are in before its port opens (never a 404).
  if (!args.no_ui) options.ui_routes = server::ReviewRoutes(stores);
  auto server = server::HttpsServer::Start(options, handler, status);
  if (!server.ok()) return Fail(server.status());
  std::cerr << "accord: node " << node_id << " serving sync on https://" << args.listen;
  if (!args.no_ui) std::cerr << ", review page on http://" << args.ui_listen << "/";
  std::cerr << std::endl;
  while (!g_stop) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (std::chrono::steady_clock::now() >= next_prune) {
      next_prune += std::chrono::hours(1);
      PruneFromServe(stores);
    }
    if (g_reload) {
      g_reload = 0;
      Status reloaded = (*server)->ReloadRevocations();
      if (reloaded.ok()) {
        auto fresh = args.tls.Load();
        if (fresh.ok()) {
          std::lock_guard<std::mutex> lock(credentials_mu);
          credentials = std::make_shared<const TlsPaths::Loaded>(std::move(fresh).value());
        } else {
          reloaded = fresh.status();
        }
      }
      std::cerr << "accord: "
                << (reloaded.ok() ? "revocation list reloaded from " + args.tls.revoked + " and " +
                                        args.tls.crl
                                  : "revocation list not reloaded, keeping the old one: " +
                                        reloaded.message())
                << std::endl;
    }
  }
  std::cerr << "accord: stopping: finishing requests in flight" << std::endl;
  (*server)->Stop();  // waits for in-flight pages: none is left half-applied
  std::cerr << "accord: stopped" << std::endl;
  return kExitOk;
}

json RefusalsJson(const std::vector<RefusedState>& refused) {
  json out = json::array();
  for (const auto& r : refused) out.push_back(RefusedStateJson(r));
  return out;
}

void PrintRefusals(const json& refused, const std::string& heading) {
  if (refused.empty()) return;
  std::cout << refused.size() << " field state(s) " << heading << ":\n";
  size_t shown = 0;
  for (const auto& r : refused) {
    if (++shown > 20) {
      std::cout << "  ... and " << refused.size() - 20 << " more (see `accord status`)\n";
      break;
    }
    std::cout << "  record " << r["record_id"].get<std::string>() << " field "
              << r["field"].get<std::string>() << " by " << r["origin"].get<std::string>() << ": "
              << r["reason"].get<std::string>() << "\n";
  }
}

// How far the peer's clock is from ours (null before any reply told us).
json SkewJson(const client::HttpsTransport& t) {
  auto skew = t.clock_skew_ms();
  return skew ? json(*skew) : json(nullptr);
}

json SummaryJson(const std::string& target, const sync::SyncSummary& s,
                 const client::HttpsTransport& t) {
  json out = {{"peer", s.peer_id},
              {"target", target},
              {"pages_pulled", s.pages_pulled},
              {"pages_pushed", s.pages_pushed},
              {"states_received", s.states_received},
              {"states_applied", s.states_applied},
              {"states_sent", s.states_sent},
              {"new_conflicts", s.new_conflicts},
              {"peer_new_conflicts", s.peer_new_conflicts},
              {"bytes_sent", t.bytes_sent()},
              {"bytes_received", t.bytes_received()},
              {"refused_here", RefusalsJson(s.refused_here)},
              {"refused_by_peer", RefusalsJson(s.refused_by_peer)},
              {"not_believed", s.disbelieved},
              {"clock_skew_ms", SkewJson(t)}};
  if (s.policy_taken) out["policy_taken"] = s.policy_taken;
  out["purge_orders_taken"] = s.purge_orders_taken.size();
  out["purge_orders_sent"] = s.purge_orders_sent;
  out["purge_orders_refused"] = s.purge_orders_refused;
  out["purge_orders_refused_by_peer"] = s.purge_orders_refused_by_peer;
  AddScopeExitsJson(s.purged, s.notices_ignored, s.warnings, out);
  json files = {{"received", s.files.files_received},       {"sent", s.files.files_sent},
                {"bytes_received", s.files.bytes_received}, {"bytes_sent", s.files.bytes_sent},
                {"missing", s.files.files_missing},         {"problems", s.files.problems}};
  if (!s.files_status.ok()) files["error"] = s.files_status.message();
  out["files"] = files;
  return out;
}

// What a sync with one peer says about this node's clock, sync done or not.
struct ClockReport {
  json skew_ms;         // null when no reply said
  std::string warning;  // "" when the clocks agree well enough
};

// A peer refused this node as revoked and showed a list to prove it. Locks
// this node's personal data if the list holds (sync/own_revocation.h);
// either way the sync failed with `refused`.
Status LearnRevocation(const Context& ctx, Store& store, const NetArgs& args,
                       const client::HttpsTransport& transport, const std::string& target,
                       const Status& refused) {
  const std::string peer = transport.server_node().empty() ? target : transport.server_node();
  auto own = sync::NodeSigner::Load(args.tls.cert, args.tls.key);
  if (!own.ok()) return own.status();
  auto lock = sync::VerifyOwnRevocation(transport.revocation_statement(), args.tls.ca,
                                        own->cert_pem(), peer, store.NowMs());
  if (!lock.ok()) {
    std::cerr << "accord: " << peer
              << " says this node's certificate is revoked, but what it showed does not prove "
                 "it ("
              << lock.status().message() << "): nothing was locked\n";
    return refused;
  }
  auto warnings = sync::LockRevokedNode(store, *lock, ctx.WrappedKeyPath());
  if (!warnings.ok()) {
    return warnings.status().WithContext(
        "this node's certificate is revoked, but locking its personal data failed: ");
  }
  for (const std::string& w : *warnings) std::cerr << "accord: warning: " << w << "\n";
  std::cerr << "accord: " << peer
            << " showed the deployment CA's signed revocation list naming this node's "
               "certificate: personal data locked\n";
  return FailedPrecondition(RevocationLockMessage(*store.revocation_lock()));
}

// Syncs with one peer given by URL or address-book name.
Result<json> SyncOne(const Context& ctx, Store& store, const NetArgs& args,
                     const std::string& target, ClockReport& clock) {
  std::string url = target;
  sync::SyncOptions options;
  options.page_size = args.page_size;
  if (target.rfind("https://", 0) != 0) {
    ASSIGN_OR_RETURN(auto peer, store.peers().FindByName(target));
    if (!peer) {
      return NotFound("no peer named '" + target + "' (accord peer add NAME URL, or give a URL)");
    }
    url = peer->url;
    options.peer_name = peer->name;
    options.expected_peer = peer->peer_id;
  }
  client::HttpsTransportOptions transport_options;
  // A peer met before is pinned at the TLS handshake, before anything is
  // signed for it (the engine checks the same after hello).
  transport_options.expected_server_node = options.expected_peer;
  transport_options.base_url = url;
  transport_options.ca_path = args.tls.ca;
  transport_options.cert_path = args.tls.cert;
  transport_options.key_path = args.tls.key;
  ASSIGN_OR_RETURN(auto transport, client::HttpsTransport::Create(transport_options));
  ASSIGN_OR_RETURN(TlsPaths::Loaded credentials, args.tls.Load());
  if (!ctx.json) {
    options.on_progress = [](const sync::SyncProgress& p) {
      if (p.pages % 10 == 0) {
        std::cerr << "\r" << (p.phase == sync::SyncProgress::Phase::kPull ? "received " : "sent ")
                  << p.states << " field states in " << p.pages << " pages" << std::flush;
      }
    };
  }
  if (!ctx.json) {
    // Files move after the records: bytes of each, as the receiving side holds them.
    options.files.on_progress = [](const sync::FileProgress& p) {
      std::cerr << "\r" << (p.sending ? "sending " : "receiving ") << p.file_name << ": " << p.bytes
                << " / " << p.total << " bytes" << std::flush;
    };
  }
  auto summary = sync::RunSync(store, *transport, credentials.credentials(), options);
  clock.skew_ms = SkewJson(*transport);
  if (auto skew = transport->clock_skew_ms()) {
    const std::string& server = transport->server_node();
    clock.warning = client::ClockSkewWarning(*skew, server.empty() ? target : server);
  }
  if (!summary.ok()) {
    if (!transport->revocation_statement().empty()) {
      return LearnRevocation(ctx, store, args, *transport, target, summary.status());
    }
    return summary.status();
  }
  return SummaryJson(target, *summary, *transport);
}

void PrintSummary(const json& s) {
  std::cout << "synced with " << s["peer"].get<std::string>() << " ("
            << s["target"].get<std::string>() << "): received " << s["states_received"]
            << " field states (" << s["states_applied"] << " new here) in " << s["pages_pulled"]
            << " pages, sent " << s["states_sent"] << " in " << s["pages_pushed"] << " pages, "
            << s["bytes_received"] << " bytes in, " << s["bytes_sent"] << " bytes out\n";
  uint64_t conflicts = s["new_conflicts"].get<uint64_t>();
  std::cout << conflicts << " new conflict(s) here";
  if (s["peer_new_conflicts"].get<uint64_t>())
    std::cout << ", " << s["peer_new_conflicts"] << " at the peer";
  std::cout << (conflicts ? ": review them with `accord conflicts`" : "") << "\n";
  if (s.contains("policy_taken")) {
    std::cout << "sharing policy version " << s["policy_taken"]
              << " taken from the peer: this node judges with it now (accord policy show)\n";
  }
  PrintRefusals(s["refused_by_peer"],
                "refused by the peer (the rest went in; fix the value and sync again)");
  PrintRefusals(s["refused_here"], "refused here (the rest went in)");
  for (const auto& claim : s["not_believed"]) {
    std::cout << "not believed: " << claim.get<std::string>() << "\n";
  }
  for (const auto& line : s["purge_orders_refused"]) {
    std::cout << "purge order refused here: " << line.get<std::string>() << "\n";
  }
  for (const auto& line : s["purge_orders_refused_by_peer"]) {
    std::cout << "purge order refused by the peer: " << line.get<std::string>() << "\n";
  }
  PrintScopeExits(s);
  const json& files = s["files"];
  if (files["received"].get<uint64_t>() || files["sent"].get<uint64_t>() ||
      files["missing"].get<uint64_t>() || files.contains("error")) {
    std::cout << "files: " << files["received"] << " received (" << files["bytes_received"]
              << " bytes), " << files["sent"] << " sent (" << files["bytes_sent"] << " bytes)";
    if (files["missing"].get<uint64_t>()) {
      std::cout << ", " << files["missing"] << " not held whole by the peer yet";
    }
    std::cout << "\n";
  }
  for (const auto& line : files["problems"]) {
    std::cout << "file not moved: " << line.get<std::string>() << "\n";
  }
}

int RunSyncCommand(const Context& ctx, NetArgs& args) {
  args.tls.DefaultFrom(ctx);
  if (args.all == !args.target.empty())
    return UsageError(InvalidArgument("sync needs a URL, a peer name, or --all"));
  auto store = ctx.OpenStore();
  if (!store.ok()) return Fail(store.status());
  if (const auto& lock = (*store)->revocation_lock()) {
    return Fail(FailedPrecondition("no sync: " + RevocationLockMessage(*lock)));
  }
  std::vector<std::string> targets;
  if (args.all) {
    auto peers = (*store)->peers().List();
    if (!peers.ok()) return Fail(peers.status());
    for (const auto& p : *peers) targets.push_back(p.name);
    if (targets.empty()) return Fail(FailedPrecondition("no peers yet: accord peer add NAME URL"));
  } else {
    targets.push_back(args.target);
  }
  json results = json::array();
  int failures = 0;
  for (const auto& target : targets) {
    if ((*store)->revocation_lock()) break;  // locked by the sync before: no more
    ClockReport clock;
    auto result = SyncOne(ctx, **store, args, target, clock);
    if (!ctx.json) std::cerr << "\r";
    if (!result.ok()) {
      ++failures;
      std::cerr << "accord: sync with " << target << " failed: " << result.status().message()
                << (result.status().code() == Code::kUnavailable
                        ? " (run it again: it resumes where it stopped)"
                        : "")
                << "\n";
      // A wrong clock does not stop a sync, but say so whatever did.
      if (!clock.warning.empty()) std::cerr << "accord: warning: " << clock.warning << "\n";
      results.push_back({{"target", target},
                         {"error", result.status().message()},
                         {"clock_skew_ms", clock.skew_ms}});
      continue;
    }
    if (!ctx.json) {
      PrintSummary(*result);
      if (!clock.warning.empty()) std::cout << "warning: " << clock.warning << "\n";
    } else if (!clock.warning.empty()) {
      std::cerr << "accord: warning: " << clock.warning << "\n";  // stdout is the JSON
    }
    // The records are in; a file cut short resumes with the next sync.
    if ((*result)["files"].contains("error")) {
      ++failures;
      std::cerr << "accord: sync with " << target << ": records synced, but moving files "
                << "stopped: " << (*result)["files"]["error"].get<std::string>()
                << " (run it again: each file resumes where it stopped)\n";
    }
    results.push_back(*result);
  }
  // Retention applies after every sync that went through: a sync may bring
  // a policy with a retention setting, and an office that only syncs still
  // prunes on time.
  if (failures < static_cast<int>(targets.size())) {
    auto pruned = (*store)->PruneSuperseded();
    if (!pruned.ok()) {
      std::cerr << "accord: warning: retention not applied: " << pruned.status().message() << "\n";
    } else if (pruned->pruned > 0 || !pruned->warning.empty()) {
      if (ctx.json && !args.all) {
        results.front()["retention"] = RetentionReportJson(*pruned);
      } else {
        std::ostream& out = ctx.json ? std::cerr : std::cout;  // stdout is the JSON
        out << "retention: ";
        PrintRetentionReport(*pruned, out);
      }
    }
    // And tombstones every known node acknowledged (docs/security.md,
    // "Collecting tombstones"): the acknowledgements came with the sync.
    auto collected = (*store)->CollectPurgeOrders(/*dry_run=*/false);
    std::ostream& out = ctx.json ? std::cerr : std::cout;  // stdout is the JSON
    if (!collected.ok()) {
      std::cerr << "accord: warning: tombstones not collected: " << collected.status().message()
                << "\n";
    } else {
      for (const CollectedPurge& c : collected->collected) {
        out << "collected the tombstone of " << c.type << " " << c.record_id << " (order "
            << c.sequence << " of " << c.issuer << ")\n";
      }
    }
  }
  if (ctx.json) PrintJson(args.all ? results : results.front());
  return failures ? kExitFailure : kExitOk;
}

}  // namespace

void AddSyncCommands(CLI::App& app, Context& ctx, Runner& run) {
  auto args = std::make_shared<NetArgs>();
  auto* serve = app.add_subcommand(
      "serve", "Serve sync to peers over HTTPS (mutual TLS) and the review page");
  serve->add_option("--listen", args->listen, "HOST:PORT for peers (default 127.0.0.1:8443)");
  serve->add_option("--ui-listen", args->ui_listen,
                    "127.0.0.1:PORT for the review page (default 127.0.0.1:8080)");
  serve->add_flag("--no-ui", args->no_ui, "Do not serve the review page");
  args->tls.AddOptions(serve);
  OnRun(serve, run, [&ctx, args] { return RunServe(ctx, *args); });

  auto* sync = app.add_subcommand("sync", "Pull then push changes with a peer; resumes if cut");
  sync->add_option("target", args->target, "https://HOST:PORT or a peer name (accord peer add)");
  sync->add_flag("--all", args->all, "Every peer in the address book");
  sync->add_option(
      "--page-size", args->page_size,
      "Field states per page (default " + std::to_string(sync::kDefaultPageSize) + ")");
  AddJsonFlag(sync, ctx);
  args->tls.AddOptions(sync);
  OnRun(sync, run, [&ctx, args] { return RunSyncCommand(ctx, *args); });
}

}  // namespace accord::cli
