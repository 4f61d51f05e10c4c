// https_sync_bench: sync over loopback HTTPS between real `accord` processes.
//
//  (a) --records x 5 field states written on one node, pushed to a capital
//      running `accord serve` (mutual TLS, signed requests), then pulled by
//      a third node from that capital: states per second, bytes on the wire
//      per state, and the peak memory of each side on its own (the client's
//      from wait4, the server's VmHWM, reset between the two transfers);
//  (b) a sync with nothing to send: `accord sync` as a user runs it (a new
//      process, a TLS handshake), and RunSync over one kept-alive
//      HttpsTransport: time and bytes per sync.
// ACCORD_BENCH_SERVER_LOG=FILE appends the capital's log to FILE;
// ACCORD_BENCH_BINARY=PATH runs another build's `accord`.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "bench/bench_support.h"
#include "client/https_transport.h"
#include "server/loopback_port.h"
#include "sync/sync_session.h"

namespace accord::bench {
namespace {

using nlohmann::json;

struct ProcessRun {
  int exit_code = -1;
  double seconds = 0;
  double cpu_seconds = 0;  // user + system, all threads
  long peak_rss_kb = 0;
  std::string out;
};

double CpuSeconds(const rusage& usage) {
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// The `accord` binary the runs use: this build's, or ACCORD_BENCH_BINARY
// (another build's, to compare two builds under the same harness).
const char* AccordBinary() {
  const char* other = std::getenv("ACCORD_BENCH_BINARY");
  return other ? other : ACCORD_BINARY;
}

// Runs `accord ARGS...` to completion, capturing stdout; stderr is dropped.
ProcessRun RunAccord(const std::vector<std::string>& args) {
  int out_pipe[2];
  if (pipe(out_pipe) != 0) Die(Internal("pipe"), "running accord");
  Stopwatch sw;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out_pipe[1], 1);
    close(out_pipe[0]);
    if (!std::getenv("ACCORD_BENCH_STDERR")) {
      if (FILE* null = std::freopen("/dev/null", "w", stderr); null == nullptr) _exit(126);
    }
    std::vector<char*> argv{const_cast<char*>(AccordBinary())};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(AccordBinary(), argv.data());
    _exit(127);
  }
  close(out_pipe[1]);
  ProcessRun run;
  char buffer[4096];
  ssize_t n;
  while ((n = read(out_pipe[0], buffer, sizeof buffer)) > 0) run.out.append(buffer, n);
  close(out_pipe[0]);
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  run.seconds = sw.Seconds();
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.peak_rss_kb = usage.ru_maxrss;
  run.cpu_seconds = CpuSeconds(usage);
  return run;
}

ProcessRun MustRun(const std::vector<std::string>& args) {
  ProcessRun run = RunAccord(args);
  if (run.exit_code != 0) {
    std::string command = "accord";
    for (const auto& a : args) command += " " + a;
    Die(Internal("exit code " + std::to_string(run.exit_code) +
                 ", output: " + run.out.substr(0, 2000)),
        command);
  }
  return run;
}

long ProcessStatusKb(pid_t pid, const std::string& key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0)
      return std::strtol(line.c_str() + key.size() + 1, nullptr, 10);
  }
  return 0;
}

// `accord serve` for one node directory, until destroyed (SIGTERM).
class Server {
 public:
  Server(const std::string& dir, int port) : port_(port) {
    // ACCORD_BENCH_SERVER_LOG=FILE keeps the server's log (a line per
    // request, with its time): where a sync waits on which side.
    const char* log = std::getenv("ACCORD_BENCH_SERVER_LOG");
    pid_ = fork();
    if (pid_ == 0) {
      if (FILE* out = std::freopen(log ? log : "/dev/null", log ? "a" : "w", stderr); !out) {
        _exit(126);
      }
      std::string listen = "127.0.0.1:" + std::to_string(port);
      execl(AccordBinary(), AccordBinary(), "--dir", dir.c_str(), "serve", "--listen",
            listen.c_str(), "--no-ui", static_cast<char*>(nullptr));
      _exit(127);
    }
    // Ready when it has opened its listener.
    for (int i = 0; i < 400; ++i) {
      std::ifstream tcp("/proc/net/tcp");
      std::stringstream text;
      text << tcp.rdbuf();
      char hex[48];
      std::snprintf(hex, sizeof hex, ":%04X 00000000:0000 0A", port);
      if (text.str().find(hex) != std::string::npos) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    Die(Unavailable("accord serve did not start"), "starting the capital");
  }
  ~Server() {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
  long PeakRssKb() const { return ProcessStatusKb(pid_, "VmHWM"); }
  // CPU time used so far, all threads (utime + stime in /proc/PID/stat).
  double CpuSeconds() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // Fields after the command name, which is in parentheses and may hold spaces.
    std::istringstream rest(text.substr(text.rfind(')') + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && rest >> field; ++i) {
      if (i == 14) utime = std::stoull(field);
      if (i == 15) stime = std::stoull(field);
    }
    return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  bool ResetPeakRss() const {
    std::ofstream out("/proc/" + std::to_string(pid_) + "/clear_refs");
    out << "5";
    out.flush();
    return static_cast<bool>(out);
  }
  std::string Url() const { return "https://127.0.0.1:" + std::to_string(port_); }

 private:
  pid_t pid_ = -1;
  int port_;
};

std::string Mib(long kb) {
  return Fixed(kb / 1024.0, 1);
}

// `accord load` input: the same synthetic cases as the other benchmarks.
// Written by a child process: a client's peak RSS (ru_maxrss) includes the
// high-water mark of the process it was forked from, so this one stays small.
void WriteCases(const std::string& path, int records) {
  pid_t pid = fork();
  if (pid != 0) {
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) Die(Internal("failed"), "writing cases");
    return;
  }
  json list = json::array();
  for (int r = 0; r < records; ++r) {
    RecordWrite w = CaseWrite(r, 0);
    json record = {{"type", w.type}, {"id", *w.id}};
    for (const FieldWrite& f : w.writes) record[f.field] = *f.value;
    list.push_back(std::move(record));
  }
  std::ofstream(path) << json{{"records", list}}.dump();
  _exit(0);
}

void AddRow(Table& t, const std::string& name, const ProcessRun& run, long server_kb,
            double server_cpu) {
  json s = json::parse(run.out);
  long states = s["states_received"].get<long>() + s["states_sent"].get<long>();
  long bytes = s["bytes_sent"].get<long>() + s["bytes_received"].get<long>();
  t.Row({name, Grouped(states), Fixed(run.seconds, 2), Grouped(states / run.seconds),
         std::to_string(s["pages_pulled"].get<long>() + s["pages_pushed"].get<long>()),
         Fixed(static_cast<double>(bytes) / std::max(1L, states), 1), Mib(run.peak_rss_kb),
         server_kb ? Mib(server_kb) : "-", Fixed(run.cpu_seconds, 2), Fixed(server_cpu, 2)});
}

int Main(int argc, char** argv) {
  Flags flags(argc, argv, {{"records", "20000"}, {"empty", "50"}, {"page-size", "0"}});
  int records = static_cast<int>(flags.Int("records"));
  // 0: `accord sync`'s own default.
  std::vector<std::string> paging;
  if (flags.Int("page-size") > 0) paging = {"--page-size", std::to_string(flags.Int("page-size"))};
  std::cout << "https_sync_bench";
  flags.Print(std::cout);
  std::cout << "\n`accord` processes on 127.0.0.1, mutual TLS, signed requests, page size "
            << (paging.empty() ? std::to_string(sync::SyncOptions{}.page_size) + " (the default)"
                               : paging[1])
            << "\n";
  Stopwatch total;
  TempDir dir;
  std::string ca = dir.File("ca"), office = dir.File("KH-POIPET"), capital = dir.File("KH-NCCT"),
              other = dir.File("TH-MSDHS");
  MustRun({"cert", "ca", "--out", ca});
  for (const auto& [node, id] :
       {std::pair{office, "KH-POIPET"}, {capital, "KH-NCCT"}, {other, "TH-MSDHS"}}) {
    MustRun({"--dir", node, "init", "--node-id", id});
    MustRun({"--dir", node, "cert", "node", "--ca-dir", ca});
  }
  WriteCases(dir.File("cases.json"), records);
  ProcessRun load = MustRun({"--dir", office, "load", dir.File("cases.json")});
  std::cout << "KH-POIPET loaded " << records << " case records x " << kCaseFields << " fields in "
            << Fixed(load.seconds, 2) << " s\n";

  int port = Check(server::PickFreeLoopbackPort(), "picking a port");
  Server server(capital, port);
  auto sync_args = [&](const std::string& node_dir) {
    std::vector<std::string> args{"--dir", node_dir, "sync", server.Url(), "--json"};
    args.insert(args.end(), paging.begin(), paging.end());
    return args;
  };

  std::cout << "\n== (a) full transfers; peak RSS of each process on its own\n";
  Table t({"sync", "states", "s", "states/s", "pages", "bytes/state", "client MiB", "server MiB",
           "client CPU s", "server CPU s"});
  bool reset = server.ResetPeakRss();
  double cpu_before = server.CpuSeconds();
  ProcessRun push = MustRun(sync_args(office));
  AddRow(t, "KH-POIPET pushes to KH-NCCT", push, reset ? server.PeakRssKb() : 0,
         server.CpuSeconds() - cpu_before);
  reset = server.ResetPeakRss();
  cpu_before = server.CpuSeconds();
  ProcessRun pull = MustRun(sync_args(other));
  AddRow(t, "TH-MSDHS pulls from KH-NCCT", pull, reset ? server.PeakRssKb() : 0,
         server.CpuSeconds() - cpu_before);
  t.Print(std::cout);
  std::cout << "s = the whole `accord sync` process: start, TLS handshake, hello, pages, exit; "
               "bytes = HTTP bodies both ways (zstd frames); CPU = user + system time of each "
               "process during the sync, all threads (a figure that holds when other work "
               "shares the machine)\n";

  if (AccordBinary() != std::string(ACCORD_BINARY)) {
    // (b) opens the node's database in this process: another build's
    // database may not open here.
    std::cout << "\n(b) skipped: ACCORD_BENCH_BINARY runs another build\n";
    return 0;
  }
  std::cout << "\n== (b) syncs with nothing to send (TH-MSDHS -> KH-NCCT)\n";
  std::vector<double> cli_ms;
  ProcessRun empty;
  for (int i = 0; i < 10; ++i) {
    empty = MustRun({"--dir", other, "sync", server.Url(), "--json"});
    cli_ms.push_back(empty.seconds * 1000);
  }
  json e = json::parse(empty.out);
  std::cout << "`accord sync` process, median of 10: " << Fixed(Median(cli_ms), 1) << " ms, "
            << e["bytes_sent"] << " + " << e["bytes_received"] << " bytes (sent + received)\n";

  auto store = Check(Store::Open(other + "/accord.db"), "opening TH-MSDHS");
  client::HttpsTransportOptions o;
  o.base_url = server.Url();
  o.ca_path = other + "/tls/ca.pem";
  o.cert_path = other + "/tls/node.pem";
  o.key_path = other + "/tls/node.key";
  auto transport = Check(client::HttpsTransport::Create(o), "HttpsTransport");
  auto signer = Check(sync::NodeSigner::Load(o.cert_path, o.key_path), "TH-MSDHS's key");
  auto verifier = Check(sync::PeerVerifier::Load(o.ca_path, ""), "the deployment CA");
  sync::Credentials credentials{&signer, &verifier};
  std::vector<double> ms;
  int count = static_cast<int>(flags.Int("empty"));
  uint64_t sent = 0, received = 0, round_trips = 0;
  for (int i = 0; i < count; ++i) {
    uint64_t s0 = transport->bytes_sent(), r0 = transport->bytes_received();
    uint64_t a0 = transport->attempts();
    Stopwatch sw;
    sync::SyncSummary summary =
        Check(sync::RunSync(*store, *transport, credentials), "empty RunSync");
    ms.push_back(sw.Seconds() * 1000);
    if (summary.states_received + summary.states_sent != 0) {
      Die(Internal("an empty sync moved states"), "empty sync");
    }
    sent = transport->bytes_sent() - s0;
    received = transport->bytes_received() - r0;
    round_trips = transport->attempts() - a0;
  }
  if (!ms.empty()) {  // --empty=0 skips these syncs
    std::cout << "RunSync over one kept-alive connection, median of " << count << ": "
              << Fixed(Median(ms), 2) << " ms (first, with the TLS handshake: " << Fixed(ms[0], 2)
              << " ms), " << round_trips << " round trips, " << sent << " + " << received
              << " bytes\n";
  }
  std::cout << "\ntotal " << Fixed(total.Seconds(), 1) << " s\n";
  return 0;
}

}  // namespace
}  // namespace accord::bench

int main(int argc, char** argv) {
  return accord::bench::Main(argc, argv);
}
