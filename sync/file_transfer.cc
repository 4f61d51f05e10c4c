#include "sync/file_transfer.h"

#include <algorithm>

#include "sync/round_trip.h"

namespace accord::sync {

namespace {

void Report(const FileTransferOptions& options, bool sending, const AttachmentInfo& file,
            uint64_t bytes) {
  if (options.on_progress) {
    options.on_progress({sending, file.id, file.file_name, bytes, file.size});
  }
}

wire::FilePiece Describe(const AttachmentInfo& file) {
  wire::FilePiece piece;
  piece.set_attachment_id(file.id);
  piece.set_sha256(file.sha256);
  piece.set_total_size(file.size);
  return piece;
}

// Whether a failed exchange ends the whole transfer (the link) or only this
// file (the peer answered: it lacks the file, or will not give it).
bool LinkFailed(const Status& status) {
  return status.code() == Code::kUnavailable || status.code() == Code::kIo ||
         status.code() == Code::kInternal;
}

// Fetches one file from the peer, from what this node already holds of it.
Status Fetch(Store& store, Transport& transport, const AttachmentInfo& file,
             const FileTransferOptions& options, FileTransferSummary& summary) {
  uint64_t held = file.partial_bytes;
  Report(options, false, file, held);
  while (held < file.size || (file.size == 0 && held == 0)) {
    wire::Envelope request;
    auto* ask = request.mutable_file_request();
    ask->set_attachment_id(file.id);
    ask->set_sha256(file.sha256);
    ask->set_offset(held);
    // At least a sealed block: a node storing the file sealed keeps whole
    // blocks only.
    ask->set_max_bytes(std::max(std::min(options.piece_bytes, kMaxFilePieceBytes),
                                static_cast<uint32_t>(AttachmentFiles::kBlockBytes)));
    auto reply = Exchange(transport, kOpFile, request, store.node_id(), wire::Envelope::kFileReply);
    if (!reply.ok()) {
      if (LinkFailed(reply.status())) return reply.status();
      summary.files_missing++;
      if (reply.status().code() != Code::kNotFound) {
        summary.problems.push_back(file.file_name + " (" + file.id +
                                   "): " + reply.status().message());
      }
      return Status::Ok();
    }
    const wire::FilePiece& piece = reply->file_reply().piece();
    if (piece.offset() != held || piece.total_size() != file.size ||
        piece.bytes().size() > kMaxFilePieceBytes ||
        (piece.bytes().empty() && !reply->file_reply().done())) {
      return Corruption("the peer sent a piece of " + file.file_name + " (" + file.id +
                        ") that is not the one asked for");
    }
    auto now = store.ReceiveAttachment(file, piece.offset(), piece.bytes());
    if (!now.ok()) {
      if (now.status().code() != Code::kCorruption &&
          now.status().code() != Code::kInvalidArgument) {
        return now.status();
      }
      // Discarded (it did not match its SHA-256) or refused (too large):
      // the next sync tries again from nothing; the other files go on.
      summary.problems.push_back(file.file_name + ": " + now.status().message());
      return Status::Ok();
    }
    summary.bytes_received += piece.bytes().size();
    // A sealed file keeps whole blocks only: the rest of the piece is asked
    // for again.
    if (*now <= held && !(file.size == 0 && *now == 0)) {
      return Corruption("no progress fetching " + file.file_name + " at byte " +
                        std::to_string(held));
    }
    held = *now;
    Report(options, false, file, held);
    if (held == file.size) {
      summary.files_received++;
      break;
    }
  }
  return Status::Ok();
}

// Sends the rest of one file the peer holds `held` bytes of.
Status Send(Store& store, Transport& transport, const AttachmentInfo& file, uint64_t held,
            const FileTransferOptions& options, FileTransferSummary& summary) {
  Report(options, true, file, held);
  // A peer may lose part of a file once (a partial file cleaned up); one
  // that keeps going back would keep this loop sending for ever.
  bool went_back = false;
  while (held < file.size || (file.size == 0 && held == 0)) {
    auto bytes =
        store.ReadAttachment(file, held, std::min(options.piece_bytes, kMaxFilePieceBytes));
    if (!bytes.ok()) return bytes.status();
    wire::Envelope request;
    wire::FilePiece* piece = request.mutable_file_push()->mutable_piece();
    *piece = Describe(file);
    piece->set_offset(held);
    piece->set_bytes(*bytes);
    auto reply =
        Exchange(transport, kOpFilePush, request, store.node_id(), wire::Envelope::kFilePushReply);
    if (!reply.ok()) {
      if (LinkFailed(reply.status())) return reply.status();
      summary.problems.push_back(file.file_name + " (" + file.id +
                                 ") at the peer: " + reply.status().message());
      return Status::Ok();
    }
    const wire::FileHeld& now = reply->file_push_reply().held();
    if (!now.refused().empty()) {
      summary.problems.push_back(file.file_name + " (" + file.id +
                                 ") at the peer: " + now.refused());
      return Status::Ok();
    }
    if (now.bytes() <= held && !(file.size == 0 && now.bytes() == 0 && bytes->empty())) {
      if (now.bytes() < held && !went_back) {
        went_back = true;
        held = now.bytes();  // the peer lost part of it: send from where it is
        continue;
      }
      if (now.bytes() < held) {
        summary.problems.push_back(file.file_name + " (" + file.id +
                                   ") at the peer: it went back to byte " +
                                   std::to_string(now.bytes()) + " from " + std::to_string(held) +
                                   " a second time; not sent further this sync");
        return Status::Ok();
      }
      return Corruption("the peer takes no more of " + file.file_name + " at byte " +
                        std::to_string(held));
    }
    summary.bytes_sent += bytes->size();
    held = std::min(now.bytes(), file.size);
    Report(options, true, file, held);
    if (held == file.size) {
      summary.files_sent++;
      break;
    }
  }
  return Status::Ok();
}

}  // namespace

Status TransferFiles(Store& store, Transport& transport, const std::string& peer,
                     const FileTransferOptions& options, FileTransferSummary* out) {
  FileTransferSummary& summary = *out;
  ASSIGN_OR_RETURN(std::vector<AttachmentInfo> files, store.AllAttachments());

  // 1. What this node lacks, from the peer.
  size_t fetched = 0;
  for (const AttachmentInfo& file : files) {
    if (file.held) continue;
    if (file.size > store.max_attachment_bytes()) {
      summary.problems.push_back(file.file_name + " (" + file.id + ") is " +
                                 std::to_string(file.size) + " bytes, over this node's limit of " +
                                 std::to_string(store.max_attachment_bytes()));
      continue;
    }
    if (fetched++ >= options.max_files) {
      summary.files_missing++;
      continue;
    }
    RETURN_IF_ERROR(Fetch(store, transport, file, options, summary));
  }

  // 2. What the peer may lack, offered, then sent.
  std::vector<AttachmentInfo> offer;
  for (const AttachmentInfo& listed : files) {
    if (offer.size() >= options.max_files) break;
    AttachmentInfo file = listed;
    if (!file.held) {  // maybe fetched just now
      auto now = store.Attachment(file.id);
      if (!now.ok() || !now->held) continue;
      file = std::move(now).value();
    }
    // Never offered where its record may not go (a case's scan stays
    // with the case).
    ASSIGN_OR_RETURN(bool may, store.PeerMayHold(file.id, peer));
    if (may) offer.push_back(std::move(file));
  }
  for (size_t start = 0; start < offer.size(); start += kMaxFilesPerOffer) {
    size_t end = std::min(offer.size(), start + kMaxFilesPerOffer);
    wire::Envelope request;
    for (size_t i = start; i < end; ++i) {
      *request.mutable_file_offer()->add_files() = Describe(offer[i]);
    }
    auto reply = Exchange(transport, kOpFileOffer, request, store.node_id(),
                          wire::Envelope::kFileOfferReply);
    if (!reply.ok() && reply.status().code() == Code::kNotFound) {
      // A peer of a build without attachments answers 404: its records
      // are synced; it takes no files.
      summary.problems.push_back("the peer takes no files (" + reply.status().message() + ")");
      return Status::Ok();
    }
    if (!reply.ok()) return reply.status();
    const auto& held = reply->file_offer_reply().held();
    if (static_cast<size_t>(held.size()) != end - start) {
      return Corruption("the peer answered an offer of " + std::to_string(end - start) +
                        " files with " + std::to_string(held.size()));
    }
    for (size_t i = start; i < end; ++i) {
      const wire::FileHeld& h = held[static_cast<int>(i - start)];
      AttachmentInfo file = offer[i];
      file.held = true;
      if (!h.refused().empty()) {
        summary.problems.push_back(file.file_name + " (" + file.id +
                                   ") at the peer: " + h.refused());
        continue;
      }
      if (h.bytes() >= file.size) continue;  // it holds the file already
      RETURN_IF_ERROR(Send(store, transport, file, h.bytes(), options, summary));
    }
  }
  return Status::Ok();
}

}  // namespace accord::sync
