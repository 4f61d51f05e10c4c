#include "core/attachment_files.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>

#include "core/hex.h"
#include "core/output_file.h"
#include "core/protected_paths.h"
#include "core/sha256.h"

namespace accord {

namespace {

constexpr uint64_t kSealedBlock = AttachmentFiles::kBlockBytes + CellCipher::kFileBlockOverhead;
// What one read of a file for checking or copying holds in memory.
constexpr size_t kReadPiece = size_t{1} << 20;

std::string ErrnoText() {
  return std::strerror(errno);
}

// An owner-only folder that is not a symbolic link (created if missing).
Status EnsurePrivateDir(const std::string& dir) {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return FailedPrecondition(dir + " is not a folder");
    return Status::Ok();
  }
  if (errno != ENOENT) return IoError("cannot read " + dir + ": " + ErrnoText());
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return IoError("cannot create " + dir + ": " + ErrnoText());
  }
  return Status::Ok();
}

Status SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError("cannot open " + dir + ": " + ErrnoText());
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return IoError("cannot sync " + dir + ": " + ErrnoText());
  return Status::Ok();
}

// Size of a regular file (never followed through a link); nullopt when absent.
Result<std::optional<uint64_t>> RegularFileSize(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::optional<uint64_t>();
    return IoError("cannot read " + path + ": " + ErrnoText());
  }
  if (!S_ISREG(st.st_mode)) return FailedPrecondition(path + " is not a regular file");
  return std::optional<uint64_t>(static_cast<uint64_t>(st.st_size));
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return IoError("cannot write " + path + ": " + ErrnoText());
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Result<std::string> PRead(int fd, uint64_t offset, size_t size, const std::string& path) {
  std::string out(size, '\0');
  size_t got = 0;
  while (got < size) {
    ssize_t n = ::pread(fd, out.data() + got, size - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError("cannot read " + path + ": " + ErrnoText());
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  out.resize(got);
  return out;
}

uint64_t BlocksFor(uint64_t total) {
  return total == 0 ? 1 : (total + AttachmentFiles::kBlockBytes - 1) / AttachmentFiles::kBlockBytes;
}

}  // namespace

bool IsSha256Hex(std::string_view text) {
  if (text.size() != 64) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Result<std::string> AttachmentFiles::NameOf(const FileKey& key) const {
  if (!IsSha256Hex(key.sha256)) {
    return InvalidArgument("'" + key.sha256 + "' is not a SHA-256 (64 lowercase hex digits)");
  }
  if (!key.sealed) return key.sha256;
  if (!cipher_) return FailedPrecondition("no data key to store a personal file with");
  return cipher_->KeyedFileName(key.sha256);
}

Result<std::string> AttachmentFiles::PathOf(const FileKey& key, bool partial,
                                            bool create_dir) const {
  ASSIGN_OR_RETURN(std::string name, NameOf(key));
  std::string sub = dir_ + "/" + name.substr(0, 2);
  if (create_dir) {
    RETURN_IF_ERROR(EnsurePrivateDir(dir_));
    RETURN_IF_ERROR(EnsurePrivateDir(sub));
  }
  return sub + "/" + name + (partial ? ".partial" : "");
}

Result<bool> AttachmentFiles::Held(const FileKey& key) const {
  ASSIGN_OR_RETURN(std::string path, PathOf(key, false, false));
  ASSIGN_OR_RETURN(std::optional<uint64_t> size, RegularFileSize(path));
  return size.has_value();
}

Result<uint64_t> AttachmentFiles::PartialBytes(const FileKey& key) const {
  ASSIGN_OR_RETURN(std::string path, PathOf(key, true, false));
  ASSIGN_OR_RETURN(std::optional<uint64_t> size, RegularFileSize(path));
  if (!size) return uint64_t{0};
  // A sealed partial counts whole blocks only (a torn last write is cut off
  // before the next append).
  return key.sealed ? (*size / kSealedBlock) * kBlockBytes : *size;
}

Result<uint64_t> AttachmentFiles::Receive(const FileKey& key, uint64_t total, uint64_t offset,
                                          std::string_view bytes) {
  ASSIGN_OR_RETURN(bool held, Held(key));
  if (held) return total;
  ASSIGN_OR_RETURN(std::string path, PathOf(key, true, true));
  ASSIGN_OR_RETURN(std::optional<uint64_t> on_disk, RegularFileSize(path));
  ASSIGN_OR_RETURN(uint64_t have, PartialBytes(key));
  if (offset > have) return have;  // a gap: nothing kept, ask again from `have`
  uint64_t skip = have - offset;
  std::string_view fresh = skip >= bytes.size() ? std::string_view() : bytes.substr(skip);
  if (have + fresh.size() > total) {
    return Corruption("file " + key.sha256 + ": more bytes than the " + std::to_string(total) +
                      " its record declares; nothing kept");
  }
  const bool complete = have + fresh.size() == total;
  bool wrote_last = false;
  if (!fresh.empty() || (complete && !on_disk)) {
    int flags = O_WRONLY | O_NOFOLLOW | O_CLOEXEC | (on_disk ? 0 : (O_CREAT | O_EXCL));
    int fd = ::open(path.c_str(), flags, 0600);
    if (fd < 0) return IoError("cannot open " + path + ": " + ErrnoText());
    Status written = Status::Ok();
    uint64_t start = key.sealed ? (have / kBlockBytes) * kSealedBlock : have;
    if (::ftruncate(fd, static_cast<off_t>(start)) != 0 ||
        ::lseek(fd, static_cast<off_t>(start), SEEK_SET) < 0) {
      written = IoError("cannot position " + path + ": " + ErrnoText());
    }
    if (written.ok() && !key.sealed) written = WriteAll(fd, fresh, path);
    if (written.ok() && key.sealed) {
      auto name = NameOf(key);
      written = name.status();
      // Whole blocks, and the last one when the file is complete; the rest
      // of a piece that ends inside a block is asked for again.
      uint64_t index = have / kBlockBytes;
      const uint64_t last = BlocksFor(total) - 1;
      size_t at = 0;
      while (written.ok() && index <= last) {
        size_t want = index == last ? static_cast<size_t>(total - index * kBlockBytes)
                                    : static_cast<size_t>(kBlockBytes);
        if (fresh.size() - at < want) break;
        auto block = cipher_->SealFileBlock(*name, index, index == last, fresh.substr(at, want));
        written = block.status();
        if (written.ok()) written = WriteAll(fd, *block, path);
        wrote_last = written.ok() && index == last;
        at += want;
        ++index;
      }
    }
    if (written.ok() && ::fdatasync(fd) != 0) {
      written = IoError("cannot sync " + path + ": " + ErrnoText());
    }
    ::close(fd);
    RETURN_IF_ERROR(written);
  }
  ASSIGN_OR_RETURN(std::optional<uint64_t> after, RegularFileSize(path));
  if (!after) return uint64_t{0};
  uint64_t now = wrote_last ? total : key.sealed ? (*after / kSealedBlock) * kBlockBytes : *after;
  if (now == total) RETURN_IF_ERROR(Finish(key, path, total));
  return now;
}

Status AttachmentFiles::Finish(const FileKey& key, const std::string& partial, uint64_t total) {
  // Checked before it becomes visible: a file under its name is whole.
  ASSIGN_OR_RETURN(Sha256 hash, Sha256::Start());
  uint64_t offset = 0;
  Status checked = Status::Ok();
  while (checked.ok() && offset < total) {
    auto piece = ReadPath(partial, key, offset, kReadPiece, /*whole=*/true);
    if (!piece.ok()) {
      checked = piece.status();
      break;
    }
    if (piece->empty()) break;
    checked = hash.Update(*piece);
    offset += piece->size();
  }
  std::string digest;
  if (checked.ok()) {
    auto finished = hash.Finish();
    checked = finished.status();
    if (finished.ok()) digest = HexEncode(*finished);
  }
  if (checked.ok() && (offset != total || digest != key.sha256)) {
    checked = Corruption("file " + key.sha256 + ": the " + std::to_string(total) +
                         " bytes received do not match their SHA-256 (" + digest +
                         "); the partial file was discarded");
  }
  if (!checked.ok()) {
    if (checked.code() == Code::kCorruption) ::unlink(partial.c_str());
    return checked;
  }
  ASSIGN_OR_RETURN(std::string path, PathOf(key, false, false));
  if (::renameat2(AT_FDCWD, partial.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE) != 0) {
    if (errno == EEXIST) {
      ::unlink(partial.c_str());  // another transfer finished the same file first
      return Status::Ok();
    }
    return IoError("cannot move " + partial + " into place: " + ErrnoText());
  }
  return SyncDir(std::filesystem::path(path).parent_path().string());
}

Result<std::string> AttachmentFiles::ReadPath(const std::string& path, const FileKey& key,
                                              uint64_t offset, size_t max, bool whole) const {
  int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return IoError("cannot open " + path + ": " + ErrnoText());
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  if (!key.sealed) return PRead(fd, offset, max, path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) return IoError("cannot read " + path + ": " + ErrnoText());
  const uint64_t stored = static_cast<uint64_t>(st.st_size);
  const uint64_t blocks = (stored + kSealedBlock - 1) / kSealedBlock;
  ASSIGN_OR_RETURN(std::string name, NameOf(key));
  std::string out;
  for (uint64_t index = offset / kBlockBytes; index < blocks && out.size() < max; ++index) {
    ASSIGN_OR_RETURN(std::string sealed, PRead(fd, index * kSealedBlock, kSealedBlock, path));
    // Only a whole file holds its last block: a file cut short does not open.
    auto plain = cipher_->OpenFileBlock(name, index, whole && index + 1 == blocks, sealed);
    if (!plain.ok()) return plain.status();
    uint64_t block_start = index * kBlockBytes;
    size_t from = offset > block_start ? static_cast<size_t>(offset - block_start) : 0;
    if (from < plain->size()) out.append(plain->substr(from, max - out.size()));
  }
  return out;
}

Result<std::string> AttachmentFiles::Read(const FileKey& key, uint64_t offset, size_t max) const {
  ASSIGN_OR_RETURN(std::string path, PathOf(key, false, false));
  return ReadPath(path, key, offset, max, /*whole=*/true);
}

Result<uint64_t> AttachmentFiles::Size(const FileKey& key) const {
  ASSIGN_OR_RETURN(std::string path, PathOf(key, false, false));
  ASSIGN_OR_RETURN(std::optional<uint64_t> size, RegularFileSize(path));
  if (!size) return NotFound("file " + key.sha256 + " is not held here");
  if (!key.sealed) return *size;
  const uint64_t blocks = (*size + kSealedBlock - 1) / kSealedBlock;
  if (blocks == 0) return Corruption("stored file " + path + " is empty");
  return (blocks - 1) * kBlockBytes + (*size - (blocks - 1) * kSealedBlock) -
         CellCipher::kFileBlockOverhead;
}

Status AttachmentFiles::Import(const std::string& source, uint64_t max_bytes, FileKey* key,
                               uint64_t* size, const std::vector<std::string>& protected_paths) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(source, ec)) {
    return NotFound(source + " is not a readable file");
  }
  int fd = ::open(source.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError("cannot open " + source + ": " + ErrnoText());
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  // Checked once open: the file read is the one checked.
  struct stat opened {};
  if (::fstat(fd, &opened) != 0) return IoError("cannot read " + source + ": " + ErrnoText());
  std::vector<std::string> never = protected_paths;
  never.push_back(dir_);
  RETURN_IF_ERROR(CheckNotProtectedSource(source, opened, never));
  const uint64_t bytes = static_cast<uint64_t>(opened.st_size);
  if (bytes > max_bytes) {
    return InvalidArgument(source + " is " + std::to_string(bytes) +
                           " bytes; attachments may be at most " + std::to_string(max_bytes) +
                           " bytes on this deployment");
  }
  // First the digest (the file's name), then the bytes, in pieces.
  ASSIGN_OR_RETURN(Sha256 hash, Sha256::Start());
  for (uint64_t at = 0; at < bytes;) {
    ASSIGN_OR_RETURN(std::string piece, PRead(fd, at, kReadPiece, source));
    if (piece.empty()) return IoError(source + " changed while it was read");
    RETURN_IF_ERROR(hash.Update(piece));
    at += piece.size();
  }
  ASSIGN_OR_RETURN(std::string digest, hash.Finish());
  key->sha256 = HexEncode(digest);
  *size = bytes;
  ASSIGN_OR_RETURN(uint64_t have, PartialBytes(*key));
  ASSIGN_OR_RETURN(bool held, Held(*key));
  if (held) return Status::Ok();  // the same file attached before: stored once
  uint64_t at = have;
  do {
    ASSIGN_OR_RETURN(std::string piece, PRead(fd, at, kReadPiece, source));
    ASSIGN_OR_RETURN(uint64_t now, Receive(*key, bytes, at, piece));
    if (now == bytes) return Status::Ok();
    if (now <= at && piece.empty()) return IoError(source + " changed while it was read");
    at = now;
  } while (at <= bytes);
  return Internal("import of " + source + " did not finish");
}

Result<size_t> AttachmentFiles::RemoveAllBut(const std::set<std::string>& keep) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir_, ec)) return size_t{0};
  size_t removed = 0;
  for (const auto& sub : std::filesystem::directory_iterator(dir_, ec)) {
    if (!sub.is_directory(ec) || sub.is_symlink(ec)) continue;
    for (const auto& entry : std::filesystem::directory_iterator(sub.path(), ec)) {
      std::string name = entry.path().filename().string();
      std::string base = name.size() > 8 && name.compare(name.size() - 8, 8, ".partial") == 0
                             ? name.substr(0, name.size() - 8)
                             : name;
      if (!IsSha256Hex(base) || keep.count(base)) continue;
      // Zeroed before it is unlinked: a purged scan's bytes do not stay in
      // the freed blocks for a file-system reader (short of the device's
      // own remapping).
      int fd = ::open(entry.path().c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
      if (fd >= 0) {
        struct stat st {};
        if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
          const std::string zeros(64 * 1024, '\0');
          for (off_t at = 0; at < st.st_size; at += static_cast<off_t>(zeros.size())) {
            size_t n = static_cast<size_t>(
                std::min<off_t>(st.st_size - at, static_cast<off_t>(zeros.size())));
            if (::pwrite(fd, zeros.data(), n, at) < 0) break;
          }
          ::fdatasync(fd);
        }
        ::close(fd);
      }
      if (::unlink(entry.path().c_str()) != 0) {
        return IoError("cannot remove " + entry.path().string() + ": " + ErrnoText());
      }
      ++removed;
    }
  }
  if (ec) return IoError("cannot list " + dir_ + ": " + ec.message());
  return removed;
}

Status AttachmentFiles::CheckDigest(const FileKey& key, const std::string& hex_digest) {
  if (hex_digest == key.sha256) return Status::Ok();
  return Corruption("the stored file " + key.sha256 + " no longer matches its SHA-256 (its bytes" +
                    " hash to " + hex_digest + "): it was changed on disk; not given out");
}

Status AttachmentFiles::Export(const FileKey& key, const std::string& out,
                               const std::vector<std::string>& protected_paths) const {
  ASSIGN_OR_RETURN(uint64_t size, Size(key));
  struct stat st {};
  if (::lstat(out.c_str(), &st) == 0) {
    return FailedPrecondition(out + " already exists; nothing written (choose another --out)");
  }
  ASSIGN_OR_RETURN(OutputFile file, OutputFile::Create(out, protected_paths));
  ASSIGN_OR_RETURN(Sha256 hash, Sha256::Start());
  for (uint64_t at = 0; at < size;) {
    ASSIGN_OR_RETURN(std::string piece, Read(key, at, kReadPiece));
    if (piece.empty()) return Corruption("stored file " + key.sha256 + " is shorter than it was");
    RETURN_IF_ERROR(hash.Update(piece));
    RETURN_IF_ERROR(file.Write(piece));
    at += piece.size();
  }
  // A stored file changed on disk since it was checked in (replaced,
  // damaged) is not given out as the attachment: the partial goes.
  ASSIGN_OR_RETURN(std::string digest, hash.Finish());
  RETURN_IF_ERROR(CheckDigest(key, HexEncode(digest)));
  return file.Commit();
}

}  // namespace accord
