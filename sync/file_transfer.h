// Moving attachments' files between two nodes (docs/attachments.md): after
// the pages of records, in requests of their own, so that a large file never
// holds a record back. The client fetches the files of the attachment
// records it holds and lacks, then offers the server the files the server's
// party may hold, and sends what the server lacks. Every piece is kept as it
// arrives (a .partial per file), so a cut transfer resumes where it stopped,
// in the next sync, across restarts.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/store.h"
#include "sync/transport.h"

namespace accord::sync {

// The largest piece a reply or a push carries.
inline constexpr uint32_t kMaxFilePieceBytes = uint32_t{1} << 20;
// Files offered in one request.
inline constexpr size_t kMaxFilesPerOffer = 500;

struct FileProgress {
  bool sending = false;  // false: fetching from the peer
  std::string attachment_id;
  std::string file_name;
  uint64_t bytes = 0;  // held by the receiving side so far
  uint64_t total = 0;
};

struct FileTransferOptions {
  uint32_t piece_bytes = 256 * 1024;  // asked for, or sent, per request
  size_t max_files = 1000;            // files fetched, and files offered, per sync
  std::function<void(const FileProgress&)> on_progress;
};

struct FileTransferSummary {
  uint64_t files_received = 0;  // whole, checked, here now
  uint64_t files_sent = 0;      // whole at the peer now
  uint64_t bytes_received = 0;  // in pieces kept
  uint64_t bytes_sent = 0;
  uint64_t files_missing = 0;  // referenced here, held by neither side whole yet
  // Files that did not move, each with why (a file that did not match its
  // SHA-256 and was discarded, one the peer refused); the rest went on.
  std::vector<std::string> problems;
};

// REQUIRES: the hello of this session is done (the peer's party is known).
// A transport failure stops it (kUnavailable): what arrived is kept, and
// `summary` counts what moved until then.
Status TransferFiles(Store& store, Transport& transport, const std::string& peer,
                     const FileTransferOptions& options, FileTransferSummary* summary);

}  // namespace accord::sync
