#include "sync/bundle.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "accord_bundle.pb.h"
#include "core/hex.h"
#include "core/node_id.h"
#include "core/output_file.h"
#include "sync/sha256.h"
#include "sync/wire_codec.h"

namespace accord::sync {

namespace {

constexpr char kMagic[8] = {'A', 'C', 'C', 'O', 'R', 'D', 'B', '1'};
constexpr uint32_t kMaxSection = 64u << 20;
constexpr char kSealContext[] = "accord-bundle-v1\n";

std::string U32(uint32_t n) {
  std::string out(4, '\0');
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return out;
}

// Writes sections and hashes everything written.
// The first failure (a full disk, a digest error) sticks and is reported by
// Digest() and Commit().
class BundleWriter {
 public:
  explicit BundleWriter(OutputFile out) : out_(std::move(out)), hash_(Sha256::Start()) {}
  void Raw(std::string_view data, bool hashed = true) {
    if (!status_.ok()) return;
    status_ = out_.Write(data);
    if (hashed && status_.ok()) status_ = hash_.ok() ? hash_->Update(data) : hash_.status();
  }
  void Section(std::string_view data, bool hashed = true) {
    Raw(U32(static_cast<uint32_t>(data.size())), hashed);
    Raw(data, hashed);
  }
  // The digest of everything hashed, or the first digest failure.
  Result<std::string> Digest() {
    if (!hash_.ok()) return hash_.status();
    RETURN_IF_ERROR(status_);
    return hash_->Finish();
  }
  Status Commit() {
    RETURN_IF_ERROR(status_);
    return out_.Commit();
  }
  uint64_t bytes() const { return out_.bytes_written(); }

 private:
  OutputFile out_;
  Result<Sha256> hash_;
  Status status_;
};

// Reads sections, hashing everything before the checksum.
class BundleScanner {
 public:
  explicit BundleScanner(const std::string& path)
      : in_(path, std::ios::binary), hash_(Sha256::Start()) {}
  bool ok() const { return static_cast<bool>(in_); }
  Result<std::string> Raw(size_t size, const char* what) {
    std::string data(size, '\0');
    in_.read(data.data(), static_cast<std::streamsize>(size));
    if (static_cast<size_t>(in_.gcount()) != size) {
      return Corruption(std::string("the file is truncated (in the ") + what + " at byte " +
                        std::to_string(offset_) + ")");
    }
    offset_ += size;
    if (hashing_) {
      if (!hash_.ok()) return hash_.status();
      RETURN_IF_ERROR(hash_->Update(data));
    }
    return data;
  }
  Result<uint32_t> Length(const char* what) {
    ASSIGN_OR_RETURN(std::string bytes, Raw(4, what));
    uint32_t n = 0;
    for (int i = 3; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
    if (n > kMaxSection) {
      return Corruption(std::string("the ") + what + " at byte " + std::to_string(offset_ - 4) +
                        " claims " + std::to_string(n) + " bytes, over the 64 MiB limit");
    }
    return n;
  }
  Result<std::string> Section(const char* what) {
    ASSIGN_OR_RETURN(uint32_t n, Length(what));
    return Raw(n, what);
  }
  Result<std::string> StopHashing() {
    hashing_ = false;
    if (!hash_.ok()) return hash_.status();
    return hash_->Finish();
  }
  bool AtEnd() { return in_.peek() == std::char_traits<char>::eof(); }
  uint64_t offset() const { return offset_; }

 private:
  std::ifstream in_;
  Result<Sha256> hash_;
  bool hashing_ = true;
  uint64_t offset_ = 0;
};

void Report(const BundleProgressFn& fn, uint64_t states, uint64_t total) {
  if (fn) fn({states, total});
}

Result<BundleInfo> WriteBundle(Store& store, const NodeSigner& signer, const std::string& path,
                               wire::BundleHeader header, const BundleCreateOptions& options,
                               bool with_changes) {
  if (!IsValidNodeId(header.receiver())) {
    return InvalidArgument("'" + header.receiver() + "' is not a node id");
  }
  if (header.receiver() == store.node_id())
    return InvalidArgument("a bundle for this node itself is pointless");
  if (signer.node_id() != store.node_id()) {
    return FailedPrecondition("the certificate names " + signer.node_id() + " but this node is " +
                              store.node_id());
  }
  header.set_format_version(kBundleFormatVersion);
  header.set_sender(store.node_id());
  header.set_created_ms(store.NowMs());
  ASSIGN_OR_RETURN(OutputFile out, OutputFile::Create(path, options.protected_paths));
  BundleWriter writer(std::move(out));
  writer.Raw(std::string_view(kMagic, sizeof kMagic));
  writer.Section(header.SerializeAsString());

  ASSIGN_OR_RETURN(VersionVector base, FromWire(header.base_knowledge()));
  wire::BundleSummary summary;
  if (with_changes) {
    // Stream the change log in chunks: memory holds one chunk at a time.
    uint64_t cursor = 0;
    while (true) {
      ASSIGN_OR_RETURN(ChangePage page, store.ReadChanges(cursor, options.chunk_states, base));
      if (!page.states.empty()) {
        wire::ChangeSet set;
        for (const auto& v : page.states) {
          ToWire(v, set.add_states());
          (*summary.mutable_states_per_type())[v.record_type]++;
        }
        ASSIGN_OR_RETURN(std::string compressed, Compress(set.SerializeAsString()));
        writer.Section(compressed);
        summary.set_states(summary.states() + page.states.size());
        summary.set_chunks(summary.chunks() + 1);
        Report(options.on_progress, summary.states(), 0);
      }
      cursor = page.next_cursor;
      if (page.done) {
        ToWire(page.knowledge, summary.mutable_sender_knowledge());
        break;
      }
    }
  } else {
    ASSIGN_OR_RETURN(VersionVector knowledge, store.Knowledge());
    ToWire(knowledge, summary.mutable_sender_knowledge());
  }
  writer.Raw(U32(0));
  writer.Section(summary.SerializeAsString());
  ASSIGN_OR_RETURN(std::string digest, writer.Digest());
  writer.Raw(digest, false);
  wire::BundleSeal seal;
  ASSIGN_OR_RETURN(std::string signature, signer.Sign(kSealContext + HexEncode(digest)));
  seal.set_signature(signature);
  seal.set_certificate_pem(signer.cert_pem());
  writer.Section(seal.SerializeAsString(), false);
  uint64_t bytes = writer.bytes();
  RETURN_IF_ERROR(writer.Commit());

  BundleInfo info;
  info.format_version = kBundleFormatVersion;
  info.is_ack = header.kind() == wire::BundleHeader::ACK;
  info.sender = header.sender();
  info.receiver = header.receiver();
  info.created_ms = header.created_ms();
  info.from_scratch = header.from_scratch();
  info.base_knowledge = base;
  ASSIGN_OR_RETURN(info.sender_knowledge, FromWire(summary.sender_knowledge()));
  info.states = summary.states();
  info.chunks = summary.chunks();
  for (const auto& [type, n] : summary.states_per_type()) info.states_per_type[type] = n;
  info.file_bytes = bytes;
  info.checksum_hex = HexEncode(digest);
  return info;
}

// What a pass over the file does with its chunks. A chunk not decoded is
// still read and hashed (the file's checksum covers it) but costs no
// decompression.
struct ChunkHooks {
  // Whether to decode chunk `index` (from 0); every chunk when unset.
  std::function<bool(uint64_t index)> decode;
  // Each chunk in order: its bytes as stored, and its states when decoded.
  std::function<Status(uint64_t index, std::string_view stored, std::vector<FieldVersion>* states)>
      on_chunk;
};

// Reads the file start to end. With every chunk decoded (the default), it
// also checks the summary's state count against the chunks.
Result<BundleInfo> ScanBundle(const std::string& path, const PeerVerifier* verifier,
                              Status* verify_error, const ChunkHooks& hooks = {}) {
  BundleScanner scan(path);
  if (!scan.ok()) return NotFound("cannot read " + path);
  BundleInfo info;
  ASSIGN_OR_RETURN(std::string magic, scan.Raw(sizeof kMagic, "magic"));
  if (magic != std::string_view(kMagic, sizeof kMagic)) {
    return Corruption(path + " is not an Accord bundle (no ACCORDB1 magic)");
  }
  ASSIGN_OR_RETURN(std::string header_bytes, scan.Section("header"));
  wire::BundleHeader header;
  if (!header.ParseFromString(header_bytes)) return Corruption("the bundle header is damaged");
  if (header.format_version() > kBundleFormatVersion) {
    return IncompatibleVersion(
        "the bundle has format version " + std::to_string(header.format_version()) +
        "; this accord reads up to " + std::to_string(kBundleFormatVersion) + ": upgrade accord");
  }
  info.format_version = header.format_version();
  info.is_ack = header.kind() == wire::BundleHeader::ACK;
  info.sender = header.sender();
  info.receiver = header.receiver();
  info.created_ms = header.created_ms();
  info.from_scratch = header.from_scratch();
  ASSIGN_OR_RETURN(info.base_knowledge, FromWire(header.base_knowledge()));
  bool decoded_all = true;
  while (true) {
    ASSIGN_OR_RETURN(std::string chunk, scan.Section("chunk"));
    if (chunk.empty()) break;
    uint64_t index = info.chunks++;
    if (hooks.decode && !hooks.decode(index)) {
      decoded_all = false;
      if (hooks.on_chunk) RETURN_IF_ERROR(hooks.on_chunk(index, chunk, nullptr));
      continue;
    }
    ASSIGN_OR_RETURN(std::string raw, Decompress(chunk, kMaxSection));
    wire::ChangeSet set;
    if (!set.ParseFromString(raw))
      return Corruption("chunk " + std::to_string(index + 1) + " is damaged");
    std::vector<FieldVersion> states;
    states.reserve(set.states_size());
    for (const auto& s : set.states()) {
      ASSIGN_OR_RETURN(FieldVersion v, FromWire(s));
      info.states_per_type[v.record_type]++;
      states.push_back(std::move(v));
    }
    info.states += states.size();
    if (hooks.on_chunk) RETURN_IF_ERROR(hooks.on_chunk(index, chunk, &states));
  }
  ASSIGN_OR_RETURN(std::string summary_bytes, scan.Section("summary"));
  wire::BundleSummary summary;
  if (!summary.ParseFromString(summary_bytes)) return Corruption("the bundle summary is damaged");
  ASSIGN_OR_RETURN(info.sender_knowledge, FromWire(summary.sender_knowledge()));
  ASSIGN_OR_RETURN(std::string computed, scan.StopHashing());
  ASSIGN_OR_RETURN(std::string stored, scan.Raw(32, "checksum"));
  info.checksum_hex = HexEncode(stored);
  ASSIGN_OR_RETURN(std::string seal_bytes, scan.Section("seal"));
  info.file_bytes = scan.offset();
  if (!scan.AtEnd()) return Corruption("unexpected bytes after the end of the bundle");
  if (stored != computed)
    return Corruption("the checksum does not match: the file was damaged or altered");
  if ((decoded_all && summary.states() != info.states) || summary.chunks() != info.chunks) {
    return Corruption("the summary does not match the chunks");
  }
  wire::BundleSeal seal;
  if (!seal.ParseFromString(seal_bytes)) return Corruption("the bundle seal is damaged");
  Status verified = Status::Ok();
  if (verifier) {
    auto signer = verifier->VerifySigned(seal.certificate_pem(), kSealContext + info.checksum_hex,
                                         seal.signature(), info.sender);
    if (!signer.ok())
      verified =
          PermissionDenied("the bundle's signature does not verify: " + signer.status().message());
  } else {
    verified = FailedPrecondition("no deployment CA to verify the signature against");
  }
  if (verify_error) *verify_error = verified;
  return info;
}

// A bundle or acknowledgement says what its sender held when it wrote it.
// Files arrive late and out of order, so this only ever adds to what this
// node believed; the next bundle to the sender leaves all of it out.
Status LearnWhatSenderHolds(Store& store, const BundleInfo& info) {
  ASSIGN_OR_RETURN(PeerInfo peer, store.GetPeer(info.sender));
  VersionVector held = peer.their_knowledge;
  held.MergeFrom(info.sender_knowledge);
  return store.RecordPeerContact(info.sender, held);
}

}  // namespace

Result<BundleInfo> CreateBundle(Store& store, const NodeSigner& signer, const std::string& path,
                                const BundleCreateOptions& options) {
  wire::BundleHeader header;
  header.set_kind(wire::BundleHeader::CHANGES);
  header.set_receiver(options.receiver);
  header.set_from_scratch(options.from_scratch);
  if (!options.from_scratch) {
    ASSIGN_OR_RETURN(PeerInfo peer, store.GetPeer(options.receiver));
    ToWire(peer.their_knowledge, header.mutable_base_knowledge());
  }
  return WriteBundle(store, signer, path, std::move(header), options, /*with_changes=*/true);
}

Result<BundleInfo> CreateAck(Store& store, const NodeSigner& signer, const std::string& path,
                             const BundleCreateOptions& options) {
  wire::BundleHeader header;
  header.set_kind(wire::BundleHeader::ACK);
  header.set_receiver(options.receiver);
  return WriteBundle(store, signer, path, std::move(header), options, /*with_changes=*/false);
}

Result<BundleInfo> InspectBundle(const std::string& path, const PeerVerifier* verifier,
                                 Status* verify_error) {
  return ScanBundle(path, verifier, verify_error);
}

namespace {

// What pass 1 saw of a chunk: pass 2 applies a chunk only if its bytes are
// the ones verified, since chunks commit before pass 2 reaches the checksum.
struct VerifiedChunk {
  std::string digest;  // SHA-256 of the chunk as stored
  uint64_t states = 0;
};

// Pass 2: every chunk not yet in, one transaction each.
Status ApplyChunks(Store& store, const PeerVerifier& verifier, const std::string& path,
                   const BundleInfo& info, const std::vector<VerifiedChunk>& verified,
                   uint64_t resume_at, const BundleProgressFn& on_progress,
                   const std::function<bool(uint64_t)>& interrupt, BundleApplyResult& result) {
  uint64_t done_states = 0;
  ChunkHooks hooks;
  hooks.decode = [&](uint64_t index) { return index >= resume_at; };
  hooks.on_chunk = [&](uint64_t index, std::string_view stored,
                       std::vector<FieldVersion>* states) -> Status {
    auto where = [&] {
      return "chunk " + std::to_string(index + 1) + " of " + std::to_string(info.chunks) + ": ";
    };
    ASSIGN_OR_RETURN(std::string digest, Sha256Of(stored));
    if (index >= verified.size() || digest != verified[index].digest) {
      return Corruption(where() + "the file changed since it was verified; " +
                        std::to_string(index) + " chunk(s) are in, the rest is not applied");
    }
    // A chunk that cannot go in (the lock not had within the busy timeout, a
    // state the store refuses) stops the apply there, earlier chunks kept.
    auto stopped = [&](const Status& st) {
      return Status(st.code(), where() + st.message() + "; the chunks before it are in: apply " +
                                   "the file again to resume");
    };
    bool mine = false;
    if (states) {
      auto batch = store.BeginRemoteBatch(info.sender);
      if (!batch.ok()) return stopped(batch.status());
      ASSIGN_OR_RETURN(mine, (*batch)->ClaimBundleChunk(info.checksum_hex, index));
      if (mine) {
        Status added = (*batch)->Add(*states);
        if (!added.ok()) return stopped(added);
        ASSIGN_OR_RETURN(ApplyResult applied, (*batch)->Commit());
        result.applied.received += applied.received;
        result.applied.applied += applied.applied;
        result.applied.unchanged += applied.unchanged;
        result.applied.new_conflicts += applied.new_conflicts;
      }
    }
    if (!mine) {  // committed by an earlier (or a concurrent) apply of this file
      result.chunks_resumed++;
      result.states_resumed += verified[index].states;
    }
    done_states += verified[index].states;
    Report(on_progress, done_states, info.states);
    if (interrupt && index + 1 < info.chunks && interrupt(index + 1)) {
      return Unavailable("interrupted after chunk " + std::to_string(index + 1) + " of " +
                         std::to_string(info.chunks) + "; apply the file again to resume");
    }
    return Status::Ok();
  };
  Status again;
  ASSIGN_OR_RETURN(BundleInfo second, ScanBundle(path, &verifier, &again, hooks));
  RETURN_IF_ERROR(again);
  if (second.checksum_hex != info.checksum_hex) {
    return Corruption(
        "the file changed while it was being applied; its chunks are in, "
        "but not the sender's knowledge");
  }
  return Status::Ok();
}

}  // namespace

Result<BundleApplyResult> ApplyBundle(Store& store, const PeerVerifier& verifier,
                                      const std::string& path, BundleProgressFn on_progress,
                                      const std::function<bool(uint64_t)>& interrupt) {
  // Pass 1: nothing is touched until the whole file verifies.
  std::vector<VerifiedChunk> verified;
  ChunkHooks note;
  note.on_chunk = [&](uint64_t, std::string_view stored, std::vector<FieldVersion>* states) {
    auto digest = Sha256Of(stored);
    if (!digest.ok()) return digest.status();
    verified.push_back({std::move(digest).value(), states->size()});
    return Status::Ok();
  };
  auto nothing_applied = [](const Status& st) {
    return Status(st.code(), st.message() + "; nothing applied");
  };
  Status verify_error;
  auto scanned = ScanBundle(path, &verifier, &verify_error, note);
  if (!scanned.ok()) return nothing_applied(scanned.status());
  if (!verify_error.ok()) return nothing_applied(verify_error);
  BundleInfo info = std::move(scanned).value();
  if (info.receiver != store.node_id()) {
    return PermissionDenied("the bundle is meant for " + info.receiver + ", not for this node (" +
                            store.node_id() + "); nothing applied");
  }
  if (info.sender == store.node_id())
    return PermissionDenied("the bundle was written by this node itself; nothing applied");
  BundleApplyResult result;
  if (info.is_ack) {
    RETURN_IF_ERROR(LearnWhatSenderHolds(store, info));
    result.info = std::move(info);
    return result;
  }
  // Pass 2: a chunk per transaction, each recording how far the file got, so
  // officers' writes wait at most one chunk and a killed apply resumes.
  ASSIGN_OR_RETURN(uint64_t resume_at, store.BundleChunksApplied(info.checksum_hex));
  RETURN_IF_ERROR(ApplyChunks(store, verifier, path, info, verified, resume_at, on_progress,
                              interrupt, result));
  // Last, with every chunk in: the bundle left out what the sender believed
  // this node held, so only if that belief is true does this node now hold
  // all the sender held.
  ASSIGN_OR_RETURN(auto batch, store.BeginRemoteBatch(info.sender));
  ASSIGN_OR_RETURN(VersionVector mine, store.Knowledge());
  if (info.base_knowledge.DominatedByOrEqual(mine) || info.from_scratch) {
    RETURN_IF_ERROR(batch->MergeKnowledge(info.sender_knowledge));
    result.knowledge_merged = true;
  }
  RETURN_IF_ERROR(batch->FinishBundle(info.checksum_hex));
  ASSIGN_OR_RETURN(ApplyResult last, batch->Commit());
  (void)last;
  // The changes are in; failing to note what the sender holds only makes the
  // next bundle to it larger, so it must not report the apply as failed.
  result.sender_noted = LearnWhatSenderHolds(store, info).ok();
  result.info = std::move(info);
  return result;
}

}  // namespace accord::sync
