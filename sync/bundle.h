// Offline bundles (docs/bundle-format.md): writing a signed, checksummed file
// of the changes a peer lacks, verifying one without touching the database,
// and applying it a chunk per transaction, resumable after a crash. Memory
// stays bounded by one chunk.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/store.h"
#include "sync/bundle_files.h"
#include "sync/identity.h"
#include "sync/purge_ack.h"
#include "sync/purge_order.h"

namespace accord::sync {

// 2: chunks carry signed changes (SignedChanges), proved by their origins.
// 3: a signing unit may span writes (protocol 3). Format 2 files are still
// read: their units are the special case of one write each.
// 4: the chunks are encrypted for the receiver (written whenever a key of
// the receiver is known; otherwise 3, which may not carry personal data).
inline constexpr uint32_t kBundleFormatVersion = 4;
inline constexpr uint32_t kMinBundleFormatVersion = 2;
inline constexpr uint32_t kClearBundleFormatVersion = 3;

struct BundleInfo {
  uint32_t format_version = 0;
  bool is_ack = false;
  std::string sender;
  std::string receiver;
  int64_t created_ms = 0;
  bool from_scratch = false;
  VersionVector base_knowledge;
  VersionVector sender_knowledge;
  uint64_t states = 0;
  uint64_t chunks = 0;
  std::map<std::string, uint64_t> states_per_type;
  uint64_t file_bytes = 0;
  std::string checksum_hex;
  // Attachments' files the bundle carries (written by this build; 0 when
  // read back: the summary does not count them).
  uint64_t attachment_files = 0;
  uint64_t attachment_bytes = 0;
  // The sharing policy version the sender held, and its signed text unless
  // it was the built-in one (docs/sharing.md, "Replacing the policy").
  int policy_version = 1;
  std::string signed_policy;
  // Format 4: the chunks are encrypted for the receiver's key with this id
  // (SHA-256 of its SubjectPublicKeyInfo).
  bool encrypted = false;
  std::string receiver_key_id;
  // Signed purge orders the sender held that the receiver was not known to
  // hold (docs/security.md, "Purge orders"), taken before any chunk.
  std::vector<std::string> purge_orders;
  // Tombstone collection (docs/security.md, "Collecting tombstones"): the
  // sender's orders-applied vector and collected frontier when it wrote the
  // file, and signed acknowledgements of purge orders.
  VersionVector purge_orders_applied;
  VersionVector purge_collected;
  std::vector<std::string> purge_acks;
};

struct BundleProgress {
  uint64_t states = 0;
  uint64_t total = 0;  // 0 while unknown (creating)
  // Attachments' files, after the states: the file under way ("" before).
  std::string file_name;
  uint64_t file_bytes = 0;
  uint64_t file_total = 0;
};
using BundleProgressFn = std::function<void(const BundleProgress&)>;

struct BundleCreateOptions {
  std::string receiver;       // the peer's node id
  bool from_scratch = false;  // everything, not only what the receiver lacks
  size_t chunk_states = 1000;
  BundleProgressFn on_progress;
  // Files and folders the output must never replace (the node's own
  // database and keys); see core/output_file.h.
  std::vector<std::string> protected_paths;
  // Encryption for the receiver (docs/bundle-format.md, "Encryption"): its
  // certificate (PEM), else the one key of it this node keeps from its
  // proved writes; checked against the deployment CA with `verifier`. With
  // no key of the receiver known, the bundle is written in clear and may
  // carry no personal data (cases and what hangs off them): writing one
  // that would fails, and leaves no file.
  const PeerVerifier* verifier = nullptr;
  std::string receiver_cert_pem;
};

// Writes the changes `options.receiver` is not known to hold to `path`
// (owner-only, atomically: "<path>.partial" renamed into place; a failure
// leaves no file behind).
Result<BundleInfo> CreateBundle(Store& store, const NodeSigner& signer, const std::string& path,
                                const BundleCreateOptions& options);

// Writes an acknowledgement of what this node holds, for `options.receiver`
// (only receiver and protected_paths are used).
Result<BundleInfo> CreateAck(Store& store, const NodeSigner& signer, const std::string& path,
                             const BundleCreateOptions& options);
inline Result<BundleInfo> CreateAck(Store& store, const NodeSigner& signer, const std::string& path,
                                    const std::string& receiver) {
  BundleCreateOptions options;
  options.receiver = receiver;
  return CreateAck(store, signer, path, options);
}

// Reads and checks the whole file (checksum, signature, certificate, format)
// without touching any database and without decompressing or parsing any
// chunk. `verify_error` tells why it does not verify; then only the file's
// size is reported, since nothing in it can be believed. The Result fails
// only when the file cannot be read at all.
Result<BundleInfo> InspectBundle(const std::string& path, const PeerVerifier* verifier,
                                 Status* verify_error);

struct BundleApplyResult {
  BundleInfo info;
  ApplyResult applied;          // the chunks this call applied
  uint64_t chunks_resumed = 0;  // chunks an earlier, interrupted apply had committed: skipped
  uint64_t states_resumed = 0;  // the field states in them
  bool knowledge_merged = false;
  bool sender_noted = false;      // what the sender holds is recorded for the next bundle to it
  int policy_taken = 0;           // a newer sharing policy version the bundle brought (0: none)
  PurgeOrdersTaken purge_orders;  // what the purge orders it carried did here
  PurgeAcksTaken purge_acks;      // what its acknowledgements of purge orders did here
  BundleFilesTaken files;         // attachments' files it brought
};

// Verifies the whole file, then takes the sharing policy it carries when it
// is newer than this node's (refusing the whole file, before any chunk, when
// that policy does not verify against the CA), then applies it a chunk per transaction (each
// recording how many chunks are in), and last merges the sender's knowledge.
// Resumes after the chunks an interrupted apply of the same file committed;
// a fully applied file applies again as a no-op. Refuses a bundle meant for
// another node. An error after verification may leave whole chunks applied:
// applying the file again finishes the job.
//
// `interrupt` is asked after each chunk commits (with the number of chunks
// in): returning true stops there with kUnavailable, as a crash would, minus
// the crash. Tests use it; an interface could use it to stop on a signal.
// `own_key` opens a bundle encrypted for this node (format 4); a clear one
// needs none.
Result<BundleApplyResult> ApplyBundle(
    Store& store, const PeerVerifier& verifier, const std::string& path,
    const NodeSigner* own_key = nullptr, BundleProgressFn on_progress = {},
    const std::function<bool(uint64_t chunks_in)>& interrupt = {});

}  // namespace accord::sync
