// tombstone_bench: what collecting tombstones costs (issue 12.5,
// docs/security.md "Collecting tombstones"). A node holds --orders purge
// orders of another office (real signed orders, for records it never held)
// and knows --nodes offices, each of which signs an acknowledgement of every
// order (real signatures, verified as a sync takes them). Measured:
//  (a) taking the acknowledgements, verified, 200 at a time as exchanges bring them;
//  (b) a collection run while one office is away (nothing collected: what
//      `serve` pays hourly until it returns);
//  (c) the collection of every order once the last office acknowledged;
//  (d) the check every push and bundle pays afterwards (the source's vector
//      against the collected frontier);
//  (e) the database file before and after, WAL emptied, and its free pages
//      (freed pages are zeroed and reused, not given back to the disk).
#include <sys/stat.h>

#include <cstdio>
#include <iostream>

#include "bench/bench_credentials.h"
#include "bench/bench_support.h"
#include "sync/purge_ack.h"
#include "sync/purge_order.h"

namespace accord::bench {
namespace {

const std::string kNode = "KH-NCCT";
const std::string kIssuer = "KH-POIPET";

// The pages of the file that hold nothing (freed by deletes, zeroed by
// secure_delete), in MB.
double FreeMb(const std::string& path) {
  auto db = Check(Database::Open(path, /*create=*/false), "opening the file");
  double bytes = 1;
  for (const char* pragma : {"PRAGMA freelist_count", "PRAGMA page_size"}) {
    auto* stmt = Check(db->Prepare(pragma), pragma);
    Check(stmt->Step(), pragma);
    bytes *= static_cast<double>(stmt->Int(0));
    stmt->Reset();
  }
  return bytes / (1024.0 * 1024.0);
}

double FileMb(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return 0;
  return static_cast<double>(st.st_size) / (1024.0 * 1024.0);
}

std::string Office(int i) {
  return "KH-OFFICE-" + std::to_string(i);
}

// Every office's signed acknowledgement of every order, `known` naming them all.
std::vector<std::string> SignAcks(const std::vector<PurgeOrder>& orders, const std::string& acker,
                                  const std::vector<std::string>& known) {
  auto signer = BenchDeployment::Get().For(acker).signer;
  std::vector<std::string> out;
  for (const PurgeOrder& o : orders) {
    PurgeAck ack{o.record_id, o.issuer, o.sequence, acker, 1700000000000, known, ""};
    Check(sync::SignPurgeAck(*signer, ack), "signing an acknowledgement");
    out.push_back(std::move(ack.signed_bytes));
  }
  return out;
}

double TakeAll(Store& store, const std::vector<std::string>& acks, const std::string& from) {
  Stopwatch took;
  for (size_t start = 0; start < acks.size(); start += sync::kMaxPurgeAcksPerExchange) {
    size_t end = std::min(acks.size(), start + sync::kMaxPurgeAcksPerExchange);
    auto taken = Check(
        sync::TakePurgeAcks(
            store, BenchDeployment::Get().verifier(),
            {acks.begin() + static_cast<long>(start), acks.begin() + static_cast<long>(end)}, from),
        "taking acknowledgements");
    if (!taken.refused.empty()) {
      std::cerr << "refused: " << taken.refused.front() << "\n";
      std::exit(1);
    }
  }
  return took.Seconds();
}

int Main(int argc, char** argv) {
  Flags flags(argc, argv, {{"orders", "2000"}, {"nodes", "8"}});
  const int n_orders = static_cast<int>(flags.Int("orders"));
  const int n_nodes = static_cast<int>(flags.Int("nodes"));
  std::cout << "tombstone_bench";
  flags.Print(std::cout);
  std::cout << "\n"
            << n_orders << " signed purge orders of " << kIssuer << " held by " << kNode << ", "
            << n_nodes << " offices known, each acknowledging every order\n\n";
  TempDir dir;
  std::string path = dir.File(kNode + ".db");
  auto store = Check(Store::Create(path, kNode), "creating the node");
  std::vector<std::string> known = {kNode, kIssuer};
  for (int i = 0; i < n_nodes - 2; ++i) known.push_back(Office(i));
  for (const std::string& k : known) Check(store->NoteKnownNode(k), "noting a node");

  auto issuer = BenchDeployment::Get().For(kIssuer).signer;
  std::vector<PurgeOrder> orders;
  for (int i = 0; i < n_orders; ++i) {
    PurgeOrder o;
    o.record_id = "case-KH-2026-" + std::to_string(100000 + i);
    o.type = "case";
    o.issuer = kIssuer;
    o.issued_at_ms = 1700000000000 + i;
    o.reason = "ឈ្មោះពិតរបស់ជនរងគ្រោះ បញ្ចូលដោយច្រឡំ";
    o.sequence = static_cast<uint64_t>(i + 1);
    Check(sync::SignPurgeOrder(*issuer, o), "signing an order");
    Check(store->ApplyPurgeOrder(o, kIssuer, "KH").status(), "taking an order");
    orders.push_back(std::move(o));
  }
  // Every office but the last acknowledges (this node acknowledges by holding).
  std::vector<std::vector<std::string>> acks;
  for (size_t k = 1; k < known.size(); ++k) acks.push_back(SignAcks(orders, known[k], known));
  double take_s = 0;
  for (size_t k = 0; k + 1 < acks.size(); ++k) take_s += TakeAll(*store, acks[k], kIssuer);
  const double acks_taken = static_cast<double>(acks.size() - 1) * n_orders;
  // Closed and opened again: the last connection's close empties the WAL.
  store.reset();
  const double mb_before = FileMb(path);
  const double free_before = FreeMb(path);
  store = Check(Store::Open(path), "opening the node again");

  Stopwatch waiting;
  auto kept = Check(store->CollectPurgeOrders(/*dry_run=*/false), "collecting (one away)");
  const double waiting_s = waiting.Seconds();
  if (!kept.collected.empty()) {
    std::cerr << "collected while an office is away\n";
    return 1;
  }
  take_s += TakeAll(*store, acks.back(), kIssuer);
  Stopwatch collecting;
  auto done = Check(store->CollectPurgeOrders(/*dry_run=*/false), "collecting");
  const double collect_s = collecting.Seconds();
  if (done.collected.size() != static_cast<size_t>(n_orders)) {
    std::cerr << "collected " << done.collected.size() << " of " << n_orders << "\n";
    return 1;
  }
  VersionVector applied;
  applied.Set(kIssuer, static_cast<uint64_t>(n_orders));
  const int checks = 10000;
  Stopwatch checking;
  for (int i = 0; i < checks; ++i) Check(store->CheckPurgeOrdersApplied(applied, "bench"), "check");
  const double check_us = checking.Seconds() / checks * 1e6;
  store.reset();
  const double mb_after = FileMb(path);
  const double free_after = FreeMb(path);

  Table table({"step", "time", "per item"});
  table.Row({"take acks (verified)", Fixed((take_s)*1000, 0) + " ms",
             Fixed(take_s / (acks_taken + n_orders) * 1e6, 0) + " us/ack"});
  table.Row({"collect, one office away", Fixed(waiting_s * 1000, 0) + " ms",
             Fixed(waiting_s / n_orders * 1e6, 1) + " us/order"});
  table.Row({"collect all", Fixed(collect_s * 1000, 0) + " ms",
             Fixed(collect_s / n_orders * 1e6, 1) + " us/order"});
  table.Row({"frontier check (a push, a bundle)", Fixed(check_us, 1) + " us", ""});
  table.Row({"file MB", Fixed(mb_before, 1) + " -> " + Fixed(mb_after, 1), ""});
  table.Row({"free pages MB", Fixed(free_before, 1) + " -> " + Fixed(free_after, 1),
             Fixed((free_after - free_before) * 1024 / n_orders, 1) + " KB/order freed"});
  table.Print(std::cout);
  return 0;
}

}  // namespace
}  // namespace accord::bench

int main(int argc, char** argv) {
  return accord::bench::Main(argc, argv);
}
