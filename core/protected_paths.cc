#include "core/protected_paths.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace accord {

namespace {

namespace fs = std::filesystem;

bool SameFile(const fs::path& a, const fs::path& b) {
  struct stat sa {
  }, sb{};
  if (stat(a.c_str(), &sa) != 0 || stat(b.c_str(), &sb) != 0) return false;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

// Whether a file in `folder` (at any depth, links not followed) is the
// file `st` describes.
bool FolderHolds(const fs::path& folder, const struct stat& st) {
  std::error_code ec;
  for (fs::recursive_directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    struct stat entry {};
    if (lstat(it->path().c_str(), &entry) != 0 || !S_ISREG(entry.st_mode)) continue;
    if (entry.st_dev == st.st_dev && entry.st_ino == st.st_ino) return true;
  }
  return false;
}

}  // namespace

std::optional<ProtectedHit> FindProtected(const fs::path& target,
                                          const std::vector<std::string>& protected_paths) {
  for (const std::string& guarded : protected_paths) {
    if (guarded.empty()) continue;
    std::error_code ec;
    fs::path resolved = fs::weakly_canonical(fs::absolute(guarded), ec);
    if (ec) continue;
    bool is_dir = fs::is_directory(resolved, ec);
    bool hit = target == resolved || SameFile(target, resolved);
    if (!hit && is_dir) {
      auto rel = target.lexically_relative(resolved);
      hit = !rel.empty() && *rel.begin() != "..";
    }
    if (hit) return ProtectedHit{guarded, is_dir};
  }
  return std::nullopt;
}

Status CheckNotProtectedSource(const std::string& source, const struct stat& opened,
                               const std::vector<std::string>& protected_paths) {
  std::error_code ec;
  fs::path resolved = fs::canonical(fs::absolute(source), ec);
  if (ec) return NotFound("cannot read " + source + ": " + ec.message());
  struct stat now {};
  if (stat(resolved.c_str(), &now) != 0 || now.st_dev != opened.st_dev ||
      now.st_ino != opened.st_ino) {
    return IoError(source + " changed while it was opened; nothing attached");
  }
  auto refuse = [&](const ProtectedHit& hit) {
    return InvalidArgument("refusing to attach " + source + ": it is this node's own " +
                           (hit.is_dir ? "file (in " + hit.guarded + ")" : "file " + hit.guarded) +
                           ", which must never leave the node; nothing attached");
  };
  if (auto hit = FindProtected(resolved, protected_paths)) return refuse(*hit);
  // A hard link made elsewhere to a file in a protected folder.
  if (opened.st_nlink > 1) {
    for (const std::string& guarded : protected_paths) {
      if (guarded.empty() || !fs::is_directory(guarded, ec)) continue;
      if (FolderHolds(guarded, opened)) return refuse(ProtectedHit{guarded, true});
    }
  }
  return Status::Ok();
}

Status CheckNotProtectedSource(const std::string& source,
                               const std::vector<std::string>& protected_paths) {
  int fd = open(source.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return IoError("cannot open " + source + ": " + std::strerror(errno));
  struct stat opened {};
  Status checked = fstat(fd, &opened) == 0
                       ? CheckNotProtectedSource(source, opened, protected_paths)
                       : IoError("cannot read " + source + ": " + std::strerror(errno));
  close(fd);
  return checked;
}

}  // namespace accord
