#include "sync/bundle_cipher.h"

#include <sodium.h>

namespace accord::sync {

namespace {

constexpr char kKeyContext[] = "accord bundle chunks, format 4";
constexpr char kChunkContext[] = "accord bundle chunk ";

Status SodiumReady() {
  // Safe to call from several threads and more than once.
  if (sodium_init() < 0) return Internal("libsodium cannot start");
  return Status::Ok();
}

std::string ChunkAd(uint64_t index) {
  std::string ad = kChunkContext;
  for (int i = 0; i < 8; ++i) ad.push_back(static_cast<char>((index >> (8 * i)) & 0xff));
  return ad;
}

}  // namespace

BundleCipher::BundleCipher(std::string key, std::string ephemeral_public_der,
                           std::string receiver_key_id)
    : key_(std::move(key)),
      ephemeral_public_der_(std::move(ephemeral_public_der)),
      receiver_key_id_(std::move(receiver_key_id)) {}

BundleCipher::~BundleCipher() {
  sodium_memzero(key_.data(), key_.size());
}

Result<std::string> BundleCipher::DeriveKey(std::string_view secret,
                                            std::string_view ephemeral_public_der,
                                            std::string_view receiver_key_id) {
  RETURN_IF_ERROR(SodiumReady());
  if (secret.size() < crypto_generichash_KEYBYTES_MIN ||
      secret.size() > crypto_generichash_KEYBYTES_MAX) {
    return Internal("the ECDH secret has an unexpected size");
  }
  // The key binds the secret to both public halves of the exchange.
  std::string input = kKeyContext;
  input.append(ephemeral_public_der);
  input.append(receiver_key_id);
  std::string key(crypto_aead_xchacha20poly1305_ietf_KEYBYTES, '\0');
  if (crypto_generichash(reinterpret_cast<unsigned char*>(key.data()), key.size(),
                         reinterpret_cast<const unsigned char*>(input.data()), input.size(),
                         reinterpret_cast<const unsigned char*>(secret.data()),
                         secret.size()) != 0) {
    return Internal("cannot derive the bundle key");
  }
  return key;
}

Result<BundleCipher> BundleCipher::ForReceiver(const OriginKey& receiver) {
  ASSIGN_OR_RETURN(OriginKey::Agreement agreed, receiver.AgreeEphemeral());
  ASSIGN_OR_RETURN(std::string key,
                   DeriveKey(agreed.secret, agreed.ephemeral_public_der, receiver.key_id()));
  sodium_memzero(agreed.secret.data(), agreed.secret.size());
  return BundleCipher(std::move(key), std::move(agreed.ephemeral_public_der), receiver.key_id());
}

Result<BundleCipher> BundleCipher::ForThisNode(const NodeSigner& own,
                                               std::string_view ephemeral_public_der,
                                               std::string_view receiver_key_id) {
  if (receiver_key_id != own.key_id()) {
    return PermissionDenied(
        "the bundle is encrypted for another key of " + own.node_id() +
        " (one it had before it was re-keyed, or another node's): this key cannot open it");
  }
  ASSIGN_OR_RETURN(std::string secret, own.AgreeWith(ephemeral_public_der));
  auto key = DeriveKey(secret, ephemeral_public_der, receiver_key_id);
  sodium_memzero(secret.data(), secret.size());
  if (!key.ok()) return key.status();
  return BundleCipher(std::move(key).value(), std::string(ephemeral_public_der),
                      std::string(receiver_key_id));
}

Result<std::string> BundleCipher::Seal(uint64_t index, std::string_view plain) const {
  RETURN_IF_ERROR(SodiumReady());
  const size_t nonce_bytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  std::string out(nonce_bytes + plain.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
  auto* bytes = reinterpret_cast<unsigned char*>(out.data());
  randombytes_buf(bytes, nonce_bytes);
  std::string ad = ChunkAd(index);
  unsigned long long written = 0;
  if (crypto_aead_xchacha20poly1305_ietf_encrypt(
          bytes + nonce_bytes, &written, reinterpret_cast<const unsigned char*>(plain.data()),
          plain.size(), reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nullptr,
          bytes, reinterpret_cast<const unsigned char*>(key_.data())) != 0) {
    return Internal("cannot encrypt a bundle chunk");
  }
  out.resize(nonce_bytes + written);
  return out;
}

Result<std::string> BundleCipher::Open(uint64_t index, std::string_view sealed) const {
  RETURN_IF_ERROR(SodiumReady());
  const size_t nonce_bytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  if (sealed.size() < nonce_bytes + crypto_aead_xchacha20poly1305_ietf_ABYTES) {
    return Corruption("an encrypted chunk is shorter than its nonce and tag");
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(sealed.data());
  std::string plain(sealed.size() - nonce_bytes - crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
  std::string ad = ChunkAd(index);
  unsigned long long read = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(plain.data()), &read, nullptr, bytes + nonce_bytes,
          sealed.size() - nonce_bytes, reinterpret_cast<const unsigned char*>(ad.data()), ad.size(),
          bytes, reinterpret_cast<const unsigned char*>(key_.data())) != 0) {
    return PermissionDenied("the chunk does not open with this node's key");
  }
  plain.resize(read);
  return plain;
}

}  // namespace accord::sync
