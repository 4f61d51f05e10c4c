// sync_bench: what a sync costs, in process, with real frames (RunSync on one
// side, SyncService::Handle on the other; see bench_transports.h).
//  (a) a full transfer of --records x 5 field states, pulled and pushed:
//      states per second, bytes on the wire per state, peak RSS; then the same
//      pull with each side in its own process, for each side's own peak RSS;
//  (b) syncs with nothing to send: the first one after a big transfer (the
//      receiver's log holds states the sender already has, and is scanned
//      once), then the steady state: round trips, bytes, median time;
//  (c) 100 changes synced into a node holding --small and then --big field
//      states: the time per sync must follow the changes, not the database size.
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <numeric>
#include <random>
#include <sstream>

#include "bench/bench_support.h"
#include "bench/bench_transports.h"
#include "sync/sync_session.h"

namespace accord::bench {
namespace {

// The office that wrote the data, and the offices that receive it.
const std::string kWriter = "KH-NCCT";
const std::string kCapital = "TH-MSDHS";
const std::string kBorder = "KH-POIPET";
const std::string kProvince = "KH-SIEMREAP";

std::unique_ptr<Store> NewStore(const TempDir& dir, const std::string& node) {
  return Check(Store::Create(dir.File(node + ".db"), node), "creating " + node);
}

struct SyncRun {
  double seconds = 0;
  sync::SyncSummary summary;
  WireCounts wire;
  long states() const { return static_cast<long>(summary.states_received + summary.states_sent); }
};

// `client` runs RunSync against `server`'s SyncService.
SyncRun TimedSync(Store& client, Store& server, bool measure_raw = false) {
  InProcessTransport transport(server, client.node_id());
  transport.measure_raw = measure_raw;
  SyncRun run;
  Stopwatch sw;
  run.summary = Check(sync::RunSync(client, transport, CredentialsFor(client)),
                      "RunSync " + client.node_id() + " -> " + server.node_id());
  run.seconds = sw.Seconds();
  run.wire = transport.counts;
  return run;
}

std::string Mib(long kb) {
  return Fixed(kb / 1024.0, 1);
}

// ---- (a) and (b), in one process.

void AddTransferRow(Table& t, const std::string& name, const SyncRun& r, long peak_kb) {
  long states = std::max(1L, r.states());
  t.Row({name, Grouped(r.states()), Fixed(r.seconds, 2), Grouped(r.states() / r.seconds),
         std::to_string(r.wire.round_trips), Fixed(static_cast<double>(r.wire.bytes()) / states, 1),
         Fixed(r.wire.bytes() / 1048576.0, 2), peak_kb ? Mib(peak_kb) : "-"});
}

void EmptySyncs(Store& client, Store& server, int count) {
  std::vector<double> ms;
  SyncRun last;
  for (int i = 0; i < count; ++i) {
    last = TimedSync(client, server);
    if (last.states() != 0) Die(Internal("an empty sync moved states"), "empty sync");
    ms.push_back(last.seconds * 1000);
  }
  std::cout << "steady state, nothing to send (" << client.node_id() << " -> " << server.node_id()
            << ", " << count << " syncs): median " << Fixed(Median(ms), 3) << " ms per sync, "
            << last.wire.round_trips << " round trips, " << last.wire.request_bytes << " + "
            << last.wire.reply_bytes << " bytes (requests + replies)\n";
}

void InProcessTransfer(int records, int empty_syncs) {
  std::cout << "\n== (a) full transfer, both sides in this process (peak RSS is of both)\n";
  TempDir dir;
  auto writer = NewStore(dir, kWriter);
  Stopwatch build;
  FillCases(*writer, 0, records, 1000);
  std::cout << "built " << kWriter << ": " << records << " records x " << kCaseFields
            << " fields in " << Fixed(build.Seconds(), 2)
            << " s (PutMany, 1000 records per call)\n";

  Table t({"sync", "states", "s", "states/s", "round trips", "bytes/state", "wire MiB",
           "peak RSS MiB"});
  auto capital = NewStore(dir, kCapital);
  bool reset = ResetPeakRss();
  SyncRun pull = TimedSync(*capital, *writer);
  AddTransferRow(t, kCapital + " pulls from " + kWriter, pull, reset ? PeakRssKb() : 0);
  auto border = NewStore(dir, kBorder);
  reset = ResetPeakRss();
  SyncRun push = TimedSync(*writer, *border);
  AddTransferRow(t, kWriter + " pushes to " + kBorder, push, reset ? PeakRssKb() : 0);
  t.Print(std::cout);
  auto province = NewStore(dir, kProvince);
  SyncRun sized = TimedSync(*province, *writer, /*measure_raw=*/true);
  std::cout
      << "bytes = request + reply frames (protobuf, zstd level 3) per state moved; before zstd "
      << Fixed(static_cast<double>(sized.wire.raw_bytes) / sized.states(), 1)
      << " bytes/state (an untimed pull). The pull's " << pull.summary.pages_pushed
      << " push round trip(s) carry no states: see (b).\n";

  std::cout << "\n== (b) syncs with nothing to send\n";
  SyncRun echo = TimedSync(*writer, *border);
  std::cout << "first sync after the push (" << kWriter << " -> " << kBorder
            << "): " << Fixed(echo.seconds * 1000, 1) << " ms, " << echo.wire.round_trips
            << " round trips (" << echo.summary.pages_pulled << " pull pages with 0 states), "
            << echo.wire.bytes() << " bytes: " << kBorder << "'s log holds "
            << Grouped(push.states()) << " states that " << kWriter
            << " already has: scanned once by " << kBorder
            << ", which reads on past them within a request\n";
  EmptySyncs(*capital, *writer, empty_syncs);
}

// ---- (e) sharing scopes: the same transfer read for a node of the writer's
// party (every record allowed, the policy still evaluated) and for one of the
// other party (half the cases held back: consent refused).

void SharingTransfer(int records) {
  std::cout << "\n== (e) sharing scopes: " << records << " cases, every other one with consent "
            << "refused\n";
  TempDir dir;
  auto writer = NewStore(dir, kWriter);
  FillCases(*writer, 0, records, 1000);
  for (int start = 0; start < records; start += 1000) {
    std::vector<RecordWrite> refusals;
    for (int r = start; r < std::min(records, start + 1000); r += 2) {
      refusals.push_back({"case", CaseId(r), {{"consent", "refused"}}});
    }
    Check(writer->PutMany(refusals), "PutMany");
  }
  Table t({"sync", "states moved", "s", "log states/s", "peak RSS MiB"});
  const double log_states = records * kCaseFields;
  for (const std::string& reader : {std::string("KH-SIEMREAP"), std::string(kCapital)}) {
    auto store = NewStore(dir, reader);
    bool reset = ResetPeakRss();
    SyncRun run = TimedSync(*store, *writer);
    t.Row({reader + " pulls from " + kWriter, Grouped(run.states()), Fixed(run.seconds, 2),
           Grouped(static_cast<long>(log_states / run.seconds)), reset ? Mib(PeakRssKb()) : "-"});
  }
  t.Print(std::cout);
  std::cout << "log states/s: the writer's live states scanned per second (all of them are "
               "read and judged either way)\n";
  // The reads alone, the policy off and on: what filtering costs a sender.
  Table reads({"ReadChanges over the whole log", "states", "s", "states/s"});
  std::vector<std::pair<std::string, PageReader>> readers = {
      {"no filter (a backup)", PageReader{"", std::nullopt}},
      {"for a KH node (all allowed)", PageReader{"KH-SIEMREAP", std::string("KH")}},
      {"for a TH node (half held back)", PageReader{"TH-ARANYA", std::string("TH")}}};
  for (const auto& [name, reader] : readers) {
    Stopwatch sw;
    uint64_t cursor = 0;
    long states = 0;
    while (true) {
      ChangePage page = Check(writer->ReadChanges(cursor, 1000, VersionVector(), reader), name);
      states += static_cast<long>(page.states.size());
      cursor = page.next_cursor;
      if (page.done) break;
    }
    double s = sw.Seconds();
    reads.Row({name, Grouped(states), Fixed(s, 2), Grouped(static_cast<long>(states / s))});
  }
  reads.Print(std::cout);
}

// ---- (a) again, each side in its own process.

struct ChildReport {
  std::string role;
  long peak_kb = 0;
  long start_kb = 0;
  double seconds = 0;
  long states = 0;
  long round_trips = 0;
  long bytes = 0;
};

void SendReport(int fd, const ChildReport& r) {
  char line[256];
  int n = std::snprintf(line, sizeof line, "%s %ld %ld %.6f %ld %ld %ld\n", r.role.c_str(),
                        r.peak_kb, r.start_kb, r.seconds, r.states, r.round_trips, r.bytes);
  WriteAll(fd, line, static_cast<size_t>(n));
}

template <typename Fn>
pid_t Spawn(Fn fn) {
  std::cout.flush();
  pid_t pid = fork();
  if (pid < 0) Die(IoError("fork failed"), "fork");
  if (pid == 0) {
    fn();
    _exit(0);
  }
  return pid;
}

void WaitFor(pid_t pid, const std::string& what) {
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) Die(Internal(what + " failed"), what);
}

void ForkedTransfer(int records) {
  std::cout << "\n== (a) the same pull, each side in a process of its own\n";
  // The deployment and both nodes' certificates are made here, before any
  // fork: made in a child, each process would have a CA of its own.
  CredentialsFor(kWriter);
  CredentialsFor(kCapital);
  TempDir dir;
  WaitFor(Spawn([&] { FillCases(*NewStore(dir, kWriter), 0, records, 1000); }),
          "building " + kWriter);
  int link[2], results[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, link) != 0 || pipe(results) != 0)
    Die(IoError("pipe"), "pipe");
  pid_t server = Spawn([&] {
    close(link[0]);
    close(results[0]);
    ChildReport r{"server"};
    auto store = Check(Store::Open(dir.File(kWriter + ".db")), "opening " + kWriter);
    r.start_kb = CurrentRssKb();
    ServeSocket(*store, link[1], kCapital);
    r.peak_kb = PeakRssKb();
    SendReport(results[1], r);
  });
  pid_t client = Spawn([&] {
    close(link[1]);
    close(results[0]);
    ChildReport r{"client"};
    auto store = NewStore(dir, kCapital);
    r.start_kb = CurrentRssKb();
    SocketTransport transport(link[0]);
    Stopwatch sw;
    auto summary =
        Check(sync::RunSync(*store, transport, CredentialsFor(*store)), "RunSync over a socket");
    r.seconds = sw.Seconds();
    r.states = static_cast<long>(summary.states_received);
    r.round_trips = transport.counts.round_trips;
    r.bytes = transport.counts.bytes();
    r.peak_kb = PeakRssKb();
    close(link[0]);
    SendReport(results[1], r);
  });
  close(link[0]);
  close(link[1]);
  close(results[1]);
  std::string text;
  char buffer[512];
  for (ssize_t n; (n = read(results[0], buffer, sizeof buffer)) > 0;)
    text.append(buffer, static_cast<size_t>(n));
  close(results[0]);
  WaitFor(client, "the client process");
  WaitFor(server, "the serving process");
  std::istringstream in(text);
  ChildReport r;
  while (in >> r.role >> r.peak_kb >> r.start_kb >> r.seconds >> r.states >> r.round_trips >>
         r.bytes) {
    if (r.role == "client") {
      std::cout << kCapital << " (client, applies): " << Grouped(r.states) << " states in "
                << Fixed(r.seconds, 2) << " s = " << Grouped(r.states / r.seconds) << " states/s, "
                << r.round_trips << " round trips, "
                << Fixed(static_cast<double>(r.bytes) / r.states, 1) << " bytes/state; peak RSS "
                << Mib(r.peak_kb) << " MiB (" << Mib(r.start_kb)
                << " MiB after opening its store)\n";
    } else {
      std::cout << kWriter << " (server, reads its log): peak RSS " << Mib(r.peak_kb) << " MiB ("
                << Mib(r.start_kb) << " MiB after opening its store)\n";
    }
  }
}

// ---- (c) a few changes into a small and a big node.

struct SizeResult {
  long states = 0;
  double build_s = 0;
  SyncRun setup;  // the first, full sync
  std::vector<double> push_ms, pull_ms, empty_ms;
  SyncRun push, pull, empty;  // the last of each, for round trips and bytes
};

// `office` makes `changes` one-field edits of distinct existing records.
void EditSome(Store& office, int records, int changes, int edition, std::mt19937& rng) {
  std::vector<int> ids(records);
  std::iota(ids.begin(), ids.end(), 0);
  std::shuffle(ids.begin(), ids.end(), rng);
  for (int i = 0; i < changes; ++i) Check(office.Put(CaseWrite(ids[i], edition, 1)), "Put");
}

SizeResult ChangesIntoNode(long states, int rounds, int changes) {
  SizeResult res;
  res.states = states;
  int records = static_cast<int>(states / kCaseFields);
  TempDir dir;
  auto capital = NewStore(dir, kCapital);
  Stopwatch build;
  FillCases(*capital, 0, records, 1000);
  res.build_s = build.Seconds();
  // The border office first receives everything (its first sync also scans
  // back what it received): from then on both nodes hold `states` states.
  auto border = NewStore(dir, kBorder);
  res.setup = TimedSync(*border, *capital);
  std::mt19937 rng(20261123);
  for (int round = 0; round < rounds; ++round) {
    EditSome(*border, records, changes, round + 1, rng);
    if (round % 2 == 0) {
      res.push = TimedSync(*border, *capital);  // the border office pushes its edits
      res.push_ms.push_back(res.push.seconds * 1000);
    } else {
      res.pull = TimedSync(*capital, *border);  // the capital pulls them
      res.pull_ms.push_back(res.pull.seconds * 1000);
    }
  }
  for (int i = 0; i < rounds; ++i) {
    res.empty = TimedSync(*border, *capital);
    res.empty_ms.push_back(res.empty.seconds * 1000);
  }
  return res;
}

void PrintSizes(const std::vector<SizeResult>& sizes, int changes) {
  Table t({"node holds (field states)", "build s", "first full sync: s (round trips)",
           "push 100: ms", "pull 100: ms", "nothing to send: ms", "round trips (push/pull/none)",
           "bytes per 100-change sync"});
  for (const SizeResult& s : sizes) {
    t.Row({Grouped(s.states), Fixed(s.build_s, 1),
           Fixed(s.setup.seconds, 1) + " (" + std::to_string(s.setup.wire.round_trips) + ")",
           Fixed(Median(s.push_ms), 2), Fixed(Median(s.pull_ms), 2), Fixed(Median(s.empty_ms), 2),
           std::to_string(s.push.wire.round_trips) + "/" + std::to_string(s.pull.wire.round_trips) +
               "/" + std::to_string(s.empty.wire.round_trips),
           Grouped(s.push.wire.bytes())});
  }
  t.Print(std::cout);
  if (sizes.size() == 2) {
    std::cout << "big / small, time per sync: push "
              << Fixed(Median(sizes[1].push_ms) / Median(sizes[0].push_ms), 2) << "x, pull "
              << Fixed(Median(sizes[1].pull_ms) / Median(sizes[0].pull_ms), 2)
              << "x, nothing to send "
              << Fixed(Median(sizes[1].empty_ms) / Median(sizes[0].empty_ms), 2) << "x (size ratio "
              << Fixed(static_cast<double>(sizes[1].states) / sizes[0].states, 0) << "x)\n";
  }
  std::cout << "each sync moves " << changes
            << " one-field edits of distinct random records; medians\n";
}

int Main(int argc, char** argv) {
  Flags flags(argc, argv,
              {{"records", "20000"},
               {"empty", "50"},
               {"fork", "1"},
               {"small", "10000"},
               {"big", "1000000"},
               {"rounds", "20"},
               {"changes", "100"},
               {"sizes", "1"},
               {"sharing", "1"}});
  std::cout << "sync_bench";
  flags.Print(std::cout);
  std::cout << "\nin process, no network; frames encoded and decoded for real; page size "
            << sync::kDefaultPageSize << " (the default)\n";
  Stopwatch total;
  int records = static_cast<int>(flags.Int("records"));
  // Forked first, while this process is small: children start from its RSS.
  if (flags.Int("fork")) ForkedTransfer(records);
  InProcessTransfer(records, static_cast<int>(flags.Int("empty")));
  if (flags.Int("sharing")) SharingTransfer(records);

  if (!flags.Int("sizes")) return 0;
  int changes = static_cast<int>(flags.Int("changes"));
  int rounds = static_cast<int>(flags.Int("rounds"));
  std::cout << "\n== (c) " << changes << " changes into a node holding "
            << Grouped(flags.Int("small")) << " vs " << Grouped(flags.Int("big"))
            << " field states\n";
  std::vector<SizeResult> sizes;
  bool reset = ResetPeakRss();
  for (const char* size : {"small", "big"}) {
    sizes.push_back(ChangesIntoNode(flags.Int(size), rounds, changes));
    std::cout << "  node of " << Grouped(sizes.back().states) << " states ready and measured after "
              << Fixed(total.Seconds(), 1) << " s\n";
  }
  PrintSizes(sizes, changes);
  if (reset)
    std::cout << "peak RSS during (c), both nodes in this process: " << Mib(PeakRssKb())
              << " MiB\n";
  std::cout << "\ntotal " << Fixed(total.Seconds(), 1) << " s\n";
  return 0;
}

}  // namespace
}  // namespace accord::bench

int main(int argc, char** argv) {
  return accord::bench::Main(argc, argv);
}
