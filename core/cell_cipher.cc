#include "core/cell_cipher.h"

#include <sodium.h>

#include <mutex>

#include "core/hex.h"
#include "core/schema.h"

namespace accord {

namespace {

// A sealed cell starts with a 0 byte, which neither a value (text without
// NUL) nor the wire bytes (a protobuf: field number 0 does not exist) do.
constexpr std::string_view kCellPrefix("\0AC1", 4);
static_assert(kXChaChaNonceBytes == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
static_assert(kXChaChaTagBytes == crypto_aead_xchacha20poly1305_ietf_ABYTES);

const char* ColumnName(CellColumn column) {
  switch (column) {
    case CellColumn::kValue:
      return "value";
    case CellColumn::kNote:
      return "note";
    case CellColumn::kWire:
      return "wire";
  }
  return "?";
}

// What a cell is bound to: a cell moved to another record, field, version
// or column does not open.
std::string AssociatedData(CellColumn column, const CellRow& row) {
  std::string ad = "accord-cell-v1";
  for (std::string_view part :
       {std::string_view(ColumnName(column)), row.record_id, row.field, row.vv}) {
    ad += '\n';
    ad += part;
  }
  return ad;
}

std::string Where(CellColumn column, const CellRow& row) {
  return "record " + std::string(row.record_id) + " field " + std::string(row.field) + " (" +
         ColumnName(column) + ")";
}

}  // namespace

std::set<std::string, std::less<>> SplitTypeList(std::string_view list) {
  std::set<std::string, std::less<>> types;
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view type = list.substr(0, comma);
    if (!type.empty()) types.emplace(type);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
  }
  return types;
}

Status CheckNotEncryptedMeanwhile(Database& db, const CellCipher& cipher) {
  if (cipher.encrypted()) return Status::Ok();
  ASSIGN_OR_RETURN(Statement * stmt, db.Prepare("SELECT 1 FROM meta WHERE key = 'data_key_id'"));
  ASSIGN_OR_RETURN(bool encrypted, stmt->Step());
  stmt->Reset();
  if (!encrypted) return Status::Ok();
  return FailedPrecondition(
      "another accord process encrypted this node's personal data after this one opened it: "
      "nothing was written; start it again with the key (docs/encryption.md)");
}

bool SodiumReady() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

DataKey DataKey::Generate() {
  DataKey key;
  if (SodiumReady()) crypto_aead_xchacha20poly1305_ietf_keygen(key.bytes_.data());
  return key;
}

Result<DataKey> DataKey::FromBytes(std::string_view bytes) {
  if (bytes.size() != kBytes) {
    return InvalidArgument("a data key is " + std::to_string(kBytes) + " bytes, not " +
                           std::to_string(bytes.size()));
  }
  DataKey key;
  std::copy(bytes.begin(), bytes.end(), key.bytes_.begin());
  return key;
}

DataKey::~DataKey() {
  sodium_memzero(bytes_.data(), bytes_.size());
}

DataKey::DataKey(const DataKey& other) : bytes_(other.bytes_) {}

DataKey& DataKey::operator=(const DataKey& other) {
  bytes_ = other.bytes_;
  return *this;
}

std::string DataKey::KeyId() const {
  static constexpr std::string_view kLabel = "accord data key id v1";
  unsigned char id[16];
  SodiumReady();
  crypto_generichash(id, sizeof id, reinterpret_cast<const unsigned char*>(kLabel.data()),
                     kLabel.size(), bytes_.data(), bytes_.size());
  return HexEncode(std::string_view(reinterpret_cast<const char*>(id), sizeof id));
}

CellCipher::CellCipher(std::string key_id, std::shared_ptr<const DataKey> key,
                       std::set<std::string, std::less<>> also_personal)
    : key_id_(std::move(key_id)), key_(std::move(key)), also_personal_(std::move(also_personal)) {}

bool CellCipher::IsPersonalType(std::string_view type) const {
  const TypeSpec* spec = Schema::Get().FindType(type);
  // A type only a newer node knows may be personal: sealed, to be safe.
  return !spec || spec->personal || also_personal_.count(type) > 0;
}

bool CellCipher::Seals(std::string_view type, std::string_view field) const {
  if (!encrypted() || field == kDeletedField || !IsPersonalType(type)) return false;
  const TypeSpec* spec = Schema::Get().FindType(type);
  const FieldSpec* known = spec ? spec->FindField(field) : nullptr;
  return !known || known->kind != FieldKind::kRef;
}

bool CellCipher::IsSealed(std::string_view bytes) {
  return bytes.substr(0, kCellPrefix.size()) == kCellPrefix;
}

Result<std::string> CellCipher::Seal(CellColumn column, const CellRow& row,
                                     std::string_view plain) const {
  if (!key_) return FailedPrecondition(locked_message_);
  if (!SodiumReady()) return Internal("libsodium cannot be initialised");
  std::string ad = AssociatedData(column, row);
  std::string cell(kCellPrefix.size() + kXChaChaNonceBytes + plain.size() + kXChaChaTagBytes, '\0');
  std::copy(kCellPrefix.begin(), kCellPrefix.end(), cell.begin());
  auto* nonce = reinterpret_cast<unsigned char*>(cell.data() + kCellPrefix.size());
  randombytes_buf(nonce, kXChaChaNonceBytes);
  unsigned long long sealed_size = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      nonce + kXChaChaNonceBytes, &sealed_size,
      reinterpret_cast<const unsigned char*>(plain.data()), plain.size(),
      reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nullptr, nonce, key_->data());
  cell.resize(kCellPrefix.size() + kXChaChaNonceBytes + sealed_size);
  return cell;
}

Result<std::string> CellCipher::Open(CellColumn column, const CellRow& row,
                                     std::string_view cell) const {
  if (!key_) return FailedPrecondition(locked_message_);
  if (!SodiumReady()) return Internal("libsodium cannot be initialised");
  if (!IsSealed(cell) || cell.size() < kCellPrefix.size() + kXChaChaNonceBytes + kXChaChaTagBytes) {
    return Corruption(Where(column, row) + ": not a sealed cell");
  }
  std::string ad = AssociatedData(column, row);
  const auto* nonce = reinterpret_cast<const unsigned char*>(cell.data() + kCellPrefix.size());
  const unsigned char* sealed = nonce + kXChaChaNonceBytes;
  size_t sealed_size = cell.size() - kCellPrefix.size() - kXChaChaNonceBytes;
  std::string plain(sealed_size - kXChaChaTagBytes, '\0');
  unsigned long long plain_size = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(plain.data()), &plain_size, nullptr, sealed, sealed_size,
          reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nonce, key_->data()) != 0) {
    return Corruption(Where(column, row) +
                      ": the encrypted cell does not open: it was altered or moved from "
                      "another row");
  }
  plain.resize(plain_size);
  return plain;
}

namespace {

std::string FileBlockData(std::string_view name, uint64_t index, bool last) {
  return "accord-file-block-v1\n" + std::string(name) + "\n" + std::to_string(index) +
         (last ? "\nlast" : "\nmore");
}

}  // namespace

Result<std::string> CellCipher::SealFileBlock(std::string_view name, uint64_t index, bool last,
                                              std::string_view plain) const {
  if (!key_) return FailedPrecondition(locked_message_);
  if (!SodiumReady()) return Internal("libsodium cannot be initialised");
  std::string ad = FileBlockData(name, index, last);
  std::string block(kXChaChaNonceBytes + plain.size() + kXChaChaTagBytes, '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(block.data());
  randombytes_buf(nonce, kXChaChaNonceBytes);
  unsigned long long sealed_size = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      nonce + kXChaChaNonceBytes, &sealed_size,
      reinterpret_cast<const unsigned char*>(plain.data()), plain.size(),
      reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nullptr, nonce, key_->data());
  block.resize(kXChaChaNonceBytes + sealed_size);
  return block;
}

Result<std::string> CellCipher::OpenFileBlock(std::string_view name, uint64_t index, bool last,
                                              std::string_view sealed) const {
  if (!key_) return FailedPrecondition(locked_message_);
  if (!SodiumReady()) return Internal("libsodium cannot be initialised");
  if (sealed.size() < kXChaChaNonceBytes + kXChaChaTagBytes) {
    return Corruption("file " + std::string(name) + " block " + std::to_string(index) +
                      ": too short to be sealed");
  }
  std::string ad = FileBlockData(name, index, last);
  const auto* nonce = reinterpret_cast<const unsigned char*>(sealed.data());
  std::string plain(sealed.size() - kXChaChaNonceBytes - kXChaChaTagBytes, '\0');
  unsigned long long plain_size = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(plain.data()), &plain_size, nullptr,
          nonce + kXChaChaNonceBytes, sealed.size() - kXChaChaNonceBytes,
          reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nonce, key_->data()) != 0) {
    return Corruption("file " + std::string(name) + " block " + std::to_string(index) +
                      " does not open: it was altered, moved or cut short");
  }
  plain.resize(plain_size);
  return plain;
}

Result<std::string> CellCipher::KeyedFileName(std::string_view sha256_hex) const {
  if (!key_) return FailedPrecondition(locked_message_);
  if (!SodiumReady()) return Internal("libsodium cannot be initialised");
  std::string input = "accord-file-name-v1\n" + std::string(sha256_hex);
  unsigned char out[32];
  crypto_generichash(out, sizeof out, reinterpret_cast<const unsigned char*>(input.data()),
                     input.size(), key_->data(), DataKey::kBytes);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(out), sizeof out));
}

Result<std::optional<std::string>> CellCipher::ReadValue(const Statement& stmt, int column,
                                                         const CellRow& row) const {
  if (stmt.IsNull(column)) return std::optional<std::string>();
  if (!stmt.IsBlob(column)) return std::optional<std::string>(stmt.Text(column));
  ASSIGN_OR_RETURN(std::string plain, Open(CellColumn::kValue, row, stmt.Blob(column)));
  return std::optional<std::string>(std::move(plain));
}

Result<std::string> CellCipher::ReadNote(const Statement& stmt, int column,
                                         const CellRow& row) const {
  if (!stmt.IsBlob(column)) return stmt.Text(column);
  return Open(CellColumn::kNote, row, stmt.Blob(column));
}

Result<std::string> CellCipher::ReadWire(const Statement& stmt, int column,
                                         const CellRow& row) const {
  std::string bytes = stmt.Blob(column);
  if (!IsSealed(bytes)) return bytes;
  return Open(CellColumn::kWire, row, bytes);
}

Status CellCipher::BindValue(Statement& stmt, int index, std::string_view type, const CellRow& row,
                             const std::optional<std::string>& value) const {
  if (!value || !Seals(type, row.field)) {
    stmt.BindOptional(index, value);
    return Status::Ok();
  }
  ASSIGN_OR_RETURN(std::string cell, Seal(CellColumn::kValue, row, *value));
  stmt.BindBlob(index, cell);
  return Status::Ok();
}

Status CellCipher::BindNote(Statement& stmt, int index, std::string_view type, const CellRow& row,
                            const std::string& note) const {
  if (note.empty() || !Seals(type, row.field)) {
    stmt.Bind(index, note);
    return Status::Ok();
  }
  ASSIGN_OR_RETURN(std::string cell, Seal(CellColumn::kNote, row, note));
  stmt.BindBlob(index, cell);
  return Status::Ok();
}

Status CellCipher::BindWire(Statement& stmt, int index, std::string_view type, const CellRow& row,
                            std::string_view wire) const {
  if (wire.empty() || !Seals(type, row.field)) {
    stmt.BindBlobOrNull(index, wire);
    return Status::Ok();
  }
  ASSIGN_OR_RETURN(std::string cell, Seal(CellColumn::kWire, row, wire));
  stmt.BindBlob(index, cell);
  return Status::Ok();
}

}  // namespace accord
