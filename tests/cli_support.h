// Running the `accord` binary (ACCORD_BINARY, set by CMake) as a user does.
#pragma once

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <string>
#include <vector>

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

// `accord --dir DIR ARGS...`: exit code and stdout (stderr is dropped).
// `env`, e.g. "ACCORD_TEST_SCHEMA_EXTENSION=1", is set for that run only.
inline CommandResult Accord(const std::string& dir, const std::vector<std::string>& args,
                            const std::string& env = "") {
  std::string command = (env.empty() ? "" : "env " + Quote(env) + " ") + Quote(ACCORD_BINARY) +
                        " --dir " + Quote(dir);
  for (const auto& a : args) command += " " + Quote(a);
  command += " 2>/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  std::string out;
  std::array<char, 4096> buffer;
  while (size_t n = fread(buffer.data(), 1, buffer.size(), pipe)) out.append(buffer.data(), n);
  int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
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

}  // namespace accord::testing
