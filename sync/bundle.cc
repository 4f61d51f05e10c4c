#include "sync/bundle.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <set>

#include "accord_bundle.pb.h"
#include "core/hex.h"
#include "core/node_id.h"
#include "core/output_file.h"
#include "core/sha256.h"
#include "core/time_format.h"
#include "sync/bundle_cipher.h"
#include "sync/signed_changes.h"
#include "sync/signed_policy.h"
#include "sync/wire_codec.h"
#include "sync/wire_scan.h"

namespace accord::sync {

namespace {

constexpr char kMagic[8] = {'A', 'C', 'C', 'O', 'R', 'D', 'B', '1'};
constexpr uint32_t kMaxSection = 64u << 20;
// Header, summary and seal are small; read whole, they are bounded tighter.
constexpr uint32_t kMaxSmallSection = 1u << 20;
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
      : in_(path, std::ios::binary), hash_(Sha256::Start()) {
    // Unknown (a pipe, say): every claim up to the section limits is read.
    if (in_.seekg(0, std::ios::end)) {
      std::streamoff end = in_.tellg();
      if (end >= 0) file_size_ = static_cast<uint64_t>(end);
    }
    in_.clear();
    in_.seekg(0);
  }
  bool ok() const { return static_cast<bool>(in_); }
  Result<std::string> Raw(size_t size, const char* what) {
    // What a length claims is checked against what the file holds before
    // anything is allocated for it.
    if (size > file_size_ - std::min(offset_, file_size_)) {
      return Corruption(std::string("the file is truncated (in the ") + what + " at byte " +
                        std::to_string(offset_) + ": " + std::to_string(size) + " bytes claimed, " +
                        std::to_string(file_size_ - offset_) + " left)");
    }
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
  Result<uint32_t> Length(const char* what, uint32_t max) {
    ASSIGN_OR_RETURN(std::string bytes, Raw(4, what));
    uint32_t n = 0;
    for (int i = 3; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[i]);
    if (n > max) {
      return Corruption(std::string("the ") + what + " at byte " + std::to_string(offset_ - 4) +
                        " claims " + std::to_string(n) + " bytes, over the limit of " +
                        std::to_string(max));
    }
    return n;
  }
  Result<std::string> Section(const char* what, uint32_t max = kMaxSection) {
    ASSIGN_OR_RETURN(uint32_t n, Length(what, max));
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
  uint64_t file_size_ = std::numeric_limits<uint64_t>::max();
};

void Report(const BundleProgressFn& fn, uint64_t states, uint64_t total) {
  if (fn) fn({states, total, "", 0, 0});
}

// The key a bundle for `receiver` is encrypted with, or none when no key of
// the receiver can be trusted here.
Result<std::optional<BundleCipher>> CipherFor(Store& store, const std::string& receiver,
                                              const BundleCreateOptions& options) {
  const bool given = !options.receiver_cert_pem.empty();
  std::vector<std::string> pems;
  if (given) {
    pems.push_back(options.receiver_cert_pem);
  } else {
    ASSIGN_OR_RETURN(pems, store.CertificatesOf(receiver));
  }
  if (pems.empty()) return std::optional<BundleCipher>();
  if (!options.verifier) {
    if (given) return InvalidArgument("no deployment CA to check the receiver's certificate");
    return std::optional<BundleCipher>();
  }
  std::vector<OriginKey> keys;
  for (const std::string& pem : pems) {
    auto key = options.verifier->VerifyOriginCertificate(pem);
    if (key.ok() && key->node_id() != receiver) {
      key = PermissionDenied("the certificate names " + key->node_id() + ", not " + receiver);
    }
    if (!key.ok()) {
      // A certificate given for the receiver must be right; one kept here
      // that no longer verifies (revoked) is passed over.
      if (given) return key.status().WithContext("the receiver's certificate: ");
      continue;
    }
    bool seen = false;
    for (const OriginKey& k : keys) seen = seen || k.key_id() == key->key_id();
    if (!seen) keys.push_back(std::move(key).value());
  }
  if (keys.empty()) return std::optional<BundleCipher>();
  if (keys.size() > 1) {
    return FailedPrecondition(std::to_string(keys.size()) + " keys of " + receiver +
                              " are known here (it was re-keyed): give its current certificate "
                              "(--receiver-cert, its tls/node.pem)");
  }
  ASSIGN_OR_RETURN(BundleCipher cipher, BundleCipher::ForReceiver(keys.front()));
  return std::optional<BundleCipher>(std::move(cipher));
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
  // Changes are encrypted for the receiver whenever a key of it is known.
  std::optional<BundleCipher> cipher;
  if (with_changes) {
    ASSIGN_OR_RETURN(cipher, CipherFor(store, header.receiver(), options));
  }
  if (cipher) {
    header.set_ephemeral_public_key(cipher->ephemeral_public_der());
    header.set_receiver_key_id(cipher->receiver_key_id());
  }
  header.set_format_version(cipher ? kBundleFormatVersion : kClearBundleFormatVersion);
  header.set_sender(store.node_id());
  header.set_created_ms(store.NowMs());
  // The receiver takes this node's policy if it is newer than its own; what
  // the chunks carry is judged for the version it was last known to hold.
  ASSIGN_OR_RETURN(HeldPolicy policy, store.CurrentPolicy());
  header.set_policy_version(static_cast<uint32_t>(policy.policy.version));
  header.set_signed_policy(policy.signed_text);
  // Purge orders travel with every bundle, acknowledgements too: a record
  // erased here is erased there before any chunk is applied.
  ASSIGN_OR_RETURN(std::vector<std::string> orders, PurgeOrdersToSend(store, header.receiver()));
  for (std::string& o : orders) header.add_purge_orders(std::move(o));
  // What this node has applied when it writes: a receiver that collected an
  // order this lacks refuses the file (docs/security.md, "Collecting tombstones").
  RETURN_IF_ERROR(PurgeVectorsToWire(store, header.mutable_purge_orders_applied(),
                                     header.mutable_purge_collected()));
  ASSIGN_OR_RETURN(std::vector<PurgeAck> acks, PurgeAcksToSend(store, signer, header.receiver()));
  for (PurgeAck& a : acks) header.add_purge_acks(std::move(a.signed_bytes));
  RETURN_IF_ERROR(store.NoteKnownNode(header.receiver()));
  ASSIGN_OR_RETURN(OutputFile out, OutputFile::Create(path, options.protected_paths));
  BundleWriter writer(std::move(out));
  writer.Raw(std::string_view(kMagic, sizeof kMagic));
  writer.Section(header.SerializeAsString());

  ASSIGN_OR_RETURN(VersionVector base, FromWire(header.base_knowledge()));
  wire::BundleSummary summary;
  BundleFilesWritten files_written;
  if (with_changes) {
    // This node's own writes are signed before they first leave it.
    RETURN_IF_ERROR(SealPendingWrites(store, signer));
    // Only what the receiver's party may hold (docs/sharing.md); a bundle
    // from scratch also carries what the receiver itself sent.
    PageReader reader = ReaderFor(store, header.receiver());
    if (options.from_scratch) reader.node_id.clear();
    // Stream the change log in chunks: memory holds one chunk at a time.
    uint64_t cursor = 0;
    std::set<std::string> attachments;  // whose files follow the states
    while (true) {
      ASSIGN_OR_RETURN(ChangePage page, ReadSealedChanges(store, signer, cursor,
                                                          options.chunk_states, base, reader));
      if (!page.states.empty() || !page.left_scope.empty() || page.done) {
        wire::SignedChanges chunk;
        // The last chunk also proves the knowledge the summary vouches for.
        RETURN_IF_ERROR(
            ProveStates(store, page.states, base, page.done ? &page.knowledge : nullptr, &chunk));
        AddScopeExits(page.left_scope, &chunk);
        if (chunk.states_size() > 0 || chunk.units_size() > 0 || chunk.scope_exits_size() > 0) {
          for (const auto& v : page.states) {
            // Personal data never travels in clear on a file.
            if (!cipher && store.IsPersonalType(v.record_type)) {
              return FailedPrecondition(
                  "the bundle would carry personal data (" + v.record_type + " " + v.record_id +
                  ") and no key of " + header.receiver() +
                  " is known here to encrypt it for: give its certificate (--receiver-cert, its "
                  "tls/node.pem); nothing written");
            }
            (*summary.mutable_states_per_type())[v.record_type]++;
            if (v.record_type == "attachment" || v.record_type == "case_attachment") {
              attachments.insert(v.record_id);
            }
          }
          ASSIGN_OR_RETURN(std::string stored, Compress(chunk.SerializeAsString()));
          if (cipher) {
            ASSIGN_OR_RETURN(stored, cipher->Seal(summary.chunks(), stored));
          }
          writer.Section(stored);
          summary.set_states(summary.states() + page.states.size());
          summary.set_chunks(summary.chunks() + 1);
          Report(options.on_progress, summary.states(), 0);
        }
      }
      cursor = page.next_cursor;
      if (page.done) {
        ToWire(page.knowledge, summary.mutable_sender_knowledge());
        break;
      }
    }
    // The files of the attachments it carries, after every state: in the
    // receiver's scope by construction (their records are), encrypted
    // with the chunks.
    auto emit = [&](wire::SignedChanges& chunk) -> Status {
      ASSIGN_OR_RETURN(std::string stored, Compress(chunk.SerializeAsString()));
      if (cipher) {
        ASSIGN_OR_RETURN(stored, cipher->Seal(summary.chunks(), stored));
      }
      writer.Section(stored);
      summary.set_chunks(summary.chunks() + 1);
      return Status::Ok();
    };
    auto file_progress = [&](const BundleFileProgress& p) {
      if (options.on_progress) {
        options.on_progress({summary.states(), 0, p.file_name, p.bytes, p.total});
      }
    };
    ASSIGN_OR_RETURN(files_written,
                     WriteFileChunks(store, attachments, cipher.has_value(), emit, file_progress));
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
  info.format_version = header.format_version();
  info.encrypted = cipher.has_value();
  info.receiver_key_id = header.receiver_key_id();
  info.is_ack = header.kind() == wire::BundleHeader::ACK;
  info.sender = header.sender();
  info.receiver = header.receiver();
  info.created_ms = header.created_ms();
  info.from_scratch = header.from_scratch();
  info.policy_version = PolicyVersionOf(header.policy_version());
  info.base_knowledge = base;
  ASSIGN_OR_RETURN(info.sender_knowledge, FromWire(summary.sender_knowledge()));
  info.states = summary.states();
  info.chunks = summary.chunks();
  for (const auto& [type, n] : summary.states_per_type()) info.states_per_type[type] = n;
  info.file_bytes = bytes;
  info.checksum_hex = HexEncode(digest);
  info.attachment_files = files_written.files;
  info.attachment_bytes = files_written.bytes;
  return info;
}

// Pass 1: the file as bytes. Nothing in it is decompressed or parsed before
// its seal verifies (a bomb of a few kilobytes cost 14 s and 3.3 GB when
// chunks were decoded first); the seal itself is the one thing parsed, and
// it is small.
struct VerifiedFile {
  BundleInfo info;
  std::vector<std::string> chunk_digests;  // SHA-256 of each chunk as stored
  std::string sender_certificate_pem;      // the seal's, verified
  std::string ephemeral_public_der;        // format 4: the sender's half of the key
};

Result<VerifiedFile> VerifyFile(const std::string& path, const PeerVerifier* verifier) {
  BundleScanner scan(path);
  if (!scan.ok()) return NotFound("cannot read " + path);
  ASSIGN_OR_RETURN(std::string magic, scan.Raw(sizeof kMagic, "magic"));
  if (magic != std::string_view(kMagic, sizeof kMagic)) {
    return Corruption(path + " is not an Accord bundle (no ACCORDB1 magic)");
  }
  ASSIGN_OR_RETURN(std::string header_bytes, scan.Section("header", kMaxSmallSection));
  VerifiedFile file;
  while (true) {
    ASSIGN_OR_RETURN(std::string chunk, scan.Section("chunk"));
    if (chunk.empty()) break;
    ASSIGN_OR_RETURN(std::string digest, Sha256Of(chunk));
    file.chunk_digests.push_back(std::move(digest));
  }
  ASSIGN_OR_RETURN(std::string summary_bytes, scan.Section("summary", kMaxSmallSection));
  ASSIGN_OR_RETURN(std::string computed, scan.StopHashing());
  ASSIGN_OR_RETURN(std::string stored, scan.Raw(32, "checksum"));
  ASSIGN_OR_RETURN(std::string seal_bytes, scan.Section("seal", kMaxSmallSection));
  BundleInfo& info = file.info;
  info.file_bytes = scan.offset();
  info.checksum_hex = HexEncode(stored);
  info.chunks = file.chunk_digests.size();
  if (!scan.AtEnd()) return Corruption("unexpected bytes after the end of the bundle");
  if (stored != computed)
    return Corruption("the checksum does not match: the file was damaged or altered");
  if (!verifier) return FailedPrecondition("no deployment CA to verify the signature against");
  wire::BundleSeal seal;
  if (!seal.ParseFromString(seal_bytes)) return Corruption("the bundle seal is damaged");
  auto signer = verifier->VerifyCertificate(seal.certificate_pem());
  Status signed_ok =
      signer.ok() ? verifier->VerifySignature(seal.certificate_pem(),
                                              kSealContext + info.checksum_hex, seal.signature())
                  : signer.status();
  if (!signed_ok.ok()) {
    return PermissionDenied("the bundle's signature does not verify: " + signed_ok.message());
  }
  file.sender_certificate_pem = seal.certificate_pem();
  // Verified: what the sender wrote may now be read.
  wire::BundleHeader header;
  if (!header.ParseFromString(header_bytes)) return Corruption("the bundle header is damaged");
  if (header.sender() != *signer) {
    return PermissionDenied("the bundle claims to come from " + header.sender() +
                            " but is signed by " + *signer);
  }
  info.format_version = header.format_version();
  if (info.format_version < kMinBundleFormatVersion) {
    return IncompatibleVersion("the bundle has format version " +
                               std::to_string(info.format_version) +
                               ", whose states are not signed by their origin; this accord reads " +
                               std::to_string(kMinBundleFormatVersion) + " to " +
                               std::to_string(kBundleFormatVersion) + ": the sender must upgrade");
  }
  if (info.format_version > kBundleFormatVersion) {
    return IncompatibleVersion("the bundle has format version " +
                               std::to_string(info.format_version) + "; this accord reads up to " +
                               std::to_string(kBundleFormatVersion) + ": upgrade accord");
  }
  info.is_ack = header.kind() == wire::BundleHeader::ACK;
  info.sender = header.sender();
  info.receiver = header.receiver();
  info.created_ms = header.created_ms();
  info.from_scratch = header.from_scratch();
  info.policy_version = PolicyVersionOf(header.policy_version());
  info.signed_policy = header.signed_policy();
  info.purge_orders.assign(header.purge_orders().begin(), header.purge_orders().end());
  ASSIGN_OR_RETURN(info.purge_orders_applied, FromWire(header.purge_orders_applied()));
  ASSIGN_OR_RETURN(info.purge_collected, FromWire(header.purge_collected()));
  info.purge_acks.assign(header.purge_acks().begin(), header.purge_acks().end());
  // Format 4 changes are encrypted, and only they.
  info.encrypted = !header.ephemeral_public_key().empty() || !header.receiver_key_id().empty();
  const bool should_be = info.format_version >= 4 && !info.is_ack;
  if (info.encrypted != should_be || (info.encrypted && (header.ephemeral_public_key().empty() ||
                                                         header.receiver_key_id().size() != 32))) {
    return Corruption("the bundle's encryption fields do not fit its format version " +
                      std::to_string(info.format_version));
  }
  info.receiver_key_id = header.receiver_key_id();
  file.ephemeral_public_der = header.ephemeral_public_key();
  ASSIGN_OR_RETURN(info.base_knowledge, FromWire(header.base_knowledge()));
  wire::BundleSummary summary;
  if (!summary.ParseFromString(summary_bytes)) return Corruption("the bundle summary is damaged");
  ASSIGN_OR_RETURN(info.sender_knowledge, FromWire(summary.sender_knowledge()));
  if (summary.chunks() != info.chunks) return Corruption("the summary does not match the chunks");
  info.states = summary.states();
  for (const auto& [type, n] : summary.states_per_type()) info.states_per_type[type] = n;
  return file;
}

// A chunk's bytes as changes: decompressed within the frame limit, its counts
// checked before it is parsed.
Result<wire::SignedChanges> DecodeChunk(std::string_view stored, uint64_t index) {
  auto where = "chunk " + std::to_string(index + 1) + ": ";
  auto raw = Decompress(stored, kMaxFrameBytes);
  if (!raw.ok()) return raw.status().WithContext(where);
  Status bounded = CheckChangesBounds(*raw);
  if (!bounded.ok()) return bounded.WithContext(where);
  wire::SignedChanges changes;
  if (!changes.ParseFromString(*raw)) return Corruption(where + "damaged");
  return changes;
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

void Accumulate(ApplyResult& total, ApplyResult part) {
  total.received += part.received;
  total.applied += part.applied;
  total.unchanged += part.unchanged;
  total.new_conflicts += part.new_conflicts;
  std::move(part.refused.begin(), part.refused.end(), std::back_inserter(total.refused));
  std::move(part.disbelieved.begin(), part.disbelieved.end(),
            std::back_inserter(total.disbelieved));
  std::move(part.purged.begin(), part.purged.end(), std::back_inserter(total.purged));
  std::move(part.notices_ignored.begin(), part.notices_ignored.end(),
            std::back_inserter(total.notices_ignored));
  std::move(part.warnings.begin(), part.warnings.end(), std::back_inserter(total.warnings));
}

// Pass 2: every chunk not yet in, one transaction each. A chunk is applied
// only if its bytes are the ones verified: chunks commit before this pass
// could reach the checksum again.
Status ApplyChunks(Store& store, const PeerVerifier& verifier, const std::string& path,
                   const VerifiedFile& file, const BundleCipher* cipher, uint64_t resume_at,
                   const BundleProgressFn& on_progress,
                   const std::function<bool(uint64_t)>& interrupt, BundleApplyResult& result) {
  const BundleInfo& info = file.info;
  BundleScanner scan(path);
  if (!scan.ok()) return NotFound("cannot read " + path);
  ASSIGN_OR_RETURN(std::string magic, scan.Raw(sizeof kMagic, "magic"));
  ASSIGN_OR_RETURN(std::string header, scan.Section("header"));
  (void)magic;
  (void)header;
  uint64_t done_states = 0;
  for (uint64_t index = 0; index < info.chunks; ++index) {
    auto where = [&] {
      return "chunk " + std::to_string(index + 1) + " of " + std::to_string(info.chunks) + ": ";
    };
    ASSIGN_OR_RETURN(std::string stored, scan.Section("chunk"));
    ASSIGN_OR_RETURN(std::string digest, Sha256Of(stored));
    if (stored.empty() || digest != file.chunk_digests[index]) {
      return Corruption(where() + "the file changed since it was verified; " +
                        std::to_string(index) + " chunk(s) are in, the rest is not applied");
    }
    // An encrypted chunk is opened first; one that does not open with this
    // node's key was not written for it.
    if (cipher) {
      auto opened = cipher->Open(index, stored);
      if (!opened.ok()) {
        return Status(opened.status().code(), where() + opened.status().message() + "; " +
                                                  std::to_string(index) +
                                                  " chunk(s) are in, the rest is not applied");
      }
      stored = std::move(opened).value();
    }
    if (index < resume_at) {  // committed by an earlier apply of this file
      result.chunks_resumed++;
      // Counted without parsing: only the states' tags are walked.
      auto raw = Decompress(stored, kMaxFrameBytes);
      if (raw.ok()) {
        auto states = CountAtPath(*raw, {1});
        if (states.ok()) {
          result.states_resumed += *states;
          done_states += *states;
        }
      }
      continue;
    }
    // A chunk that cannot go in (the lock not had within the busy timeout, a
    // damaged chunk) stops the apply there, earlier chunks kept.
    auto stopped = [&](const Status& st) {
      return Status(st.code(), where() + st.message() + "; the chunks before it are in: apply " +
                                   "the file again to resume");
    };
    auto changes = DecodeChunk(stored, index);
    if (!changes.ok()) return stopped(changes.status());
    // Files first, outside the chunk's transaction (they are not in the
    // database): a crash before the chunk commits only means the pieces are
    // offered again, and skipped as held.
    if (changes->file_pieces_size() > 0) {
      Status took = TakeFilePieces(store, *changes, result.files, [&](const BundleFileProgress& p) {
        if (on_progress) on_progress({done_states, info.states, p.file_name, p.bytes, p.total});
      });
      if (!took.ok()) return stopped(took);
    }
    // Signatures are checked before the write lock is taken.
    auto checked = CheckSignedChanges(store, verifier, *changes, info.sender);
    if (!checked.ok()) return stopped(checked.status());
    auto batch = store.BeginRemoteBatch(info.sender);
    if (!batch.ok()) return stopped(batch.status());
    ASSIGN_OR_RETURN(bool mine, (*batch)->ClaimBundleChunk(info.checksum_hex, index));
    uint64_t states = static_cast<uint64_t>(changes->states_size());
    if (mine) {
      Status added = AddChecked(**batch, *checked);
      if (!added.ok()) return stopped(added);
      ASSIGN_OR_RETURN(ApplyResult applied, (*batch)->Commit());
      Accumulate(result.applied, std::move(applied));
    } else {  // a concurrent apply of this file committed it meanwhile
      result.chunks_resumed++;
      result.states_resumed += states;
    }
    done_states += states;
    Report(on_progress, done_states, info.states);
    if (interrupt && index + 1 < info.chunks && interrupt(index + 1)) {
      return Unavailable("interrupted after chunk " + std::to_string(index + 1) + " of " +
                         std::to_string(info.chunks) + "; apply the file again to resume");
    }
  }
  return Status::Ok();
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
  auto file = VerifyFile(path, verifier);
  if (file.ok()) {
    if (verify_error) *verify_error = Status::Ok();
    return std::move(file->info);
  }
  // A file that is not a bundle at all fails; one that does not verify is
  // described by nothing but its size: nothing in it is believed or parsed.
  Code code = file.status().code();
  if (code == Code::kNotFound) return file.status();
  if (verify_error) *verify_error = file.status();
  BundleInfo info;
  std::error_code ec;
  info.file_bytes = std::filesystem::file_size(path, ec);
  return info;
}

Result<BundleApplyResult> ApplyBundle(Store& store, const PeerVerifier& verifier,
                                      const std::string& path, const NodeSigner* own_key,
                                      BundleProgressFn on_progress,
                                      const std::function<bool(uint64_t)>& interrupt) {
  auto nothing_applied = [](const Status& st) {
    return Status(st.code(), st.message() + "; nothing applied");
  };
  // Pass 1: nothing is touched, decompressed or parsed until the seal verifies.
  auto verified = VerifyFile(path, &verifier);
  if (!verified.ok()) return nothing_applied(verified.status());
  VerifiedFile file = std::move(verified).value();
  BundleInfo& info = file.info;
  if (info.receiver != store.node_id()) {
    return PermissionDenied("the bundle is meant for " + info.receiver + ", not for this node (" +
                            store.node_id() + "); nothing applied");
  }
  if (info.sender == store.node_id())
    return PermissionDenied("the bundle was written by this node itself; nothing applied");
  std::optional<BundleCipher> cipher;
  if (info.encrypted) {
    if (!own_key) {
      return FailedPrecondition(
          "the bundle is encrypted for this node: its key (tls/node.key) is needed to open it; "
          "nothing applied");
    }
    auto opened =
        BundleCipher::ForThisNode(*own_key, file.ephemeral_public_der, info.receiver_key_id);
    if (!opened.ok()) return nothing_applied(opened.status());
    cipher = std::move(opened).value();
  }
  BundleApplyResult result;
  // The sender's policy, before any chunk: a newer one is taken, so that
  // this node judges what it passes on with it; an older one is kept for
  // judging what goes back to nodes holding it; one that does not verify
  // refuses the file.
  if (!info.signed_policy.empty()) {
    auto taken =
        TakeSignedPolicy(store, verifier, info.signed_policy, "bundle from " + info.sender);
    if (!taken.ok()) {
      return Status(taken.status().code(),
                    "the bundle carries a sharing policy this node refuses: " +
                        taken.status().message() + "; nothing applied");
    }
    if (taken->version != info.policy_version) {
      return PermissionDenied("the bundle says its sender holds sharing policy version " +
                              std::to_string(info.policy_version) + " but carries version " +
                              std::to_string(taken->version) + "; nothing applied");
    }
    if (taken->outcome == PolicyInstall::kInstalled) result.policy_taken = taken->version;
  }
  RETURN_IF_ERROR(store.RecordPeerPolicyVersion(info.sender, info.policy_version));
  // Purge orders before any chunk: the chunks' states of an erased record
  // are then refused as purged. Each order is judged on its own.
  if (!info.purge_orders.empty()) {
    ASSIGN_OR_RETURN(result.purge_orders,
                     TakePurgeOrders(store, verifier, info.purge_orders, info.sender));
  }
  RETURN_IF_ERROR(store.NoteKnownNode(info.sender));
  if (!info.purge_acks.empty()) {
    ASSIGN_OR_RETURN(result.purge_acks,
                     TakePurgeAcks(store, verifier, info.purge_acks, info.sender));
  }
  if (info.is_ack) {
    RETURN_IF_ERROR(LearnWhatSenderHolds(store, info));
    result.info = std::move(info);
    return result;
  }
  // A file written before its sender applied an order whose tombstone is
  // collected here may carry that record: refused whole.
  Status current =
      CheckPurgeSource(store, info.purge_orders_applied, info.purge_collected,
                       "the bundle of " + info.sender + " written " + FormatUtcMs(info.created_ms));
  if (!current.ok()) return Status(current.code(), current.message() + "; nothing applied");
  // The sender's party decides whether its word that a record left this
  // node's scope is enough (docs/sharing.md, "Leaving a scope").
  RETURN_IF_ERROR(LearnPeerParty(store, verifier, file.sender_certificate_pem, info.sender));
  // Pass 2: a chunk per transaction, each recording how far the file got, so
  // officers' writes wait at most one chunk and a killed apply resumes.
  ASSIGN_OR_RETURN(uint64_t resume_at, store.BundleChunksApplied(info.checksum_hex));
  RETURN_IF_ERROR(ApplyChunks(store, verifier, path, file, cipher ? &*cipher : nullptr, resume_at,
                              on_progress, interrupt, result));
  // Last, with every chunk in: the bundle left out what the sender believed
  // this node held, so only if that belief is true does this node now hold
  // all the sender held (as far as it is proven, and not past a refused write).
  ASSIGN_OR_RETURN(auto batch, store.BeginRemoteBatch(info.sender));
  ASSIGN_OR_RETURN(VersionVector mine, store.Knowledge());
  if (info.base_knowledge.DominatedByOrEqual(mine) || info.from_scratch) {
    batch->CapKnowledgeBelow(result.applied.refused);
    RETURN_IF_ERROR(batch->MergeKnowledge(info.sender_knowledge));
    result.knowledge_merged = true;
  }
  RETURN_IF_ERROR(batch->FinishBundle(info.checksum_hex));
  ASSIGN_OR_RETURN(ApplyResult last, batch->Commit());
  result.applied.disbelieved.insert(result.applied.disbelieved.end(), last.disbelieved.begin(),
                                    last.disbelieved.end());
  // Files of attachments purged with their records go too.
  if (!result.applied.purged.empty() || !result.purge_orders.purged.empty()) {
    auto swept = store.SweepAttachmentFiles();
    if (!swept.ok()) {
      result.applied.warnings.push_back("the files of purged attachments are still on disk: " +
                                        swept.status().message());
    }
  }
  // The changes are in; failing to note what the sender holds only makes the
  // next bundle to it larger, so it must not report the apply as failed.
  result.sender_noted = LearnWhatSenderHolds(store, info).ok();
  result.info = std::move(info);
  return result;
}

}  // namespace accord::sync
