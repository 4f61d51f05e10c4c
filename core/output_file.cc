#include "core/output_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/protected_paths.h"

namespace accord {

namespace {

namespace fs = std::filesystem;

std::string ErrnoText(int err) {
  return std::strerror(err);
}

// The path with its folder resolved (symbolic links, "..") and its own name
// kept: what a rename onto `path` would replace.
Result<fs::path> ResolvedTarget(const std::string& path) {
  fs::path p = fs::absolute(path);
  std::error_code ec;
  fs::path parent = fs::canonical(p.parent_path(), ec);
  if (ec)
    return NotFound("cannot write " + path + ": folder " + p.parent_path().string() + ": " +
                    ec.message());
  return parent / p.filename();
}

Status CheckNotProtected(const std::string& path, const fs::path& target,
                         const std::vector<std::string>& protected_paths) {
  if (auto hit = FindProtected(target, protected_paths)) {
    return InvalidArgument("refusing to write " + path + ": it would replace this node's own " +
                           (hit->is_dir ? "files in " : "file ") + hit->guarded);
  }
  return Status::Ok();
}

}  // namespace

OutputFile::OutputFile(std::string path, std::string partial, int fd)
    : path_(std::move(path)), partial_(std::move(partial)), fd_(fd) {}

OutputFile::OutputFile(OutputFile&& other) noexcept
    : path_(std::move(other.path_)),
      partial_(std::move(other.partial_)),
      fd_(other.fd_),
      bytes_(other.bytes_),
      committed_(other.committed_) {
  other.fd_ = -1;
  other.committed_ = true;  // the moved-from object owns nothing to remove
}

OutputFile::~OutputFile() {
  if (fd_ >= 0) close(fd_);
  if (!committed_ && !partial_.empty()) unlink(partial_.c_str());
}

Result<OutputFile> OutputFile::Create(const std::string& path,
                                      const std::vector<std::string>& protected_paths) {
  if (path.empty()) return InvalidArgument("no output file given");
  ASSIGN_OR_RETURN(fs::path target, ResolvedTarget(path));
  RETURN_IF_ERROR(CheckNotProtected(path, target, protected_paths));
  std::string partial = target.string() + ".partial";
  RETURN_IF_ERROR(CheckNotProtected(path, partial, protected_paths));
  for (int attempt = 0; attempt < 2; ++attempt) {
    int fd = open(partial.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0) return OutputFile(target.string(), partial, fd);
    int err = errno;
    if (err != EEXIST) return IoError("cannot create " + partial + ": " + ErrnoText(err));
    struct stat st {};
    if (lstat(partial.c_str(), &st) != 0) continue;  // gone meanwhile: try again
    if (S_ISLNK(st.st_mode)) {
      return PermissionDenied("refusing to write " + partial +
                              ": it is a symbolic link (someone may be redirecting the output)");
    }
    if (!S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
      return PermissionDenied("refusing to write " + partial +
                              ": something that is not our own partial file is there");
    }
    // A partial file of ours left by a crash: nobody will finish it.
    if (unlink(partial.c_str()) != 0 && errno != ENOENT) {
      return IoError("cannot remove the stale " + partial + ": " + ErrnoText(errno));
    }
  }
  return IoError("cannot create " + partial + ": it keeps reappearing");
}

Status OutputFile::Write(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd_, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError("writing " + partial_ + " failed: " + ErrnoText(errno));
    }
    data.remove_prefix(static_cast<size_t>(n));
    bytes_ += static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

Status OutputFile::Commit() {
  if (fsync(fd_) != 0)
    return IoError("writing " + partial_ + " to disk failed: " + ErrnoText(errno));
  int fd = fd_;
  fd_ = -1;
  if (close(fd) != 0) return IoError("closing " + partial_ + " failed: " + ErrnoText(errno));
  if (rename(partial_.c_str(), path_.c_str()) != 0) {
    return IoError("cannot move " + partial_ + " to " + path_ + ": " + ErrnoText(errno));
  }
  committed_ = true;
  // The rename itself must survive a power cut, or the file may vanish.
  int dir = open(fs::path(path_).parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    fsync(dir);
    close(dir);
  }
  return Status::Ok();
}

}  // namespace accord
