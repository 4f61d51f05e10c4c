// Lowercase hexadecimal, the one encoder for digests, checksums and ids.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace accord {

// Two lowercase hex digits per byte of `bytes`.
inline std::string HexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 0xf];
  }
  return out;
}

// The low `digits` hex digits of `value`, most significant first.
inline std::string HexEncode(uint64_t value, int digits) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(static_cast<size_t>(digits), '0');
  for (int i = digits - 1; i >= 0; --i, value >>= 4)
    out[static_cast<size_t>(i)] = kDigits[value & 0xf];
  return out;
}

}  // namespace accord
