#include "server/internal_hop.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cctype>

namespace accord::server {

Result<std::string> NewHopSecret() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    return Internal("RAND_bytes failed: cannot make the internal hop's secret");
  }
  static const char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char b : bytes) {
    hex += kDigits[b >> 4];
    hex += kDigits[b & 15];
  }
  return hex;
}

bool IsHopHeader(std::string_view name) {
  constexpr std::string_view prefix = kHopHeaderPrefix;
  if (name.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(name[i])) != prefix[i]) return false;
  }
  return true;
}

bool HopSecretMatches(std::string_view expected, std::string_view presented) {
  return !expected.empty() && expected.size() == presented.size() &&
         CRYPTO_memcmp(expected.data(), presented.data(), expected.size()) == 0;
}

}  // namespace accord::server
