// Erasure that travels (docs/security.md, "Purge orders"): accord purge ID
// --reason TEXT, accord purge list for the tombstones, and accord purge
// collect for tombstones every known node acknowledged ("Collecting tombstones").
#include <iostream>
#include <memory>

#include "cli/cli_context.h"
#include "cli/tls_paths.h"
#include "core/record_id.h"
#include "core/time_format.h"
#include "sync/purge_order.h"

namespace accord::cli {

namespace {

using nlohmann::json;

struct PurgeArgs {
  std::string id;
  std::string reason;
  TlsPaths tls;
};

json OrderJson(const PurgeOrder& o) {
  return {{"record_id", o.record_id},
          {"type", o.type},
          {"issuer", o.issuer},
          {"user", o.user.empty() ? json(nullptr) : json(o.user)},
          {"issued_at", FormatUtcMs(o.issued_at_ms)},
          {"reason", o.reason},
          {"received_from", o.received_from.empty() ? json(nullptr) : json(o.received_from)},
          {"taken_at", FormatUtcMs(o.taken_at_ms)},
          {"sequence", o.sequence}};
}

json CollectedJson(const CollectedPurge& c) {
  return {{"record_id", c.record_id},
          {"type", c.type},
          {"issuer", c.issuer},
          {"sequence", c.sequence},
          {"user", c.user.empty() ? json(nullptr) : json(c.user)},
          {"issued_at", FormatUtcMs(c.issued_at_ms)},
          {"reason", c.reason},
          {"collected_at", FormatUtcMs(c.collected_at_ms)}};
}

int RunPurge(const Context& ctx, PurgeArgs& args) {
  if (args.id.empty()) {
    return UsageError(InvalidArgument("name the record to purge: accord purge ID --reason TEXT"));
  }
  if (!IsValidRecordId(args.id)) {
    return UsageError(InvalidArgument("'" + args.id + "' is not a record id"));
  }
  if (args.reason.empty()) {
    return UsageError(InvalidArgument("say why with --reason (kept in the record's tombstone)"));
  }
  // Before anything is erased: a reason other nodes cannot read would erase
  // the record here only.
  auto reason = NormalizePurgeReason(args.reason);
  if (!reason.ok()) return UsageError(reason.status().WithContext("--reason: "));
  args.reason = std::move(reason).value();
  auto store = ctx.OpenStoreAs();
  if (!store.ok()) return Fail(store.status());
  // Checked before the key is loaded: a user without the right learns so
  // first, and nothing changes.
  auto order = (*store)->PreparePurge(args.id, args.reason);
  if (!order.ok()) return Fail(order.status());
  args.tls.DefaultFrom(ctx);
  auto signer = sync::NodeSigner::Load(args.tls.cert, args.tls.key);
  if (!signer.ok()) {
    return Fail(Status(signer.status().code(), "a purge order is signed by this node's key: " +
                                                   signer.status().message() + "; nothing purged"));
  }
  if (Status st = sync::SignPurgeOrder(*signer, *order); !st.ok()) return Fail(st);
  auto outcome = (*store)->ApplyPurgeOrder(*order, "", signer->party());
  if (!outcome.ok()) return Fail(outcome.status());
  // An attachment purged takes its file (unless another record references it).
  if (auto swept = (*store)->SweepAttachmentFiles(); !swept.ok()) {
    std::cerr << "warning: the files of purged attachments are still on disk: "
              << swept.status().message() << "\n";
  }
  if (ctx.json) {
    json out = OrderJson(*order);
    json erased = json::array();
    for (const PurgedRecord& p : outcome->purged) erased.push_back(p.record_id);
    out["erased"] = erased;
    out["wal_emptied"] = outcome->warning.empty();
    if (!outcome->warning.empty()) out["warning"] = outcome->warning;
    PrintJson(out);
  } else {
    std::cout << "purged " << order->type << " " << order->record_id
              << ": its values and history are erased on this node; the order goes to every "
                 "peer with the next sync or bundle\n  "
              << DescribePurge(*order) << "\n";
    if (!outcome->warning.empty()) std::cerr << "warning: " << outcome->warning << "\n";
  }
  return kExitOk;
}

int RunPurgeList(const Context& ctx) {
  auto store = ctx.OpenStore();
  if (!store.ok()) return Fail(store.status());
  auto orders = (*store)->PurgeOrders();
  if (!orders.ok()) return Fail(orders.status());
  auto collected = (*store)->CollectedPurgeOrders();
  if (!collected.ok()) return Fail(collected.status());
  if (ctx.json) {
    json out = json::array();
    for (const PurgeOrder& o : *orders) out.push_back(OrderJson(o));
    for (const CollectedPurge& c : *collected) {
      json line = CollectedJson(c);
      line["collected"] = true;
      out.push_back(line);
    }
    PrintJson(out);
    return kExitOk;
  }
  for (const PurgeOrder& o : *orders) {
    std::cout << o.record_id << "  " << o.type << "  " << DescribePurge(o);
    if (!o.received_from.empty()) std::cout << "  (order from " << o.received_from << ")";
    std::cout << "\n";
  }
  for (const CollectedPurge& c : *collected) {
    std::cout << c.record_id << "  " << c.type << "  purged by "
              << (c.user.empty() ? std::string("no user") : c.user) << " on " << c.issuer << " at "
              << FormatUtcMs(c.issued_at_ms) << ": " << c.reason << "  (tombstone collected "
              << FormatUtcMs(c.collected_at_ms) << ")\n";
  }
  std::cerr << orders->size() << " purged record(s) with a tombstone, " << collected->size()
            << " collected\n";
  return kExitOk;
}

int RunCollect(const Context& ctx, bool dry_run) {
  auto store = ctx.OpenStore();
  if (!store.ok()) return Fail(store.status());
  auto done = (*store)->CollectPurgeOrders(dry_run);
  if (!done.ok()) return Fail(done.status());
  if (ctx.json) {
    json out = {{"dry_run", dry_run}, {"collected", json::array()}, {"waiting", done->waiting}};
    for (const CollectedPurge& c : done->collected) out["collected"].push_back(CollectedJson(c));
    PrintJson(out);
    return kExitOk;
  }
  for (const CollectedPurge& c : done->collected) {
    std::cout << (dry_run ? "would collect " : "collected ") << "the tombstone of " << c.type << " "
              << c.record_id << " (order " << c.sequence << " of " << c.issuer << ")\n";
  }
  for (const std::string& w : done->waiting) std::cout << "kept: " << w << "\n";
  std::cerr << done->collected.size() << " tombstone(s) " << (dry_run ? "would be " : "")
            << "collected, " << done->waiting.size() << " kept\n";
  return kExitOk;
}

}  // namespace

void AddPurgeCommands(CLI::App& app, Context& ctx, Runner& run) {
  auto args = std::make_shared<PurgeArgs>();
  auto* purge = app.add_subcommand(
      "purge",
      "Erase a record's values and history on this node and, by a signed order that sync and "
      "bundles carry, on every node it reaches (personal data entered by mistake, an ended "
      "retention period). Only its tombstone stays: who, where, when and why. Needs the purge "
      "right on a node with users.");
  purge->require_subcommand(0, 1);
  purge->add_option("id", args->id, "The record to erase");
  purge->add_option("--reason", args->reason,
                    "Why (kept in the tombstone on every node: never quote the erased value)");
  args->tls.AddOptions(purge);
  AddActingUserOptions(purge, ctx);
  AddJsonFlag(purge, ctx);
  auto* list = purge->add_subcommand("list", "The records purged here: who, where, when, why");
  AddJsonFlag(list, ctx);
  OnRun(list, run, [&ctx] { return RunPurgeList(ctx); });
  auto dry_run = std::make_shared<bool>(false);
  auto* collect = purge->add_subcommand(
      "collect",
      "Drop the tombstones of purge orders that every node known here, and every node they "
      "know, has signed that it applied; an audit line (who, when, why) stays. Data from a node "
      "or bundle that has not applied a collected order are refused from then on. Serve does "
      "this hourly.");
  collect->add_flag("--dry-run", *dry_run, "Only say what would be collected and what waits");
  AddJsonFlag(collect, ctx);
  OnRun(collect, run, [&ctx, dry_run] { return RunCollect(ctx, *dry_run); });
  purge->callback([&ctx, &run, args, list, collect] {
    if (list->parsed() || collect->parsed()) return;  // their own callbacks chose what runs
    run = [&ctx, args] { return RunPurge(ctx, *args); };
  });
}

}  // namespace accord::cli
