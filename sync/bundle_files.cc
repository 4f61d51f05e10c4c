#include "sync/bundle_files.h"

#include <algorithm>

namespace accord::sync {

Result<BundleFilesWritten> WriteFileChunks(
    Store& store, const std::set<std::string>& attachment_ids, bool may_carry_personal,
    const std::function<Status(wire::SignedChanges&)>& emit,
    const std::function<void(const BundleFileProgress&)>& on_progress) {
  BundleFilesWritten written;
  wire::SignedChanges chunk;
  size_t in_chunk = 0;
  std::set<std::pair<std::string, bool>> carried;  // the same file, referenced twice, goes once
  for (const std::string& id : attachment_ids) {
    auto file = store.Attachment(id);
    // A deleted attachment, or one whose file is not held whole here, is
    // left out: a sync or a later bundle brings it.
    if (!file.ok() || !file->held) continue;
    if (!carried.insert({file->sha256, file->sealed}).second) continue;
    if (!may_carry_personal && store.IsPersonalType(file->type)) {
      return FailedPrecondition("the bundle would carry a personal file (" + file->type + " " +
                                file->id +
                                ") and no key of the receiver is known here to "
                                "encrypt it for: give its certificate (--receiver-cert, its "
                                "tls/node.pem); nothing written");
    }
    uint64_t at = 0;
    do {
      size_t room = kFileBytesPerChunk - in_chunk;
      ASSIGN_OR_RETURN(std::string bytes, store.ReadAttachment(*file, at, room));
      wire::FilePiece* piece = chunk.add_file_pieces();
      piece->set_attachment_id(file->id);
      piece->set_sha256(file->sha256);
      piece->set_offset(at);
      piece->set_total_size(file->size);
      at += bytes.size();
      in_chunk += bytes.size();
      written.bytes += bytes.size();
      piece->set_bytes(std::move(bytes));
      if (on_progress) on_progress({file->file_name, at, file->size});
      if (in_chunk >= kFileBytesPerChunk) {
        RETURN_IF_ERROR(emit(chunk));
        chunk.Clear();
        in_chunk = 0;
      }
    } while (at < file->size);
    written.files++;
  }
  if (chunk.file_pieces_size() > 0) RETURN_IF_ERROR(emit(chunk));
  return written;
}

Status TakeFilePieces(Store& store, const wire::SignedChanges& chunk, BundleFilesTaken& taken,
                      const std::function<void(const BundleFileProgress&)>& on_progress) {
  for (const wire::FilePiece& piece : chunk.file_pieces()) {
    auto file = store.Attachment(piece.attachment_id());
    std::string why;
    if (!file.ok()) {
      why = file.status().message();
    } else if (file->sha256 != piece.sha256() || file->size != piece.total_size()) {
      why = "attachment " + file->id + " references another file here";
    }
    if (!why.empty()) {
      taken.problems.push_back("a piece of attachment " + piece.attachment_id() +
                               " was not taken: " + why);
      continue;
    }
    if (file->held) continue;
    auto now = store.ReceiveAttachment(*file, piece.offset(), piece.bytes());
    if (!now.ok()) {
      if (now.status().code() == Code::kIo) return now.status();
      taken.problems.push_back(now.status().message());
      continue;
    }
    taken.bytes += piece.bytes().size();
    if (on_progress) on_progress({file->file_name, *now, file->size});
    if (*now == file->size) taken.files++;
  }
  return Status::Ok();
}

}  // namespace accord::sync
