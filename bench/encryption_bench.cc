// encryption_bench: what encryption at rest of personal data costs
// (docs/encryption.md, issue 12). The same case records (5 text fields, every
// one personal) are written and synced on clear nodes and on encrypted ones:
//  (a) writes: PutMany of 1000 records x 5 fields per transaction, and Put of
//      one record x 1 field per transaction (an officer's edit);
//  (b) a full sync in process, pulled by a border office from its capital
//      (the sender opens every cell, the receiver seals every one);
//  (c) `accord encrypt` of a node holding the records (Store::EncryptPersonalData,
//      with its WAL checkpoint and VACUUM);
//  (d) opening the wrapped key with the passphrase (Argon2id), once per command.
// Median of --runs runs; each on fresh databases.
#include <cstdio>
#include <iostream>

#include "bench/bench_support.h"
#include "bench/bench_transports.h"
#include "core/key_file.h"
#include "sync/sync_session.h"

namespace accord::bench {
namespace {

const std::string kCapital = "KH-NCCT";
const std::string kBorder = "KH-POIPET";

std::unique_ptr<Store> NewNode(const TempDir& dir, const std::string& node,
                               std::shared_ptr<const DataKey> key) {
  StoreOptions options;
  options.data_key = std::move(key);
  return Check(Store::Create(dir.File(node + ".db"), node, std::move(options)), "creating " + node);
}

struct Figures {
  double insert_per_s = 0;  // field writes/s
  double edit_per_s = 0;    // field writes/s
  double sync_per_s = 0;    // field states/s
};

Figures RunOnce(int records, int edits, bool encrypted) {
  TempDir dir;
  auto key = encrypted ? std::make_shared<const DataKey>(DataKey::Generate()) : nullptr;
  auto capital = NewNode(dir, kCapital, key);
  Figures f;
  Stopwatch insert;
  FillCases(*capital, 0, records, 1000);
  f.insert_per_s = records * kCaseFields / insert.Seconds();
  Stopwatch edit;
  for (int i = 0; i < edits; ++i) Check(capital->Put(CaseWrite(i % records, 1, 1)), "Put");
  f.edit_per_s = edits / edit.Seconds();
  auto border = NewNode(dir, kBorder, key);
  InProcessTransport transport(*capital, kBorder);
  Stopwatch sync;
  auto summary = Check(sync::RunSync(*border, transport, CredentialsFor(*border)), "RunSync");
  f.sync_per_s = static_cast<double>(summary.states_received) / sync.Seconds();
  return f;
}

double EncryptSeconds(int records) {
  TempDir dir;
  auto node = NewNode(dir, kCapital, nullptr);
  FillCases(*node, 0, records, 1000);
  Stopwatch sw;
  auto report =
      Check(node->EncryptPersonalData(std::make_shared<const DataKey>(DataKey::Generate())),
            "EncryptPersonalData");
  double seconds = sw.Seconds();
  if (report.cells_sealed != static_cast<int64_t>(records) * kCaseFields) {
    std::cerr << "sealed " << report.cells_sealed << " cells, expected " << records * kCaseFields
              << "\n";
    std::exit(1);
  }
  return seconds;
}

double UnwrapSeconds() {
  TempDir dir;
  std::string path = dir.File("data-key");
  DataKey key = DataKey::Generate();
  Check(WriteWrappedKey(path, key, "an office passphrase"), "WriteWrappedKey");
  Stopwatch sw;
  Check(UnwrapKey(path, "an office passphrase"), "UnwrapKey");
  return sw.Seconds();
}

int Main(int argc, char** argv) {
  Flags flags(argc, argv, {{"records", "20000"}, {"edits", "2000"}, {"runs", "3"}});
  const int records = static_cast<int>(flags.Int("records"));
  const int edits = static_cast<int>(flags.Int("edits"));
  const int runs = static_cast<int>(flags.Int("runs"));
  std::cout << "encryption_bench";
  flags.Print(std::cout);
  std::cout << "\n"
            << records << " case records x " << kCaseFields << " personal fields; median of "
            << runs << " runs\n\n";
  std::map<bool, std::vector<Figures>> figures;
  for (int r = 0; r < runs; ++r) {
    for (bool encrypted : {false, true})
      figures[encrypted].push_back(RunOnce(records, edits, encrypted));
  }
  auto median = [&](bool encrypted, double Figures::*field) {
    std::vector<double> v;
    for (const Figures& f : figures[encrypted]) v.push_back(f.*field);
    return Median(v);
  };
  Table table({"workload", "clear", "encrypted", "cost"});
  for (auto [name, field] :
       {std::pair{"insert: PutMany 1000 x 5 / txn (field writes/s)", &Figures::insert_per_s},
        std::pair{"edit: Put 1 x 1 / txn (field writes/s)", &Figures::edit_per_s},
        std::pair{"sync: full pull in process (states/s)", &Figures::sync_per_s}}) {
    double clear = median(false, field), sealed = median(true, field);
    table.Row({name, Grouped(clear), Grouped(sealed),
               (clear >= sealed ? "+" : "") + Fixed((clear / sealed - 1) * 100, 1) + " % time"});
  }
  table.Print(std::cout);
  std::vector<double> encrypt;
  for (int r = 0; r < runs; ++r) encrypt.push_back(EncryptSeconds(records));
  std::cout << "\naccord encrypt of " << records * kCaseFields
            << " field versions: " << Fixed(Median(encrypt) * 1000, 0)
            << " ms (sealing, WAL checkpoint, VACUUM)\n";
  std::cout << "opening the wrapped key (Argon2id, 3 passes, 64 MiB): "
            << Fixed(UnwrapSeconds() * 1000, 0) << " ms, once per command\n";
  return 0;
}

}  // namespace
}  // namespace accord::bench

int main(int argc, char** argv) {
  return accord::bench::Main(argc, argv);
}
