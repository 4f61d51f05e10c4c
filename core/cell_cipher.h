// Encryption at rest of personal data (docs/encryption.md): the one place
// where a stored cell of `versions` (value, note, wire) is sealed on its way
// in and opened on its way out.
//
// A node is encrypted when its meta table names a data key (`data_key_id`).
// Then every cell of a personal type (TypeSpec::personal, a type the
// deployment marks personal, or a type this build does not know) is stored
// as a BLOB:
//
//   "\0AC1" | 24-byte nonce | XChaCha20-Poly1305(plaintext) with its 16-byte tag
//
// with associated data binding it to its row and column (record id, field,
// version vector text, column name), so that a cell moved to another row or
// column no longer opens. Clear cells stay TEXT (value, note) or a protobuf
// (wire, which never starts with a 0 byte): a reader tells them apart by the
// prefix, so a node holds clear and sealed cells side by side while
// `accord encrypt` runs, and non-personal data never needs the key.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "core/sqlite.h"
#include "core/status.h"

namespace accord {

// A node's 32-byte data key, wiped when destroyed.
class DataKey {
 public:
  static constexpr size_t kBytes = 32;
  // A new random key.
  static DataKey Generate();
  // Exactly kBytes raw bytes.
  static Result<DataKey> FromBytes(std::string_view bytes);
  ~DataKey();
  DataKey(const DataKey& other);
  DataKey& operator=(const DataKey& other);

  const unsigned char* data() const { return bytes_.data(); }
  // A public name of the key (hex of a keyed BLAKE2b-128 of a fixed text):
  // tells the right key from a wrong one without revealing anything of it.
  std::string KeyId() const;

 private:
  DataKey() = default;
  std::array<unsigned char, kBytes> bytes_{};
};

// Initialises libsodium once; false if it cannot be used.
bool SodiumReady();

// XChaCha20-Poly1305 (libsodium's crypto_aead_xchacha20poly1305_ietf), which
// seals both cells and wrapped key files: its nonce and tag sizes.
inline constexpr size_t kXChaChaNonceBytes = 24;
inline constexpr size_t kXChaChaTagBytes = 16;

// Which column of `versions` a cell is.
enum class CellColumn { kValue, kNote, kWire };

// What a cell is bound to: its row.
struct CellRow {
  std::string_view record_id;
  std::string_view field;
  std::string_view vv;  // the version vector as stored (VersionVector::ToText)
};

// The message every read or write of personal data gives while the node's
// data key is not loaded.
inline constexpr const char* kLockedMessage =
    "personal data is locked: give the passphrase (ACCORD_PASSPHRASE or --passphrase-file) "
    "or the key file (--key-file, ACCORD_KEY_FILE or the systemd credential accord-key)";

class CellCipher;

// REQUIRES: a write transaction is open on `db`. Refuses
// (kFailedPrecondition) to write through a clear `cipher` once another
// process has encrypted the node (meta.data_key_id): a process opened
// before `accord encrypt` would otherwise go on storing personal values in
// clear.
Status CheckNotEncryptedMeanwhile(Database& db, const CellCipher& cipher);

// "minute,meeting" -> {"meeting", "minute"} (meta.personal_types).
std::set<std::string, std::less<>> SplitTypeList(std::string_view list);

class CellCipher {
 public:
  // A node whose data is not encrypted: every cell is clear.
  CellCipher() = default;
  // An encrypted node named by `key_id`; `key` nullptr while locked.
  // `also_personal`: types the deployment marks personal besides the
  // schema's (`accord encrypt --personal TYPE`).
  CellCipher(std::string key_id, std::shared_ptr<const DataKey> key,
             std::set<std::string, std::less<>> also_personal = {});

  bool encrypted() const { return !key_id_.empty(); }
  bool unlocked() const { return key_ != nullptr; }
  // Why personal data is locked: kLockedMessage unless the node locked it
  // itself (its certificate was revoked: Store::LockForRevocation).
  const std::string& locked_message() const { return locked_message_; }
  // Drops the key, if any: from now on every personal cell is refused with
  // `message`.
  void Lock(std::string message) {
    key_.reset();
    locked_message_ = std::move(message);
  }
  const std::string& key_id() const { return key_id_; }

  // Whether cells of (type, field) are sealed on this node: the node is
  // encrypted, the type is personal (or unknown here), and the field is
  // neither the tombstone nor a reference (record ids, kept clear for the
  // sharing indexes: docs/encryption.md).
  bool Seals(std::string_view type, std::string_view field) const;
  bool IsPersonalType(std::string_view type) const;
  const std::set<std::string, std::less<>>& also_personal() const { return also_personal_; }

  // Files of personal attachments (core/attachment_files.h): one block of a
  // file, sealed with XChaCha20-Poly1305 under the data key, bound to the
  // file's stored name, the block's index and whether it is the last, so
  // that blocks cannot be moved, swapped between files or cut off the end.
  // Output: 24-byte nonce | ciphertext | 16-byte tag (kFileBlockOverhead).
  // kFailedPrecondition while locked; OpenFileBlock kCorruption when the
  // block does not open.
  static constexpr size_t kFileBlockOverhead = 40;
  Result<std::string> SealFileBlock(std::string_view name, uint64_t index, bool last,
                                    std::string_view plain) const;
  Result<std::string> OpenFileBlock(std::string_view name, uint64_t index, bool last,
                                    std::string_view sealed) const;
  // The stored name of a personal file: hex of a BLAKE2b-256 keyed with the
  // data key over the file's SHA-256, so that a listing of the node
  // directory does not confirm that a known file is held here.
  Result<std::string> KeyedFileName(std::string_view sha256_hex) const;

  static bool IsSealed(std::string_view bytes);
  // kFailedPrecondition (kLockedMessage) while locked.
  Result<std::string> Seal(CellColumn column, const CellRow& row, std::string_view plain) const;
  // kCorruption when the cell does not open under this row (tampered, moved
  // or another key); kFailedPrecondition while locked.
  Result<std::string> Open(CellColumn column, const CellRow& row, std::string_view cell) const;

  // Reading a row: a sealed cell is opened, a clear one returned as it is.
  Result<std::optional<std::string>> ReadValue(const Statement& stmt, int column,
                                               const CellRow& row) const;
  Result<std::string> ReadNote(const Statement& stmt, int column, const CellRow& row) const;
  Result<std::string> ReadWire(const Statement& stmt, int column, const CellRow& row) const;

  // What to store for a cell of `type`: sealed when Seals(type, field).
  // A cleared value stays NULL and an empty note or wire stays empty.
  Status BindValue(Statement& stmt, int index, std::string_view type, const CellRow& row,
                   const std::optional<std::string>& value) const;
  Status BindNote(Statement& stmt, int index, std::string_view type, const CellRow& row,
                  const std::string& note) const;
  // An empty `wire` binds NULL (no bytes kept), as Statement::BindBlobOrNull.
  Status BindWire(Statement& stmt, int index, std::string_view type, const CellRow& row,
                  std::string_view wire) const;

 private:
  std::string key_id_;
  std::shared_ptr<const DataKey> key_;
  std::set<std::string, std::less<>> also_personal_;
  std::string locked_message_ = kLockedMessage;
};

}  // namespace accord
