#include "core/key_file.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "core/hex.h"
#include "core/output_file.h"

namespace accord {

namespace {

constexpr std::string_view kMagic = "accord-wrapped-key-v1";
constexpr size_t kSaltBytes = crypto_pwhash_SALTBYTES;

std::optional<std::string> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  std::string out(hex.size() / 2, '\0');
  size_t size = 0;
  if (sodium_hex2bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), hex.data(),
                     hex.size(), nullptr, &size, nullptr) != 0 ||
      size != out.size()) {
    return std::nullopt;
  }
  return out;
}

Result<std::string> ReadSmallFile(const std::string& path, const char* what) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    return NotFound(std::string("no ") + what + " at " + path);
  auto size = std::filesystem::file_size(path, ec);
  if (ec || size > 4096) return Corruption(path + " is not a " + what);
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The passphrase-derived key that wraps the data key.
Result<std::string> DeriveWrappingKey(const std::string& passphrase, std::string_view salt,
                                      unsigned long long opslimit, size_t memlimit) {
  std::string key(crypto_aead_xchacha20poly1305_ietf_KEYBYTES, '\0');
  if (crypto_pwhash(reinterpret_cast<unsigned char*>(key.data()), key.size(), passphrase.data(),
                    passphrase.size(), reinterpret_cast<const unsigned char*>(salt.data()),
                    opslimit, memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Unavailable("not enough memory to derive the key from the passphrase (Argon2id, " +
                       std::to_string(memlimit >> 20) + " MiB)");
  }
  return key;
}

struct WrappedKey {
  unsigned long long opslimit = 0;
  size_t memlimit = 0;
  std::string salt, key_id, sealed;
};

Result<WrappedKey> ParseWrapped(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadSmallFile(path, "wrapped data key"));
  std::istringstream lines(text);
  std::string line;
  std::getline(lines, line);
  if (line != kMagic)
    return Corruption(path + " is not a wrapped data key (" + std::string(kMagic) + ")");
  std::map<std::string, std::string> fields;
  while (std::getline(lines, line)) {
    auto eq = line.find('=');
    if (eq != std::string::npos) fields[line.substr(0, eq)] = line.substr(eq + 1);
  }
  WrappedKey w;
  auto bad = [&](const std::string& what) { return Corruption(path + ": bad or missing " + what); };
  if (fields["kdf"] != "argon2id13") return bad("kdf");
  try {
    w.opslimit = std::stoull(fields["opslimit"]);
    w.memlimit = static_cast<size_t>(std::stoull(fields["memlimit"]));
  } catch (const std::exception&) {
    return bad("Argon2id cost");
  }
  if (w.opslimit < crypto_pwhash_OPSLIMIT_MIN || w.opslimit > 64 ||
      w.memlimit < crypto_pwhash_MEMLIMIT_MIN || w.memlimit > (size_t{4} << 30)) {
    return bad("Argon2id cost");
  }
  auto salt = HexDecode(fields["salt"]);
  if (!salt || salt->size() != kSaltBytes) return bad("salt");
  auto sealed = HexDecode(fields["sealed"]);
  if (!sealed || sealed->size() != kXChaChaNonceBytes + DataKey::kBytes + kXChaChaTagBytes)
    return bad("sealed");
  w.salt = *salt;
  w.sealed = *sealed;
  w.key_id = fields["key_id"];
  return w;
}

std::string WrapAssociatedData(const std::string& key_id) {
  return std::string(kMagic) + "\n" + key_id;
}

}  // namespace

Status WriteWrappedKey(const std::string& path, const DataKey& key, const std::string& passphrase,
                       const PassphraseCost& cost) {
  if (!SodiumReady()) return Internal("libsodium cannot be initialised");
  if (passphrase.empty()) return InvalidArgument("the passphrase is empty");
  std::string salt(kSaltBytes, '\0');
  randombytes_buf(salt.data(), salt.size());
  ASSIGN_OR_RETURN(std::string wrapping,
                   DeriveWrappingKey(passphrase, salt, cost.opslimit, cost.memlimit));
  std::string key_id = key.KeyId();
  std::string ad = WrapAssociatedData(key_id);
  std::string sealed(kXChaChaNonceBytes + DataKey::kBytes + kXChaChaTagBytes, '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(sealed.data());
  randombytes_buf(nonce, kXChaChaNonceBytes);
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      nonce + kXChaChaNonceBytes, nullptr, key.data(), DataKey::kBytes,
      reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), nullptr, nonce,
      reinterpret_cast<const unsigned char*>(wrapping.data()));
  sodium_memzero(wrapping.data(), wrapping.size());
  std::string text = std::string(kMagic) +
                     "\nkdf=argon2id13\nopslimit=" + std::to_string(cost.opslimit) +
                     "\nmemlimit=" + std::to_string(cost.memlimit) + "\nsalt=" + HexEncode(salt) +
                     "\nkey_id=" + key_id + "\nsealed=" + HexEncode(sealed) + "\n";
  ASSIGN_OR_RETURN(OutputFile out, OutputFile::Create(path));
  RETURN_IF_ERROR(out.Write(text));
  return out.Commit();
}

Result<DataKey> UnwrapKey(const std::string& path, const std::string& passphrase) {
  if (!SodiumReady()) return Internal("libsodium cannot be initialised");
  ASSIGN_OR_RETURN(WrappedKey w, ParseWrapped(path));
  ASSIGN_OR_RETURN(std::string wrapping,
                   DeriveWrappingKey(passphrase, w.salt, w.opslimit, w.memlimit));
  std::string ad = WrapAssociatedData(w.key_id);
  std::string plain(DataKey::kBytes, '\0');
  const auto* nonce = reinterpret_cast<const unsigned char*>(w.sealed.data());
  int rc = crypto_aead_xchacha20poly1305_ietf_decrypt(
      reinterpret_cast<unsigned char*>(plain.data()), nullptr, nullptr, nonce + kXChaChaNonceBytes,
      w.sealed.size() - kXChaChaNonceBytes, reinterpret_cast<const unsigned char*>(ad.data()),
      ad.size(), nonce, reinterpret_cast<const unsigned char*>(wrapping.data()));
  sodium_memzero(wrapping.data(), wrapping.size());
  if (rc != 0) {
    return PermissionDenied("wrong passphrase: it does not open the data key in " + path +
                            "; nothing was changed");
  }
  auto key = DataKey::FromBytes(plain);
  sodium_memzero(plain.data(), plain.size());
  return key;
}

Result<std::string> WrappedKeyId(const std::string& path) {
  ASSIGN_OR_RETURN(WrappedKey w, ParseWrapped(path));
  return w.key_id;
}

Result<DataKey> ReadRawKeyFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string bytes, ReadSmallFile(path, "key file"));
  if (bytes.size() == DataKey::kBytes) return DataKey::FromBytes(bytes);
  while (!bytes.empty() && (bytes.back() == '\n' || bytes.back() == '\r')) bytes.pop_back();
  auto decoded = HexDecode(bytes);
  if (!decoded || decoded->size() != DataKey::kBytes) {
    return InvalidArgument(path + " is not a key file (32 bytes, or 64 hex digits)");
  }
  auto key = DataKey::FromBytes(*decoded);
  sodium_memzero(decoded->data(), decoded->size());
  return key;
}

Status WriteRawKeyFile(const std::string& path, const DataKey& key,
                       const std::vector<std::string>& protected_paths) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return FailedPrecondition(path + " exists already");
  std::string hex =
      HexEncode(std::string_view(reinterpret_cast<const char*>(key.data()), DataKey::kBytes)) +
      "\n";
  ASSIGN_OR_RETURN(OutputFile out, OutputFile::Create(path, protected_paths));
  RETURN_IF_ERROR(out.Write(hex));
  sodium_memzero(hex.data(), hex.size());
  return out.Commit();
}

Status DestroyKeyFile(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return Status::Ok();
  const uintmax_t size = std::filesystem::file_size(path, ec);
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return Internal(path + ": cannot open to overwrite: " + std::strerror(errno));
  std::string noise(ec ? 0 : static_cast<size_t>(size), '\0');
  randombytes_buf(noise.data(), noise.size());
  size_t done = 0;
  while (done < noise.size()) {
    ssize_t n = ::write(fd, noise.data() + done, noise.size() - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (done < noise.size() || !synced) {
    return Internal(path + ": could not overwrite the key file: " + std::strerror(errno));
  }
  if (!std::filesystem::remove(path, ec) || ec) {
    return Internal(path + ": overwritten but not removed: " + ec.message());
  }
  return Status::Ok();
}

}  // namespace accord
