// retention_bench: what pruning superseded personal data costs (issue 12.5,
// docs/sharing.md "Retention"). A node holds --records cases x 5 fields,
// each written once and then edited --editions times a day apart, so every
// field whose value changes has a long history (direction and consent keep
// theirs: a write of the value held makes no version); 400 days later a signed policy keeps
// superseded case values 30 days. Measured, on a clear and on an encrypted node:
//  (a) a dry run (counting only, a read transaction);
//  (b) the prune itself (one write transaction, then the WAL emptied);
//  (c) the next run, with nothing left to prune (what `serve` pays hourly);
//  (d) the database file before and after (pruned cells are zeroed in place,
//      not given back: the file does not shrink).
// Median of --runs runs, each on a fresh database.
#include <sys/stat.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "bench/bench_credentials.h"
#include "bench/bench_support.h"

namespace accord::bench {
namespace {

const std::string kNode = "KH-NCCT";

struct Figures {
  int64_t versions = 0;
  int64_t pruned = 0;
  int64_t kept_scope = 0;
  double dry_s = 0;
  double prune_s = 0;
  double again_s = 0;
  double mb_before = 0;
  double mb_after = 0;
};

double FileMb(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return 0;
  return static_cast<double>(st.st_size) / (1024.0 * 1024.0);
}

Figures RunOnce(int records, int editions, bool encrypted) {
  TempDir dir;
  auto now = std::make_shared<int64_t>(1700000000000);
  StoreOptions options;
  options.clock_ms = [now] { return (*now)++; };
  if (encrypted) options.data_key = std::make_shared<const DataKey>(DataKey::Generate());
  std::string path = dir.File(kNode + ".db");
  auto store = Check(Store::Create(path, kNode, std::move(options)), "creating the node");
  FillCases(*store, 0, records, 1000);
  for (int edition = 1; edition <= editions; ++edition) {
    *now += kMsPerDay;
    for (int start = 0; start < records; start += 1000) {
      std::vector<RecordWrite> writes;
      for (int r = start; r < std::min(records, start + 1000); ++r) {
        writes.push_back(CaseWrite(r, edition));
      }
      Check(store->PutMany(writes), "PutMany");
    }
  }
  *now += 400 * kMsPerDay;
  nlohmann::json policy = nlohmann::json::parse(SharingPolicy::Default().ToJson());
  policy["version"] = 2;
  policy["retention"] = {{"superseded_days", {{"case", 30}}}};
  Check(sync::TakeSignedPolicy(*store, BenchDeployment::Get().verifier(),
                               BenchDeployment::Get().SignPolicy(policy.dump()), "installed"),
        "installing the policy");
  Figures f;
  f.versions = Check(store->GetStatus(), "status").last_seq;  // one log position a version
  f.mb_before = FileMb(path);
  Stopwatch dry;
  auto counted = Check(store->PruneSuperseded(/*dry_run=*/true), "dry run");
  f.dry_s = dry.Seconds();
  Stopwatch prune;
  auto report = Check(store->PruneSuperseded(), "prune");
  f.prune_s = prune.Seconds();
  if (report.pruned != counted.pruned || report.pruned == 0) {
    std::cerr << "the dry run counted " << counted.pruned << ", the prune pruned " << report.pruned
              << "\n";
    std::exit(1);
  }
  f.pruned = report.pruned;
  f.kept_scope = report.types.empty() ? 0 : report.types.front().kept_scope_fields;
  Stopwatch again;
  auto second = Check(store->PruneSuperseded(), "second prune");
  f.again_s = again.Seconds();
  if (second.pruned != 0) {
    std::cerr << "the second run pruned " << second.pruned << "\n";
    std::exit(1);
  }
  f.mb_after = FileMb(path);
  return f;
}

int Main(int argc, char** argv) {
  Flags flags(argc, argv, {{"records", "20000"}, {"editions", "5"}, {"runs", "3"}});
  const int records = static_cast<int>(flags.Int("records"));
  const int editions = static_cast<int>(flags.Int("editions"));
  const int runs = static_cast<int>(flags.Int("runs"));
  std::cout << "retention_bench";
  flags.Print(std::cout);
  std::cout << "\n"
            << records << " cases x " << kCaseFields << " fields, written then edited " << editions
            << " times a day apart; pruned 400 days later with 30 days kept; median of " << runs
            << " runs\n\n";
  Table table({"node", "versions", "pruned", "kept (scope)", "dry run", "prune", "prune/s",
               "next run", "file MB"});
  for (bool encrypted : {false, true}) {
    std::vector<Figures> all;
    for (int r = 0; r < runs; ++r) all.push_back(RunOnce(records, editions, encrypted));
    auto median = [&](double Figures::*field) {
      std::vector<double> v;
      for (const Figures& f : all) v.push_back(f.*field);
      return Median(v);
    };
    const Figures& f = all.front();
    double prune_s = median(&Figures::prune_s);
    table.Row({encrypted ? "encrypted" : "clear", Grouped(static_cast<double>(f.versions)),
               Grouped(static_cast<double>(f.pruned)), Grouped(static_cast<double>(f.kept_scope)),
               Fixed(median(&Figures::dry_s) * 1000, 0) + " ms", Fixed(prune_s * 1000, 0) + " ms",
               Grouped(static_cast<double>(f.pruned) / prune_s),
               Fixed(median(&Figures::again_s) * 1000, 0) + " ms",
               Fixed(f.mb_before, 1) + " -> " + Fixed(f.mb_after, 1)});
  }
  table.Print(std::cout);
  return 0;
}

}  // namespace
}  // namespace accord::bench

int main(int argc, char** argv) {
  return accord::bench::Main(argc, argv);
}
