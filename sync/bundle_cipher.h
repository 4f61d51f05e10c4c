// A bundle's chunks encrypted for its receiver (docs/bundle-format.md,
// "Encryption"): only the node whose key the header names can read them; any
// other holder of the file (a lost USB stick, a relay) sees the header and
// the counts. The file's seal still proves who wrote it.
//
// ECDH between an ephemeral P-256 key and the receiver's certified key
// (OpenSSL, sync/identity.h), BLAKE2b as the key derivation and
// XChaCha20-Poly1305 per chunk (libsodium).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"
#include "sync/identity.h"

namespace accord::sync {

class BundleCipher {
 public:
  // For the sender: a key only `receiver` can derive again. The two strings
  // go in the bundle header.
  static Result<BundleCipher> ForReceiver(const OriginKey& receiver);
  // For the receiver: the sender's key, from the header's two fields.
  static Result<BundleCipher> ForThisNode(const NodeSigner& own,
                                          std::string_view ephemeral_public_der,
                                          std::string_view receiver_key_id);

  BundleCipher(BundleCipher&&) = default;
  BundleCipher& operator=(BundleCipher&&) = default;
  ~BundleCipher();

  const std::string& ephemeral_public_der() const { return ephemeral_public_der_; }
  const std::string& receiver_key_id() const { return receiver_key_id_; }

  // A chunk's bytes as stored: nonce, then ciphertext and tag; the chunk's
  // index is authenticated, so chunks cannot be moved within the file.
  Result<std::string> Seal(uint64_t index, std::string_view plain) const;
  // kPermissionDenied when the bytes were not sealed with this key at this index.
  Result<std::string> Open(uint64_t index, std::string_view sealed) const;

 private:
  BundleCipher(std::string key, std::string ephemeral_public_der, std::string receiver_key_id);
  static Result<std::string> DeriveKey(std::string_view secret,
                                       std::string_view ephemeral_public_der,
                                       std::string_view receiver_key_id);
  std::string key_;
  std::string ephemeral_public_der_;
  std::string receiver_key_id_;
};

}  // namespace accord::sync
