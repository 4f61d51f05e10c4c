// The serving side of attachments' files (docs/attachments.md): a file goes
// only to a peer whose party may hold an attachment record referencing it,
// and only once it is held whole here; a file comes in only for an
// attachment record held here, within the size limit and checked against its
// SHA-256 before it is kept.
#include <algorithm>

#include "sync/file_transfer.h"
#include "sync/sync_service.h"
#include "sync/wire_codec.h"

namespace accord::sync {

namespace {

ServiceReply FileError(const Status& status, const std::string& self) {
  auto frame = EncodeError(status, self, 0);
  if (!frame.ok()) return {frame.status().code(), ""};
  return {status.code(), std::move(frame).value()};
}

ServiceReply FileReplyOf(wire::Envelope& reply, const std::string& self) {
  auto frame = EncodeFrame(reply, self);
  if (!frame.ok()) return FileError(frame.status(), self);
  return {Code::kOk, std::move(frame).value()};
}

// The attachment record a peer names, if it references exactly that file.
Result<AttachmentInfo> NamedFile(Store& store, const wire::FilePiece& piece) {
  auto file = store.Attachment(piece.attachment_id());
  if (!file.ok()) {
    if (file.status().code() == Code::kFailedPrecondition) return file.status();  // locked
    return NotFound("no attachment " + piece.attachment_id() + " here");
  }
  if (file->sha256 != piece.sha256()) {
    return NotFound("attachment " + piece.attachment_id() + " references another file here");
  }
  return file;
}

// Why this node will not take the file a peer offers or pushes ("" if it will).
std::string RefusalOf(Store& store, const wire::FilePiece& piece, const AttachmentInfo* file,
                      const Status& found) {
  if (!found.ok()) return found.message();
  if (piece.total_size() != file->size) {
    return "attachment " + file->id + " declares " + std::to_string(file->size) +
           " bytes here, not " + std::to_string(piece.total_size());
  }
  if (file->size > store.max_attachment_bytes()) {
    return "attachment " + file->id + " is " + std::to_string(file->size) +
           " bytes; this node takes files of at most " +
           std::to_string(store.max_attachment_bytes()) + " bytes";
  }
  return "";
}

}  // namespace

ServiceReply SyncService::FileRequest(const wire::Envelope& request, const std::string& peer) {
  const std::string& self = store_.node_id();
  const wire::FileRequest& ask = request.file_request();
  wire::FilePiece named;
  named.set_attachment_id(ask.attachment_id());
  named.set_sha256(ask.sha256());
  auto file = NamedFile(store_, named);
  if (!file.ok()) return FileError(file.status(), self);
  // The file goes where its record may go, and nowhere else.
  auto may = store_.PeerMayHold(file->id, peer);
  if (!may.ok()) return FileError(may.status(), self);
  if (!*may) {
    Log("refused the file of attachment " + file->id + " to " + peer +
        ": its party may not hold the record");
    return FileError(PermissionDenied("attachment " + file->id + " may not go to " + peer), self);
  }
  if (!file->held) {
    return FileError(NotFound("the file of attachment " + file->id + " is not held whole here"),
                     self);
  }
  if (ask.offset() > file->size) {
    return FileError(
        InvalidArgument("offset " + std::to_string(ask.offset()) + " is beyond the " +
                        std::to_string(file->size) + " bytes of attachment " + file->id),
        self);
  }
  size_t max = std::min<size_t>(ask.max_bytes() == 0 ? kMaxFilePieceBytes : ask.max_bytes(),
                                kMaxFilePieceBytes);
  auto bytes = store_.ReadAttachment(*file, ask.offset(), max);
  if (!bytes.ok()) return FileError(bytes.status(), self);
  wire::Envelope reply;
  wire::FilePiece* piece = reply.mutable_file_reply()->mutable_piece();
  piece->set_attachment_id(file->id);
  piece->set_sha256(file->sha256);
  piece->set_offset(ask.offset());
  piece->set_total_size(file->size);
  reply.mutable_file_reply()->set_done(ask.offset() + bytes->size() >= file->size);
  piece->set_bytes(std::move(bytes).value());
  return FileReplyOf(reply, self);
}

ServiceReply SyncService::FileOffer(const wire::Envelope& request, const std::string& peer) {
  const std::string& self = store_.node_id();
  const auto& files = request.file_offer().files();
  if (static_cast<size_t>(files.size()) > kMaxFilesPerOffer) {
    return FileError(InvalidArgument("an offer of " + std::to_string(files.size()) +
                                     " files; at most " + std::to_string(kMaxFilesPerOffer)),
                     self);
  }
  wire::Envelope reply;
  for (const wire::FilePiece& offered : files) {
    wire::FileHeld* held = reply.mutable_file_offer_reply()->add_held();
    auto file = NamedFile(store_, offered);
    std::string refused = RefusalOf(store_, offered, file.ok() ? &*file : nullptr, file.status());
    if (!refused.empty()) {
      held->set_refused(refused);
      continue;
    }
    held->set_bytes(file->held ? file->size : file->partial_bytes);
  }
  (void)peer;
  return FileReplyOf(reply, self);
}

ServiceReply SyncService::FilePush(const wire::Envelope& request, const std::string& peer) {
  const std::string& self = store_.node_id();
  const wire::FilePiece& piece = request.file_push().piece();
  if (piece.bytes().size() > kMaxFilePieceBytes) {
    return FileError(InvalidArgument("a piece of " + std::to_string(piece.bytes().size()) +
                                     " bytes; at most " + std::to_string(kMaxFilePieceBytes)),
                     self);
  }
  wire::Envelope reply;
  wire::FileHeld* held = reply.mutable_file_push_reply()->mutable_held();
  auto file = NamedFile(store_, piece);
  std::string refused = RefusalOf(store_, piece, file.ok() ? &*file : nullptr, file.status());
  if (!refused.empty()) {
    held->set_refused(refused);
    return FileReplyOf(reply, self);
  }
  auto now = store_.ReceiveAttachment(*file, piece.offset(), piece.bytes());
  if (!now.ok()) {
    if (now.status().code() == Code::kCorruption) {
      Log("discarded the file of attachment " + file->id + " from " + peer + ": " +
          now.status().message());
    }
    return FileError(now.status(), self);
  }
  held->set_bytes(*now);
  return FileReplyOf(reply, self);
}

}  // namespace accord::sync
