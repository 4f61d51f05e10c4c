#include "client/clock_skew.h"

namespace accord::client {

std::string DescribeDuration(int64_t ms) {
  uint64_t minutes = static_cast<uint64_t>(ms < 0 ? -(ms / 60000) : ms / 60000);
  uint64_t days = minutes / (24 * 60), hours = minutes / 60 % 24, mins = minutes % 60;
  auto part = [](uint64_t n, const char* unit) { return std::to_string(n) + " " + unit; };
  if (days > 0) return part(days, "d") + (hours > 0 ? " " + part(hours, "h") : "");
  if (hours > 0) return part(hours, "h") + (mins > 0 ? " " + part(mins, "min") : "");
  return part(mins, "min");
}

std::string ClockSkewWarning(int64_t skew_ms, std::string_view server_node) {
  constexpr int64_t limit = std::chrono::milliseconds(kClockSkewWarning).count();
  if (skew_ms <= limit && skew_ms >= -limit) return "";
  // skew = server - ours: positive means ours shows an earlier time.
  return "this node's clock is " + DescribeDuration(skew_ms) +
         (skew_ms > 0 ? " behind " : " ahead of ") + std::string(server_node) +
         "'s: fix it; record times come from it";
}

}  // namespace accord::client
