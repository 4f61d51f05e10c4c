#include "core/sha256.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include "core/hex.h"

namespace accord {

namespace {

std::string OpensslError(const char* what) {
  std::string text = what;
  unsigned long err = ERR_get_error();
  if (err != 0) {
    char buf[256];
    ERR_error_string_n(err, buf, sizeof(buf));
    text += std::string(": ") + buf;
  }
  ERR_clear_error();
  return text;
}

}  // namespace

struct Sha256::Ctx {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md{EVP_MD_CTX_new(), &EVP_MD_CTX_free};
};

Sha256::Sha256(std::unique_ptr<Ctx> ctx) : ctx_(std::move(ctx)) {}
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;
Sha256::~Sha256() = default;

Result<Sha256> Sha256::Start() {
  auto ctx = std::make_unique<Ctx>();
  if (!ctx->md || EVP_DigestInit_ex(ctx->md.get(), EVP_sha256(), nullptr) != 1) {
    return Internal(OpensslError("cannot start a SHA-256 digest"));
  }
  return Sha256(std::move(ctx));
}

Status Sha256::Update(std::string_view data) {
  if (EVP_DigestUpdate(ctx_->md.get(), data.data(), data.size()) != 1) {
    return Internal(OpensslError("SHA-256 update failed"));
  }
  return Status::Ok();
}

Result<std::string> Sha256::Finish() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(ctx_->md.get(), digest, &size) != 1 || size != 32) {
    return Internal(OpensslError("SHA-256 final failed"));
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

}  // namespace accord
