#include "core/record_id.h"

#include <cctype>
#include <chrono>
#include <random>

namespace accord {

std::string NewRecordId() {
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  thread_local std::mt19937_64 rng([] {
    std::random_device device;
    return (static_cast<uint64_t>(device()) << 32) ^ device();
  }());
  uint64_t ms = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
  std::string id(26, '0');
  for (int i = 9; i >= 0; --i) {
    id[i] = kAlphabet[ms & 31];
    ms >>= 5;
  }
  uint64_t hi = rng(), lo = rng();
  for (int i = 10; i < 26; ++i) {
    uint64_t& bits = i < 18 ? hi : lo;
    id[i] = kAlphabet[bits & 31];
    bits >>= 5;
  }
  return id;
}

bool IsValidRecordId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  if (!std::isalnum(static_cast<unsigned char>(id[0]))) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
      return false;
    }
  }
  return true;
}

}  // namespace accord
