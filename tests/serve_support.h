// `accord serve` as a real process, for tests that run nodes as an office
// does: started on a free loopback port, stopped by a signal.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace accord::testing {

inline bool Accepts(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

// Whether process `pid` has a handler installed for `sig` (the SigCgt mask
// of /proc/PID/status).
inline bool CatchesSignal(pid_t pid, int sig) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("SigCgt:", 0) == 0) {
      unsigned long long mask = std::stoull(line.substr(7), nullptr, 16);
      return (mask >> (sig - 1)) & 1u;
    }
  }
  return false;
}

// `accord --dir DIR serve --listen 127.0.0.1:PORT --no-ui`, stderr to `log`,
// with `env` ("NAME=VALUE") added to its environment. The constructor waits
// (up to 5 s) until the port accepts, unless `wait_until_accepting` is false.
class ServeProcess {
 public:
  ServeProcess(const std::string& dir, int port, const std::string& log,
               const std::vector<std::string>& env = {}, bool wait_until_accepting = true) {
    pid_ = fork();
    if (pid_ == 0) {
      FILE* f = std::freopen(log.c_str(), "a", stderr);
      (void)f;
      for (const auto& e : env) putenv(const_cast<char*>(e.c_str()));
      std::string listen = "127.0.0.1:" + std::to_string(port);
      execl(ACCORD_BINARY, ACCORD_BINARY, "--dir", dir.c_str(), "serve", "--listen", listen.c_str(),
            "--no-ui", static_cast<char*>(nullptr));
      _exit(127);
    }
    using namespace std::chrono_literals;
    if (!wait_until_accepting) return;
    for (int i = 0; i < 200 && !Accepts(port); ++i) std::this_thread::sleep_for(25ms);
  }
  ~ServeProcess() {
    if (pid_ > 0) Signal(SIGKILL);
  }
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  pid_t pid() const { return pid_; }
  // A line of /proc/PID/status in kB, e.g. "VmHWM" (the peak resident set)
  // or "VmRSS"; -1 if unreadable.
  long StatusKb(const std::string& name) const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind(name + ":", 0) == 0) return std::stol(line.substr(name.size() + 1));
    }
    return -1;
  }
  // Sends `sig` and leaves the process running.
  void Send(int sig) { kill(pid_, sig); }
  // Sends `sig` and returns the exit status (or 128 + signal).
  int Signal(int sig) {
    kill(pid_, sig);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  pid_t pid_ = -1;
};

}  // namespace accord::testing
