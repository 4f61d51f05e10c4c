// Attachments' files in a bundle (docs/bundle-format.md, "Files"): written
// after every chunk of states, as chunks of FilePiece; taken piece by piece
// into the same .partial files a sync fills, so an apply cut short resumes.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "accord_sync.pb.h"
#include "core/store.h"

namespace accord::sync {

// File bytes in one bundle chunk (well under the 32 MiB a chunk may expand to).
inline constexpr size_t kFileBytesPerChunk = size_t{4} << 20;

struct BundleFileProgress {
  std::string file_name;
  uint64_t bytes = 0;
  uint64_t total = 0;
};

struct BundleFilesWritten {
  uint64_t files = 0;
  uint64_t bytes = 0;
};

// Emits, through `emit`, chunks carrying the whole files of `attachment_ids`
// (records the bundle carries) that are held here. `may_carry_personal`
// false (a clear bundle): a personal file is refused, as a personal state is.
Result<BundleFilesWritten> WriteFileChunks(
    Store& store, const std::set<std::string>& attachment_ids, bool may_carry_personal,
    const std::function<Status(wire::SignedChanges&)>& emit,
    const std::function<void(const BundleFileProgress&)>& on_progress);

struct BundleFilesTaken {
  uint64_t files = 0;  // now held whole
  uint64_t bytes = 0;
  std::vector<std::string> problems;  // pieces not taken, each with why
};

// Takes the pieces a chunk carries. A piece for an attachment not held here,
// naming another file, over the size limit, or completing a file that does
// not match its SHA-256 is not kept and is reported; the rest go in. Only a
// failure of the node's own disk is an error.
Status TakeFilePieces(Store& store, const wire::SignedChanges& chunk, BundleFilesTaken& taken,
                      const std::function<void(const BundleFileProgress&)>& on_progress);

}  // namespace accord::sync
