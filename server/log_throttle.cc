#include "server/log_throttle.h"

#include <cstdio>
#include <vector>

#include "server/log.h"

namespace accord::server {
namespace {

std::string Summary(std::string_view kind, long suppressed,
                    std::chrono::steady_clock::duration over) {
  char text[64];
  std::snprintf(text, sizeof(text), "\" in the last %.0f s not logged",
                std::chrono::duration<double>(over).count());
  return std::to_string(suppressed) + " more \"" + std::string(kind) + text;
}

}  // namespace

void LogThrottle::Log(std::string_view kind, std::string_view line) {
  auto now = std::chrono::steady_clock::now();
  std::string summary;
  bool write = true;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = windows_.find(kind);
    if (it == windows_.end()) it = windows_.emplace(std::string(kind), Window{now}).first;
    Window& w = it->second;
    if (now - w.start >= window_) {
      if (w.suppressed > 0) summary = Summary(kind, w.suppressed, now - w.start);
      w = Window{now};
    }
    if (w.written >= burst_) {
      ++w.suppressed;
      write = false;
    } else {
      ++w.written;
    }
  }
  // Outside the lock: the sink may be slow, and it has its own lock.
  if (!summary.empty()) server::Log(summary);
  if (write) server::Log(line);
}

void LogThrottle::Flush(bool all) {
  std::vector<std::string> lines;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto now = std::chrono::steady_clock::now();
    for (auto it = windows_.begin(); it != windows_.end();) {
      Window& w = it->second;
      if (!all && now - w.start < window_) {
        ++it;
        continue;
      }
      if (w.suppressed > 0) lines.push_back(Summary(it->first, w.suppressed, now - w.start));
      it = windows_.erase(it);
    }
  }
  for (const auto& line : lines) server::Log(line);
}

}  // namespace accord::server
