// Record ids: globally unique with no coordination between offices.
#pragma once

#include <string>
#include <string_view>

namespace accord {

// A new id: 26 characters of Crockford base32, 48 bits of milliseconds then
// 80 random bits (the ULID layout), so ids sort roughly by creation time.
std::string NewRecordId();

// Ids given by users (e.g. in `accord load` files) may be readable:
// [A-Za-z0-9][A-Za-z0-9._-]{0,63}.
bool IsValidRecordId(std::string_view id);

}  // namespace accord
