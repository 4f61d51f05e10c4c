// The files of attachments (scanned signed minutes, annexes, slides), kept
// by content in the node directory (docs/attachments.md):
//
//   <attachments dir>/<first 2 hex digits>/<name>            a whole file
//   <attachments dir>/<first 2 hex digits>/<name>.partial    a transfer under way
//
// <name> is the hex SHA-256 of the file's bytes, or, for a personal file on
// an encrypted node, a keyed hash of it (CellCipher::KeyedFileName) and the
// file is stored sealed in blocks (CellCipher::SealFileBlock). A file becomes
// visible under its name only once every byte is in and its SHA-256 matches:
// the .partial is created exclusively (never through a link), owner-only,
// synced, checked, then renamed without replacing anything. A transfer cut at
// any point resumes from the .partial's length, across restarts.
//
// No SQL here: the store (core/attachments.cc) decides which files a record
// references and who may have them.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/cell_cipher.h"
#include "core/status.h"

namespace accord {

// A file as this node stores it.
struct FileKey {
  std::string sha256;   // hex SHA-256 of the file's (plain) bytes
  bool sealed = false;  // personal file on an encrypted node: stored encrypted
};

// True for 64 lowercase hex digits.
bool IsSha256Hex(std::string_view text);

class AttachmentFiles {
 public:
  // Plain bytes per sealed block; a sealed .partial holds whole blocks only.
  static constexpr uint64_t kBlockBytes = 16 * 1024;

  // `cipher` must outlive this object; it is needed for sealed files only.
  AttachmentFiles(std::string dir, const CellCipher* cipher)
      : dir_(std::move(dir)), cipher_(cipher) {}
  const std::string& dir() const { return dir_; }

  // Whether the whole file is held.
  Result<bool> Held(const FileKey& key) const;
  // The plain bytes of a transfer not finished (0 when none).
  Result<uint64_t> PartialBytes(const FileKey& key) const;

  // Takes `bytes`, the file's bytes from `offset`, for a file of `total`
  // bytes. Keeps what extends the .partial (bytes before its end are
  // skipped; a piece that starts beyond it is not kept: the caller asks
  // again from the returned length). Returns the bytes held afterwards; when
  // that is `total`, the file was checked and is visible. A file whose bytes
  // do not match its SHA-256 is discarded (kCorruption, saying so).
  Result<uint64_t> Receive(const FileKey& key, uint64_t total, uint64_t offset,
                           std::string_view bytes);

  // Up to `max` plain bytes of a whole held file from `offset`, and its size.
  Result<std::string> Read(const FileKey& key, uint64_t offset, size_t max) const;
  Result<uint64_t> Size(const FileKey& key) const;

  // Copies the file at `source` in (refusing one over `max_bytes`, with the
  // limit in the message); fills key->sha256 and `size`. Refuses a source
  // that is one of `protected_paths` or this store's own files
  // (core/protected_paths.h): what is imported is shipped to other nodes.
  Status Import(const std::string& source, uint64_t max_bytes, FileKey* key, uint64_t* size,
                const std::vector<std::string>& protected_paths = {});

  // The stored name of a file (its SHA-256, or the keyed name when sealed).
  Result<std::string> NameOf(const FileKey& key) const;
  // Removes every stored file and partial whose name is not in `keep`;
  // returns how many.
  Result<size_t> RemoveAllBut(const std::set<std::string>& keep);

  // kCorruption unless `hex_digest` (of bytes read back) is the file's
  // SHA-256: what was stored has been changed on disk since.
  static Status CheckDigest(const FileKey& key, const std::string& hex_digest);

  // Writes the whole file's plain bytes to `out` (core/output_file.h rules:
  // owner-only, never over `protected_paths`, created beside and renamed),
  // only when they still match the file's SHA-256 (nothing is left at `out`
  // otherwise).
  Status Export(const FileKey& key, const std::string& out,
                const std::vector<std::string>& protected_paths) const;

 private:
  Result<std::string> PathOf(const FileKey& key, bool partial, bool create_dir) const;
  Status Finish(const FileKey& key, const std::string& partial, uint64_t total);
  // `whole`: the stored file holds its last block (sealed files).
  Result<std::string> ReadPath(const std::string& path, const FileKey& key, uint64_t offset,
                               size_t max, bool whole) const;

  std::string dir_;
  const CellCipher* cipher_;
};

}  // namespace accord
