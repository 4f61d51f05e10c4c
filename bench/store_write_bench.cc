// store_write_bench: what version vectors and the change log cost on writes.
//
// The same case records are written three ways, each on a fresh database with
// the pragmas every Accord database has (core/sqlite.h: WAL, synchronous=NORMAL),
// through the same statement cache:
//   versioned      Store::PutMany / Store::Put (vectors, change log, history)
//   plain fields   one row per field:  case_fields(record_id, field, value)
//   plain records  one row per record: case_rows(id, type, reference, ...)
// and the goal is checked: versioned at most 3x the time of plain SQLite.
// A traced pass then splits the versioned time by SQL statement.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>

#include "bench/bench_support.h"
#include "bench/statement_profile.h"
#include "core/sqlite.h"
#include "core/store.h"
#include "tests/store_peek.h"

namespace accord::bench {
namespace {

constexpr double kGoalRatio = 3.0;

// One way of storing the records.
class Target {
 public:
  virtual ~Target() = default;
  // One transaction creating whole records.
  virtual void InsertBatch(const std::vector<RecordWrite>& batch) = 0;
  // One transaction updating some fields of one existing record.
  virtual void Update(const RecordWrite& write) = 0;
  virtual Database& db() = 0;
};

class VersionedTarget : public Target {
 public:
  explicit VersionedTarget(const std::string& path)
      : store_(Check(Store::Create(path, "KH-NCCT"), "creating the versioned store")) {}
  void InsertBatch(const std::vector<RecordWrite>& batch) override {
    Check(store_->PutMany(batch), "PutMany");
  }
  void Update(const RecordWrite& write) override { Check(store_->Put(write), "Put"); }
  Database& db() override { return testing::PeekDb(*store_); }

 private:
  std::unique_ptr<Store> store_;
};

class PlainFieldsTarget : public Target {
 public:
  explicit PlainFieldsTarget(const std::string& path)
      : db_(Check(Database::Open(path, true), "opening plain database")) {
    Check(db_->Exec("CREATE TABLE case_fields(record_id TEXT NOT NULL, field TEXT NOT NULL, "
                    "value TEXT, PRIMARY KEY(record_id, field)) WITHOUT ROWID"),
          "creating case_fields");
  }
  void InsertBatch(const std::vector<RecordWrite>& batch) override {
    auto txn = Check(Transaction::Begin(*db_, Transaction::Mode::kWrite), "BEGIN");
    Statement* insert =
        Check(db_->Prepare("INSERT INTO case_fields(record_id, field, value) VALUES(?, ?, ?)"),
              "prepare");
    for (const RecordWrite& w : batch) {
      for (const FieldWrite& f : w.writes) {
        Check(insert->Bind(1, *w.id).Bind(2, f.field).BindOptional(3, f.value).Run(), "INSERT");
      }
    }
    Check(txn->Commit(), "COMMIT");
  }
  void Update(const RecordWrite& w) override {
    auto txn = Check(Transaction::Begin(*db_, Transaction::Mode::kWrite), "BEGIN");
    Statement* update =
        Check(db_->Prepare("UPDATE case_fields SET value = ? WHERE record_id = ? AND field = ?"),
              "prepare");
    for (const FieldWrite& f : w.writes) {
      Check(update->BindOptional(1, f.value).Bind(2, *w.id).Bind(3, f.field).Run(), "UPDATE");
    }
    Check(txn->Commit(), "COMMIT");
  }
  Database& db() override { return *db_; }

 private:
  std::unique_ptr<Database> db_;
};

class PlainRowsTarget : public Target {
 public:
  explicit PlainRowsTarget(const std::string& path)
      : db_(Check(Database::Open(path, true), "opening plain database")) {
    // A column per field the synthetic cases write (bench_support.h).
    std::string columns, names, places;
    for (const std::string& field : CaseFieldNames()) {
      columns += ", " + field + " TEXT";
      names += ", " + field;
      places += ", ?";
    }
    Check(db_->Exec("CREATE TABLE case_rows(id TEXT PRIMARY KEY, type TEXT NOT NULL" + columns +
                    ") WITHOUT ROWID"),
          "creating case_rows");
    insert_sql_ = "INSERT INTO case_rows(id, type" + names + ") VALUES(?, ?" + places + ")";
  }
  void InsertBatch(const std::vector<RecordWrite>& batch) override {
    auto txn = Check(Transaction::Begin(*db_, Transaction::Mode::kWrite), "BEGIN");
    Statement* insert = Check(db_->Prepare(insert_sql_), "prepare");
    for (const RecordWrite& w : batch) {
      insert->Bind(1, *w.id).Bind(2, w.type);
      for (size_t f = 0; f < w.writes.size(); ++f)
        insert->BindOptional(3 + static_cast<int>(f), w.writes[f].value);
      Check(insert->Run(), "INSERT");
    }
    Check(txn->Commit(), "COMMIT");
  }
  void Update(const RecordWrite& w) override {
    auto txn = Check(Transaction::Begin(*db_, Transaction::Mode::kWrite), "BEGIN");
    std::string sql = "UPDATE case_rows SET ";
    for (size_t f = 0; f < w.writes.size(); ++f)
      sql += (f ? ", " : "") + w.writes[f].field + " = ?";
    sql += " WHERE id = ?";
    Statement* update = Check(db_->Prepare(sql), "prepare");
    int i = 1;
    for (const FieldWrite& f : w.writes) update->BindOptional(i++, f.value);
    Check(update->Bind(i, *w.id).Run(), "UPDATE");
    Check(txn->Commit(), "COMMIT");
  }
  Database& db() override { return *db_; }

 private:
  std::unique_ptr<Database> db_;
  std::string insert_sql_;
};

enum class Kind { kVersioned, kPlainFields, kPlainRows };
const char* KindName(Kind k) {
  switch (k) {
    case Kind::kVersioned:
      return "versioned";
    case Kind::kPlainFields:
      return "plain fields";
    case Kind::kPlainRows:
      return "plain records";
  }
  return "?";
}

// A database of one kind in a scratch directory of its own.
struct Instance {
  TempDir dir;
  std::unique_ptr<Target> target;
  // `pragmas` (SQL, may be empty) runs on every connection after it opens:
  // a way to try settings on all three kinds alike without touching core/.
  Instance(Kind kind, const std::string& pragmas) {
    std::string path = dir.File("bench.db");
    if (kind == Kind::kVersioned) target = std::make_unique<VersionedTarget>(path);
    if (kind == Kind::kPlainFields) target = std::make_unique<PlainFieldsTarget>(path);
    if (kind == Kind::kPlainRows) target = std::make_unique<PlainRowsTarget>(path);
    if (!pragmas.empty()) Check(target->db().Exec(pragmas), "--pragmas");
  }
  // Database bytes after folding the WAL back in.
  uintmax_t Bytes() {
    Check(target->db().Exec("PRAGMA wal_checkpoint(TRUNCATE)"), "checkpoint");
    std::error_code ec;
    return std::filesystem::file_size(dir.File("bench.db"), ec);
  }
};

struct Workload {
  std::vector<std::vector<RecordWrite>> batches;   // insert: PutMany calls
  std::vector<std::vector<RecordWrite>> updates5;  // per repetition: Put calls, 5 fields each
  std::vector<std::vector<RecordWrite>> updates1;  // per repetition: Put calls, 1 field each
  long insert_fields = 0;
};

Workload MakeWorkload(int records, int batch, int updates, int reps) {
  Workload w;
  for (int start = 0; start < records; start += batch) {
    std::vector<RecordWrite> b;
    for (int r = start; r < std::min(records, start + batch); ++r) b.push_back(CaseWrite(r, 0));
    w.insert_fields += static_cast<long>(b.size()) * kCaseFields;
    w.batches.push_back(std::move(b));
  }
  // Distinct records within a repetition, so every Put is a real change.
  std::mt19937 rng(20261123);
  std::vector<int> order(records);
  std::iota(order.begin(), order.end(), 0);
  for (int rep = 0; rep < reps; ++rep) {
    std::shuffle(order.begin(), order.end(), rng);
    std::vector<RecordWrite> five, one;
    for (int i = 0; i < std::min(updates, records); ++i) {
      five.push_back(CaseWrite(order[i], 1 + rep));
      one.push_back(CaseWrite(order[i], 100 + rep, 1));
    }
    w.updates5.push_back(std::move(five));
    w.updates1.push_back(std::move(one));
  }
  return w;
}

// Field writes per second, one entry per repetition.
struct Rates {
  std::vector<double> insert, update5, update1;
  uintmax_t bytes_after_insert = 0;
};

double TimeUpdates(Target& t, const std::vector<RecordWrite>& updates) {
  Stopwatch sw;
  for (const RecordWrite& u : updates) t.Update(u);
  return sw.Seconds();
}

constexpr Kind kKinds[] = {Kind::kVersioned, Kind::kPlainFields, Kind::kPlainRows};

// The kinds take turns within each repetition, so a busy moment of a shared
// machine slows all of them rather than one; updates run on the databases the
// last repetition inserted.
std::map<Kind, Rates> Measure(const Workload& w, int reps, const std::string& pragmas) {
  std::map<Kind, Rates> rates;
  std::map<Kind, std::unique_ptr<Instance>> last;
  for (int rep = 0; rep < reps; ++rep) {
    for (Kind kind : kKinds) {
      last[kind] = std::make_unique<Instance>(kind, pragmas);
      Stopwatch sw;
      for (const auto& b : w.batches) last[kind]->target->InsertBatch(b);
      rates[kind].insert.push_back(w.insert_fields / sw.Seconds());
    }
  }
  for (Kind kind : kKinds) rates[kind].bytes_after_insert = last[kind]->Bytes();
  for (int rep = 0; rep < reps; ++rep) {
    for (Kind kind : kKinds) {
      const auto& five = w.updates5[rep];
      rates[kind].update5.push_back(five.size() * kCaseFields /
                                    TimeUpdates(*last[kind]->target, five));
      const auto& one = w.updates1[rep];
      rates[kind].update1.push_back(one.size() / TimeUpdates(*last[kind]->target, one));
    }
  }
  return rates;
}

// Median over repetitions of plain / versioned: how many times the plain time versioned takes.
double CostRatio(const std::vector<double>& versioned, const std::vector<double>& plain) {
  std::vector<double> ratios;
  for (size_t i = 0; i < versioned.size(); ++i) ratios.push_back(plain[i] / versioned[i]);
  return Median(ratios);
}

void PrintRates(const Workload& w, std::map<Kind, Rates>& r, int batch) {
  const Rates& v = r[Kind::kVersioned];
  const Rates& pf = r[Kind::kPlainFields];
  const Rates& pr = r[Kind::kPlainRows];
  Table t({"workload (field writes/s, median)", "versioned", "plain fields", "plain records",
           "cost x vs fields", "cost x vs records"});
  auto row = [&](const std::string& name, const std::vector<double>& rv,
                 const std::vector<double>& rf, const std::vector<double>& rr) {
    t.Row({name, Grouped(Median(rv)), Grouped(Median(rf)), Grouped(Median(rr)),
           Fixed(CostRatio(rv, rf), 2), Fixed(CostRatio(rv, rr), 2)});
  };
  row("insert: PutMany, " + std::to_string(batch) + " records x 5 fields per txn", v.insert,
      pf.insert, pr.insert);
  row("update: Put, 1 record x 5 fields per txn", v.update5, pf.update5, pr.update5);
  row("update: Put, 1 record x 1 field per txn", v.update1, pf.update1, pr.update1);
  t.Print(std::cout);
  std::cout
      << "cost x = versioned time / plain time for the same writes (median over runs); goal <= "
      << Fixed(kGoalRatio, 1) << "\n";
  std::cout << "transactions/s: update 5 fields: versioned " << Grouped(Median(v.update5) / 5)
            << ", plain fields " << Grouped(Median(pf.update5) / 5) << ", plain records "
            << Grouped(Median(pr.update5) / 5) << "; update 1 field: versioned "
            << Grouped(Median(v.update1)) << ", plain fields " << Grouped(Median(pf.update1))
            << ", plain records " << Grouped(Median(pr.update1)) << "\n";
  double fields = static_cast<double>(w.insert_fields);
  std::cout << "database bytes per field after the insert: versioned "
            << Fixed(v.bytes_after_insert / fields, 1) << ", plain fields "
            << Fixed(pf.bytes_after_insert / fields, 1) << ", plain records "
            << Fixed(pr.bytes_after_insert / fields, 1) << "\n";
}

// `untraced_us` is the time per field write of the untraced run: statement
// times come from the traced run, the rest (C++ around the statements) is the difference.
void PrintProfile(const std::string& title, const StatementProfile& p, long field_writes,
                  double untraced_us) {
  double inside_us = p.TotalSeconds() / field_writes * 1e6;
  std::cout << "\n"
            << title << ": " << Fixed(untraced_us, 2) << " us per field write (untraced); "
            << Fixed(static_cast<double>(p.TotalCalls()) / field_writes, 2)
            << " statements per field write; "
            << Fixed(static_cast<double>(p.wal_pages()) / p.commits(), 1)
            << " WAL pages per commit; in SQLite " << Fixed(inside_us, 2) << " us, around it (C++) "
            << Fixed(std::max(0.0, untraced_us - inside_us), 2) << " us\n";
  Table t({"statement", "per field write", "us per call", "us per field write"});
  for (const auto& e : p.Entries()) {
    std::string sql = e.sql.size() > 78 ? e.sql.substr(0, 75) + "..." : e.sql;
    t.Row({sql, Fixed(static_cast<double>(e.calls) / field_writes, 3),
           Fixed(e.seconds / e.calls * 1e6, 2), Fixed(e.seconds / field_writes * 1e6, 3)});
  }
  t.Print(std::cout);
}

// One more run of each workload with every statement traced.
void ProfileKind(Kind kind, const Workload& w, const Rates& rates, const std::string& pragmas) {
  Instance inst(kind, pragmas);
  std::string name = KindName(kind);
  {
    StatementProfile p(inst.target->db().handle());
    for (const auto& b : w.batches) inst.target->InsertBatch(b);
    PrintProfile(name + ", insert", p, w.insert_fields, 1e6 / Median(rates.insert));
  }
  {
    StatementProfile p(inst.target->db().handle());
    TimeUpdates(*inst.target, w.updates5[0]);
    PrintProfile(name + ", update 5 fields per txn", p,
                 static_cast<long>(w.updates5[0].size()) * kCaseFields,
                 1e6 / Median(rates.update5));
  }
  {
    StatementProfile p(inst.target->db().handle());
    TimeUpdates(*inst.target, w.updates1[0]);
    PrintProfile(name + ", update 1 field per txn", p, static_cast<long>(w.updates1[0].size()),
                 1e6 / Median(rates.update1));
  }
}

// `accord load` end to end (process start, JSON parse, one PutMany, commit), when the CLI was
// built.
void TimeAccordLoad(int records) {
  std::filesystem::path accord =
      std::filesystem::read_symlink("/proc/self/exe").parent_path() / "accord";
  std::string sample = std::string(ACCORD_SOURCE_DIR) + "/data/sample.json";
  std::cout << "\n== accord load, end to end (fresh node directory each run, median of 3)\n";
  if (!std::filesystem::exists(accord)) {
    std::cout << "skipped: " << accord.string() << " not built\n";
    return;
  }
  TempDir scratch;
  std::string generated = scratch.File("cases.json");
  {
    nlohmann::json doc;
    doc["records"] = nlohmann::json::array();
    for (int r = 0; r < records; ++r) {
      RecordWrite w = CaseWrite(r, 0);
      nlohmann::json rec = {{"type", w.type}, {"id", *w.id}};
      for (const auto& f : w.writes) rec[f.field] = *f.value;
      doc["records"].push_back(std::move(rec));
    }
    std::ofstream(generated) << doc.dump();
  }
  auto count_records = [](const std::string& file) {
    std::ifstream in(file);
    return nlohmann::json::parse(in)["records"].size();
  };
  for (const std::string& file : {sample, generated}) {
    size_t n = count_records(file);
    std::vector<double> seconds;
    for (int rep = 0; rep < 3; ++rep) {
      TempDir node;
      std::string dir = node.File("node");
      std::string init =
          "'" + accord.string() + "' --dir '" + dir + "' init --node-id BENCH-LOAD >/dev/null";
      if (std::system(init.c_str()) != 0) Die(Internal(init), "accord init");
      std::string load =
          "'" + accord.string() + "' --dir '" + dir + "' load '" + file + "' >/dev/null";
      Stopwatch sw;
      if (std::system(load.c_str()) != 0) Die(Internal(load), "accord load");
      seconds.push_back(sw.Seconds());
    }
    double s = Median(seconds);
    std::cout << "accord load " << std::filesystem::path(file).filename().string() << ": " << n
              << " records in " << Fixed(s * 1000, 1) << " ms = " << Grouped(n / s)
              << " records/s\n";
  }
}

int Main(int argc, char** argv) {
  Flags flags(argc, argv,
              {{"records", "20000"},
               {"batch", "1000"},
               {"updates", "2000"},
               {"reps", "5"},
               {"profile", "1"},
               {"load", "1"},
               {"pragmas", ""}});
  const std::string& pragmas = flags.Str("pragmas");
  int records = static_cast<int>(flags.Int("records"));
  int batch = static_cast<int>(flags.Int("batch"));
  int reps = static_cast<int>(flags.Int("reps"));
  std::cout << "store_write_bench";
  flags.Print(std::cout);
  std::cout << "\n"
            << records << " case records x " << kCaseFields
            << " fields; inserts in PutMany batches of " << batch
            << " records; updates: " << flags.Int("updates")
            << " Put calls (distinct random records), each its own transaction; median of " << reps
            << " runs\n\n";
  Workload w = MakeWorkload(records, batch, static_cast<int>(flags.Int("updates")), reps);
  Stopwatch total;
  std::map<Kind, Rates> rates = Measure(w, reps, pragmas);
  PrintRates(w, rates, batch);
  if (flags.Int("profile")) {
    std::cout << "\n== where the time goes (statements timed in one more, traced run)\n";
    for (Kind kind : kKinds) ProfileKind(kind, w, rates[kind], pragmas);
  }
  if (flags.Int("load")) TimeAccordLoad(records);
  std::cout << "\ntotal " << Fixed(total.Seconds(), 1) << " s, peak RSS " << PeakRssKb() / 1024
            << " MiB\n";
  return 0;
}

}  // namespace
}  // namespace accord::bench

int main(int argc, char** argv) {
  return accord::bench::Main(argc, argv);
}
