// Telling a node its clock looks wrong. Nothing in sync depends on clocks
// agreeing (requests are bound to server-issued sessions, not timestamps),
// but a write's time is the time its node's clock showed, and the provisional
// winner of a conflict is the later write: a clock hours off skews both.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace accord::client {

// Beyond this `accord sync` warns. Half a round trip of error in the
// measurement is far below it.
inline constexpr std::chrono::minutes kClockSkewWarning{5};

// "3 h 12 min", "2 d 4 h", "7 min" (rounded down to the minute).
std::string DescribeDuration(int64_t ms);

// "" while |skew_ms| <= kClockSkewWarning; else, for skew_ms = server's
// clock minus ours, e.g. "this node's clock is 3 h 12 min behind
// TH-MSDHS's: fix it; record times come from it".
std::string ClockSkewWarning(int64_t skew_ms, std::string_view server_node);

}  // namespace accord::client
