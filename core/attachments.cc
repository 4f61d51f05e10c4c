// Attachment records and their files (docs/attachments.md): which file a
// record references, whether it is held here, and who may have it.
#include <algorithm>
#include <charconv>
#include <filesystem>
#include <set>
#include <tuple>

#include "core/sha256.h"
#include "core/store.h"

namespace accord {

namespace {

constexpr std::string_view kAttachmentType = "attachment";
constexpr std::string_view kCaseAttachmentType = "case_attachment";

bool IsAttachmentType(std::string_view type) {
  return type == kAttachmentType || type == kCaseAttachmentType;
}

std::string ValueOf(const RecordView& view, const std::string& field) {
  const std::optional<std::string>* value = view.Value(field);
  return value && *value ? **value : "";
}

// A media type from the file name, for the few kinds offices exchange.
std::string GuessMediaType(const std::string& name) {
  std::string ext = std::filesystem::path(name).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext == ".pdf") return "application/pdf";
  if (ext == ".png") return "image/png";
  if (ext == ".jpg" || ext == ".jpeg") return "image/jpeg";
  if (ext == ".txt") return "text/plain";
  if (ext == ".docx")
    return "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
  if (ext == ".pptx")
    return "application/vnd.openxmlformats-officedocument.presentationml.presentation";
  if (ext == ".xlsx") return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  return "application/octet-stream";
}

// The ref field of an attachment type that names a record of `owner_type`.
std::string OwnerField(std::string_view attachment_type, std::string_view owner_type) {
  const TypeSpec* spec = Schema::Get().FindType(attachment_type);
  if (!spec) return "";
  for (const FieldSpec& f : spec->fields) {
    if (f.kind == FieldKind::kRef && f.ref_type == owner_type) return f.name;
  }
  return "";
}

}  // namespace

Result<AttachmentInfo> Store::AttachmentFromView(const RecordView& view) {
  AttachmentInfo info;
  info.id = view.id;
  info.type = view.type;
  const TypeSpec* spec = Schema::Get().FindType(view.type);
  for (const FieldSpec& f : spec->fields) {
    if (f.kind != FieldKind::kRef) continue;
    std::string owner = ValueOf(view, f.name);
    if (!owner.empty()) {
      info.owner_id = owner;
      info.owner_type = f.ref_type;
      break;
    }
  }
  info.sha256 = ValueOf(view, "sha256");
  std::string size = ValueOf(view, "size");
  auto [ptr, ec] = std::from_chars(size.data(), size.data() + size.size(), info.size);
  if (ec != std::errc() || ptr != size.data() + size.size() || !IsSha256Hex(info.sha256)) {
    return Corruption("attachment " + view.id + " names no valid file (sha256 '" + info.sha256 +
                      "', size '" + size + "')");
  }
  info.file_name = ValueOf(view, "file_name");
  info.media_type = ValueOf(view, "media_type");
  info.caption = ValueOf(view, "caption");
  info.sealed = cipher_.encrypted() && cipher_.IsPersonalType(view.type);
  if (info.sealed && !cipher_.unlocked()) return FailedPrecondition(cipher_.locked_message());
  ASSIGN_OR_RETURN(info.held, files_->Held(info.key()));
  if (!info.held) {
    ASSIGN_OR_RETURN(info.partial_bytes, files_->PartialBytes(info.key()));
  }
  return info;
}

Result<AttachmentInfo> Store::Attach(const NewAttachment& attachment,
                                     const std::vector<std::string>& protected_paths) {
  ASSIGN_OR_RETURN(RecordView owner, Get(attachment.owner_id));
  if (owner.deleted) return NotFound("record " + attachment.owner_id + " is deleted");
  const std::string type(IsPersonalType(owner.type) ? kCaseAttachmentType : kAttachmentType);
  std::vector<FieldWrite> refs;
  if (type == kCaseAttachmentType) {
    // A file of a case, or of a family tracing or review of it, belongs to
    // the case: its scope follows the case.
    std::string case_id = owner.type == "case" ? owner.id : ValueOf(owner, "case");
    if (case_id.empty()) {
      return InvalidArgument(owner.type + " " + owner.id + " names no case to attach the file to");
    }
    refs.push_back({"case", case_id});
    std::string field = OwnerField(type, owner.type);
    if (!field.empty() && field != "case") refs.push_back({field, owner.id});
  } else {
    std::string field = OwnerField(type, owner.type);
    if (field.empty()) {
      return InvalidArgument("a " + owner.type + " takes no attachments (files attach to a " +
                             "meeting, plan, activity, action item or case)");
    }
    refs.push_back({field, owner.id});
  }
  FileKey key;
  key.sealed = cipher_.encrypted() && cipher_.IsPersonalType(type);
  if (key.sealed && !cipher_.unlocked()) return FailedPrecondition(cipher_.locked_message());
  uint64_t size = 0;
  RETURN_IF_ERROR(
      files_->Import(attachment.path, options_.max_attachment_bytes, &key, &size, protected_paths));
  std::string name = attachment.file_name.empty()
                         ? std::filesystem::path(attachment.path).filename().string()
                         : attachment.file_name;
  RecordWrite write;
  write.type = type;
  write.writes = std::move(refs);
  write.writes.push_back({"sha256", key.sha256});
  write.writes.push_back({"size", std::to_string(size)});
  write.writes.push_back({"file_name", name});
  write.writes.push_back(
      {"media_type", attachment.media_type.empty() ? GuessMediaType(name) : attachment.media_type});
  if (!attachment.caption.empty()) write.writes.push_back({"caption", attachment.caption});
  ASSIGN_OR_RETURN(std::string id, Put(write));
  return Attachment(id);
}

Result<AttachmentInfo> Store::Attachment(std::string_view attachment_id) {
  ASSIGN_OR_RETURN(RecordView view, Get(attachment_id));
  if (!IsAttachmentType(view.type)) {
    return InvalidArgument("record " + std::string(attachment_id) + " is a " + view.type +
                           ", not an attachment");
  }
  if (view.deleted) return NotFound("attachment " + std::string(attachment_id) + " is deleted");
  return AttachmentFromView(view);
}

Result<std::vector<AttachmentInfo>> Store::Attachments(std::string_view record_id) {
  ASSIGN_OR_RETURN(std::optional<std::string> owner_type, RecordType(record_id));
  if (!owner_type) return NotFound("no record " + std::string(record_id));
  std::vector<AttachmentInfo> found;
  for (std::string_view type : {kAttachmentType, kCaseAttachmentType}) {
    std::string field = OwnerField(type, *owner_type);
    if (field.empty()) continue;
    if (cipher_.encrypted() && cipher_.IsPersonalType(type) && !cipher_.unlocked()) continue;
    ASSIGN_OR_RETURN(std::vector<RecordView> views,
                     List(type, FieldWrite{field, std::string(record_id)}));
    for (const RecordView& view : views) {
      auto info = AttachmentFromView(view);
      if (info.ok()) found.push_back(std::move(info).value());
    }
  }
  std::sort(found.begin(), found.end(), [](const AttachmentInfo& a, const AttachmentInfo& b) {
    return std::tie(a.file_name, a.id) < std::tie(b.file_name, b.id);
  });
  return found;
}

Result<std::vector<AttachmentInfo>> Store::AllAttachments() {
  std::vector<AttachmentInfo> found;
  for (std::string_view type : {kAttachmentType, kCaseAttachmentType}) {
    if (cipher_.encrypted() && cipher_.IsPersonalType(type) && !cipher_.unlocked()) continue;
    ASSIGN_OR_RETURN(std::vector<RecordView> views, List(type));
    for (const RecordView& view : views) {
      // A record that names no valid file (a peer's bad write) is skipped:
      // it has nothing to fetch or send.
      auto info = AttachmentFromView(view);
      if (info.ok()) found.push_back(std::move(info).value());
    }
  }
  return found;
}

Result<bool> Store::PeerMayHold(std::string_view record_id, std::string_view peer) {
  ASSIGN_OR_RETURN(std::optional<std::string> party, PartyOf(peer));
  if (!party) return false;  // a node of unknown party gets only what every node may hold
  ASSIGN_OR_RETURN(RecordScope scope, ScopeOf(record_id));
  return scope.Allows(*party);
}

Result<uint64_t> Store::ReceiveAttachment(const AttachmentInfo& attachment, uint64_t offset,
                                          std::string_view bytes) {
  if (attachment.size > options_.max_attachment_bytes) {
    return InvalidArgument("attachment " + attachment.id + " declares " +
                           std::to_string(attachment.size) + " bytes; this node takes files of " +
                           "at most " + std::to_string(options_.max_attachment_bytes) + " bytes");
  }
  auto held = files_->Receive(attachment.key(), attachment.size, offset, bytes);
  if (!held.ok()) return held.status().WithContext("attachment " + attachment.id + ": ");
  return held;
}

Result<std::string> Store::ReadAttachment(const AttachmentInfo& attachment, uint64_t offset,
                                          size_t max) {
  return files_->Read(attachment.key(), offset, max);
}

Result<std::string> Store::ReadWholeAttachment(const AttachmentInfo& attachment) {
  ASSIGN_OR_RETURN(std::string bytes, files_->Read(attachment.key(), 0, attachment.size));
  ASSIGN_OR_RETURN(std::string digest, Sha256Hex(bytes));
  RETURN_IF_ERROR(AttachmentFiles::CheckDigest(attachment.key(), digest)
                      .WithContext("attachment " + attachment.id + ": "));
  return bytes;
}

Result<size_t> Store::SweepAttachmentFiles() {
  if (cipher_.encrypted() && !cipher_.unlocked()) return size_t{0};
  ASSIGN_OR_RETURN(std::set<std::string> keep, AttachmentFilesInUse(true));
  return files_->RemoveAllBut(keep);
}

Result<std::set<std::string>> Store::AttachmentFilesInUse(bool with_personal) {
  std::set<std::string> keep;
  for (std::string_view type : {kAttachmentType, kCaseAttachmentType}) {
    if (!with_personal && IsPersonalType(type)) continue;
    ASSIGN_OR_RETURN(std::vector<RecordView> views, List(type));
    for (const RecordView& view : views) {
      // Every live value of the digest counts (a conflict keeps both files).
      const bool sealed = cipher_.encrypted() && cipher_.IsPersonalType(view.type);
      std::vector<std::string> digests = {ValueOf(view, "sha256")};
      if (auto c = view.conflicts.find("sha256"); c != view.conflicts.end()) {
        for (const FieldVersion& v : c->second) digests.push_back(v.value.value_or(""));
      }
      for (const std::string& sha : digests) {
        if (!IsSha256Hex(sha)) continue;
        ASSIGN_OR_RETURN(std::string name, files_->NameOf({sha, sealed}));
        keep.insert(std::move(name));
      }
    }
  }
  return keep;
}

Result<int64_t> Store::SealAttachmentFiles() {
  if (!cipher_.encrypted() || !cipher_.unlocked()) return int64_t{0};
  ASSIGN_OR_RETURN(std::vector<AttachmentInfo> live, AllAttachments());
  int64_t sealed = 0;
  for (const AttachmentInfo& a : live) {
    if (!a.sealed || a.held) continue;
    FileKey clear{a.sha256, false};
    ASSIGN_OR_RETURN(bool in_clear, files_->Held(clear));
    if (!in_clear) continue;
    uint64_t at = 0;
    do {
      ASSIGN_OR_RETURN(std::string piece, files_->Read(clear, at, size_t{1} << 20));
      ASSIGN_OR_RETURN(uint64_t now, files_->Receive(a.key(), a.size, at, piece));
      if (now <= at && now != a.size) {
        return Corruption("file " + a.sha256 + " is shorter than its record says");
      }
      at = now;
    } while (at < a.size);
    ++sealed;
  }
  // The clear copies go (a shared record's file of the same bytes stays).
  if (sealed > 0) RETURN_IF_ERROR(SweepAttachmentFiles().status());
  return sealed;
}

Status Store::SaveAttachment(std::string_view attachment_id, const std::string& out,
                             const std::vector<std::string>& protected_paths) {
  ASSIGN_OR_RETURN(AttachmentInfo info, Attachment(attachment_id));
  if (!info.held) {
    return NotFound("the file of attachment " + info.id + " (" + info.file_name +
                    ") is not held here yet: sync or apply a bundle first");
  }
  std::vector<std::string> never = protected_paths;
  never.push_back(files_->dir());
  return files_->Export(info.key(), out, never).WithContext("attachment " + info.id + ": ");
}

}  // namespace accord
