// Node ids name offices: letters, digits and '-', 1 to 32 characters (e.g. KH-POIPET).
#pragma once

#include <string_view>

namespace accord {

constexpr size_t kMaxNodeIdLength = 32;
bool IsValidNodeId(std::string_view id);

}  // namespace accord
