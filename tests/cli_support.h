// Running the `accord` binary (ACCORD_BINARY, set by CMake) as a user does.
#pragma once

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/file_bytes.h"

namespace accord::testing {

struct CommandResult {
  int code;
  std::string out;
};

// Single-quotes `arg` for /bin/sh.
inline std::string Quote(const std::string& arg) {
  std::string q = "'";
  for (char c : arg) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs a shell command line: its exit code and stdout.
inline CommandResult RunShell(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  std::string out;
  std::array<char, 4096> buffer;
  while (size_t n = fread(buffer.data(), 1, buffer.size(), pipe)) out.append(buffer.data(), n);
  int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

inline std::string AccordCommandLine(const std::string& dir, const std::vector<std::string>& args) {
  std::string command = Quote(ACCORD_BINARY) + " --dir " + Quote(dir);
  for (const auto& a : args) command += " " + Quote(a);
  return command;
}

// `accord --dir DIR ARGS...`: exit code and stdout (stderr is dropped).
// `env`, e.g. "ACCORD_TEST_SCHEMA_EXTENSION=1", is set for that run only.
inline CommandResult Accord(const std::string& dir, const std::vector<std::string>& args,
                            const std::string& env = "") {
  return RunShell((env.empty() ? "" : "env " + Quote(env) + " ") + AccordCommandLine(dir, args) +
                  " 2>/dev/null");
}

// As Accord, with stderr in `out` after stdout's lines (2>&1): for what a
// command tells the person at the terminal.
inline CommandResult AccordWithMessages(const std::string& dir,
                                        const std::vector<std::string>& args) {
  return RunShell(AccordCommandLine(dir, args) + " 2>&1");
}

// Whether `marker` is anywhere in a node database or its WAL, byte for byte.
inline bool OnDisk(const std::string& db_path, const std::string& marker) {
  return (FileBytes(db_path) + FileBytes(db_path + "-wal")).find(marker) != std::string::npos;
}

// Starts `accord --dir DIR ARGS...` in the background, output to /dev/null
// (or stdout to `out_file`); returns its pid.
inline pid_t SpawnAccord(const std::string& dir, const std::vector<std::string>& args,
                         const std::string& out_file = "") {
  std::vector<std::string> argv = {ACCORD_BINARY, "--dir", dir};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_t pid = fork();
  if (pid == 0) {
    int null = open("/dev/null", O_WRONLY);
    int out = out_file.empty() ? null : open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(null, 2);
    std::vector<char*> raw;
    for (auto& a : argv) raw.push_back(a.data());
    raw.push_back(nullptr);
    execv(ACCORD_BINARY, raw.data());
    _exit(127);
  }
  return pid;
}

// Waits for `pid`: its exit code, or 128 + the signal that killed it.
inline int WaitForExit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// `accord --dir DIR ARGS...` run to the end, with what it cost: its peak
// resident memory (the child's ru_maxrss: never less than what this process
// held resident when it forked) and its wall time.
struct MeasuredRun {
  int code = -1;
  std::string out, err;
  long peak_kb = 0;
  double seconds = 0;
};

inline MeasuredRun RunMeasured(const std::string& dir, const std::vector<std::string>& args,
                               const std::string& scratch_prefix) {
  std::string out_file = scratch_prefix + ".out", err_file = scratch_prefix + ".err";
  std::vector<std::string> argv = {ACCORD_BINARY, "--dir", dir};
  argv.insert(argv.end(), args.begin(), args.end());
  auto start = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    // A child's peak starts as its parent's (the copied address space) and
    // survives exec: start it again from what the child holds now.
    int refs = open("/proc/self/clear_refs", O_WRONLY);
    if (refs >= 0) {
      ssize_t written = write(refs, "5", 1);
      (void)written;
      close(refs);
    }
    int out = open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(err, 2);
    std::vector<char*> raw;
    for (auto& a : argv) raw.push_back(a.data());
    raw.push_back(nullptr);
    execv(ACCORD_BINARY, raw.data());
    _exit(127);
  }
  MeasuredRun run;
  int status = 0;
  rusage usage{};
  wait4(pid, &status, 0, &usage);
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  run.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  run.peak_kb = usage.ru_maxrss;
  auto slurp = [](const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  };
  run.out = slurp(out_file);
  run.err = slurp(err_file);
  return run;
}

}  // namespace accord::testing
