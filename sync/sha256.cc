#include "sync/sha256.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include "core/hex.h"
#include "sync/openssl_util.h"

namespace accord::sync {

struct Sha256::Ctx {
  ossl::MdCtxPtr md{EVP_MD_CTX_new()};
};

Sha256::Sha256(std::unique_ptr<Ctx> ctx) : ctx_(std::move(ctx)) {}
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;
Sha256::~Sha256() = default;

Result<Sha256> Sha256::Start() {
  auto ctx = std::make_unique<Ctx>();
  if (!ctx->md || EVP_DigestInit_ex(ctx->md.get(), EVP_sha256(), nullptr) != 1) {
    return Internal(ossl::ErrorText("cannot start a SHA-256 digest"));
  }
  return Sha256(std::move(ctx));
}

Status Sha256::Update(std::string_view data) {
  if (EVP_DigestUpdate(ctx_->md.get(), data.data(), data.size()) != 1) {
    return Internal(ossl::ErrorText("SHA-256 update failed"));
  }
  return Status::Ok();
}

Result<std::string> Sha256::Finish() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(ctx_->md.get(), digest, &size) != 1 || size != 32) {
    return Internal(ossl::ErrorText("SHA-256 final failed"));
  }
  return std::string(reinterpret_cast<char*>(digest), size);
}

Result<std::string> Sha256Of(std::string_view data) {
  ASSIGN_OR_RETURN(Sha256 hash, Sha256::Start());
  RETURN_IF_ERROR(hash.Update(data));
  return hash.Finish();
}

Result<std::string> Sha256Hex(std::string_view data) {
  ASSIGN_OR_RETURN(std::string digest, Sha256Of(data));
  return HexEncode(digest);
}

}  // namespace accord::sync
