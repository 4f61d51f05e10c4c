// An output file (a bundle, an acknowledgement) written beside its final path
// and moved into place only when complete.
//
// Why each rule: the partial file is created exclusively and never through a
// symbolic link, so a link planted at "<path>.partial" cannot redirect the
// write onto another file; it is owner-only (0600) because bundles carry case
// data; every write is checked, so a full disk names itself and leaves no
// partial file behind; and a caller can name files that must never be
// replaced (the node's own database and keys).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace accord {

class OutputFile {
 public:
  // Creates "<path>.partial" (mode 0600). Refuses when `path` is, or would
  // replace, one of `protected_paths` (files, or folders whose whole content
  // is protected), when the partial path is a symbolic link or not a regular
  // file, or when the folder does not exist. A stale partial file left by a
  // crash (a regular file) is replaced.
  static Result<OutputFile> Create(const std::string& path,
                                   const std::vector<std::string>& protected_paths = {});
  OutputFile(OutputFile&& other) noexcept;
  OutputFile& operator=(OutputFile&&) = delete;
  OutputFile(const OutputFile&) = delete;
  ~OutputFile();  // removes the partial file unless Commit() succeeded

  Status Write(std::string_view data);
  // Flushes to disk and renames the partial file to `path`.
  Status Commit();

  uint64_t bytes_written() const { return bytes_; }
  const std::string& path() const { return path_; }

 private:
  OutputFile(std::string path, std::string partial, int fd);
  std::string path_, partial_;
  int fd_ = -1;
  uint64_t bytes_ = 0;
  bool committed_ = false;
};

}  // namespace accord
