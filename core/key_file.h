// Where a node's data key lives (docs/encryption.md): only wrapped, in
// `<node dir>/keys/data-key`, under a key Argon2id derives from the office's
// passphrase; or, for `accord serve`, in a raw key file handed to it (a
// systemd credential, say).
//
// Wrapped file, text, one `name=value` a line after its first line:
//
//   accord-wrapped-key-v1
//   kdf=argon2id13
//   opslimit=3
//   memlimit=67108864
//   salt=<32 hex digits>
//   key_id=<32 hex digits>          DataKey::KeyId of the key inside
//   sealed=<hex>                    24-byte nonce | XChaCha20-Poly1305(key) | tag
//
// Changing the passphrase rewrites this file only: the database is untouched.
#pragma once

#include <string>
#include <vector>

#include "core/cell_cipher.h"
#include "core/status.h"

namespace accord {

// Argon2id cost; tests may lower it (the file records what was used).
struct PassphraseCost {
  unsigned long long opslimit = 3;
  size_t memlimit = size_t{64} << 20;
};

// Writes `key` wrapped under `passphrase` to `path` (0600), replacing any
// file there only once the new one is whole.
Status WriteWrappedKey(const std::string& path, const DataKey& key, const std::string& passphrase,
                       const PassphraseCost& cost = {});
// kPermissionDenied when the passphrase is wrong ("wrong passphrase"),
// kCorruption when the file is not a wrapped key, kNotFound when absent.
Result<DataKey> UnwrapKey(const std::string& path, const std::string& passphrase);
// The key id a wrapped key file names, without the passphrase.
Result<std::string> WrappedKeyId(const std::string& path);

// A raw key file: the 32 bytes, or 64 hex digits (a trailing newline allowed).
Result<DataKey> ReadRawKeyFile(const std::string& path);
// Writes the key as 64 hex digits and a newline (0600); fails if `path`
// exists or is, or lies in, one of `protected_paths` (core/output_file.h):
// a raw key left in the node directory beside the data it opens protects
// nothing.
Status WriteRawKeyFile(const std::string& path, const DataKey& key,
                       const std::vector<std::string>& protected_paths = {});

// Overwrites the file with random bytes of its size, flushes that to the
// disk, then removes it: a revoked node giving up its key (docs/encryption.md,
// "When the node is revoked"). A missing file is fine. What a journaling file
// system or an SSD keeps of earlier copies is beyond any program's reach.
Status DestroyKeyFile(const std::string& path);

}  // namespace accord
