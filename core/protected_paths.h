// A node's own files (its database and WAL, its keys, its node directory)
// are never replaced by an output file nor taken in as an attachment: a
// bundle written over the database destroys it, and a key or database
// attached is shipped, in the clear, to every office the record goes to.
//
// Paths are compared resolved: symbolic links and "x/../" spellings are
// followed, and a file is also matched by its device and inode (a hard link
// to a protected file is that file).
#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace accord {

struct ProtectedHit {
  std::string guarded;  // the entry of the list, as given
  bool is_dir = false;  // a folder whose whole content is protected
};

// Which entry of `protected_paths` (files, or folders whose whole content is
// protected) the resolved `target` is or lies in; nullopt when none.
std::optional<ProtectedHit> FindProtected(const std::filesystem::path& target,
                                          const std::vector<std::string>& protected_paths);

// For a file opened to be read and handed on (an attachment's source;
// `opened` is fstat of the open descriptor, so a link swapped after the
// check cannot redirect the read): kInvalidArgument naming the protected
// entry when `source`, followed through every link, is one of
// `protected_paths`, lies in one, or is a hard link to a file in one;
// kIo when `source` no longer resolves to the file opened.
Status CheckNotProtectedSource(const std::string& source, const struct stat& opened,
                               const std::vector<std::string>& protected_paths);

// The same for a file not yet opened (a check before anything is written):
// opens `source` read-only to look at it.
Status CheckNotProtectedSource(const std::string& source,
                               const std::vector<std::string>& protected_paths);

}  // namespace accord
