// Log lines about events an attacker can repeat at will (refused
// connections, timeouts, 413s): the first few of each kind per window are
// written, the rest only counted and summed up once the window is over, so
// that a flood of connections does not become a flood of log lines.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace accord::server {

class LogThrottle {
 public:
  LogThrottle(int burst, std::chrono::steady_clock::duration window)
      : burst_(burst), window_(window) {}

  // Writes `line` (server/log.h) unless `kind` has already written `burst`
  // lines in the current window. Thread-safe.
  void Log(std::string_view kind, std::string_view line);

  // Ends the windows that are over, writing "N more <kind> not logged" for
  // each that suppressed lines. Call it now and then (the governor does,
  // every few seconds) and once at the end.
  void Flush(bool all = false);

 private:
  struct Window {
    std::chrono::steady_clock::time_point start;
    int written = 0;
    long suppressed = 0;
  };

  const int burst_;
  const std::chrono::steady_clock::duration window_;
  std::mutex mu_;
  std::map<std::string, Window, std::less<>> windows_;
};

}  // namespace accord::server
