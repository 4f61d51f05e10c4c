#pragma once

#include <cstdint>
#include <string>

namespace accord {

// "2023-01-18T08:00:00.000Z" for milliseconds since the Unix epoch.
std::string FormatUtcMs(int64_t ms);

}  // namespace accord
