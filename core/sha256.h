// SHA-256 (OpenSSL libcrypto) for checksums, request signing and digests.
// Every step reports failure: a digest that silently did not happen would
// make a damaged file look intact.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace accord {

class Sha256 {
 public:
  static Result<Sha256> Start();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;
  ~Sha256();

  Status Update(std::string_view data);
  // The 32-byte digest. REQUIRES: called once.
  Result<std::string> Finish();

 private:
  struct Ctx;
  explicit Sha256(std::unique_ptr<Ctx> ctx);
  std::unique_ptr<Ctx> ctx_;
};

// The 32-byte digest of `data`.
Result<std::string> Sha256Of(std::string_view data);
// Lowercase hex of the digest of `data`.
Result<std::string> Sha256Hex(std::string_view data);

}  // namespace accord
