// Running the `accord` binary (ACCORD_BINARY, set by CMake) as a user does.
#pragma once

#include <sys/wait.h>

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
inline CommandResult Accord(const std::string& dir, const std::vector<std::string>& args) {
  std::string command = Quote(ACCORD_BINARY) + " --dir " + Quote(dir);
  for (const auto& a : args) command += " " + Quote(a);
  command += " 2>/dev/null";
  FILE* pipe = popen(command.c_str(), "r");
  std::string out;
  std::array<char, 4096> buffer;
  while (size_t n = fread(buffer.data(), 1, buffer.size(), pipe)) out.append(buffer.data(), n);
  int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

}  // namespace accord::testing
