// One-line log records on stderr, for the server's request log.
// spdlog is not a Debian dependency we take; this is all the server needs.
#pragma once

#include <functional>
#include <string_view>

namespace accord::server {

// Writes "2024-03-02T10:15:30.123Z <line>" as one write, so lines from
// concurrent requests never interleave.
void Log(std::string_view line);

// Redirects log lines (without the timestamp) to `sink`; nullptr restores
// stderr. For tests that assert on what was logged.
using LogSink = std::function<void(std::string_view line)>;
void SetLogSink(LogSink sink);

}  // namespace accord::server
