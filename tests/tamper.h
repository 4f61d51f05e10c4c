// What a malicious office does to what it sends (issue 9): decode a page,
// alter a state's bytes (its value, its vector) while keeping every seal,
// forge units in another office's name or with the wrong key, vouch for
// knowledge it cannot have, re-encode; rewrite a bundle's chunks and sign
// the file again with its own (valid) key; build decompression bombs. The
// results are sent as that office, a legitimate certificate holder, over any
// Transport (HTTPS included).
#pragma once

#include <gtest/gtest.h>
#include <zstd.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "accord_bundle.pb.h"
#include "accord_sync.pb.h"
#include "core/hex.h"
#include "core/sha256.h"
#include "sync/bundle_cipher.h"
#include "sync/identity.h"
#include "sync/signed_changes.h"
#include "sync/transport.h"
#include "sync/unit_seal.h"
#include "sync/wire_codec.h"

namespace accord::testing {

// ---- Frames.

inline wire::Envelope Decoded(const std::string& frame) {
  auto envelope = sync::DecodeFrame(frame);
  EXPECT_TRUE(envelope.ok()) << envelope.status().ToString();
  return envelope.ok() ? std::move(envelope).value() : wire::Envelope();
}

inline std::string Encoded(wire::Envelope envelope, const std::string& sender) {
  return sync::EncodeFrame(envelope, sender).value();
}

// The signed changes a push request or a pull reply carries.
inline wire::SignedChanges* ChangesOf(wire::Envelope& envelope) {
  if (envelope.has_pull_reply()) return envelope.mutable_pull_reply()->mutable_signed_changes();
  return envelope.mutable_push_request()->mutable_signed_changes();
}

// A push page of `changes` from `sender`, claiming no place in its log.
inline std::string PushPage(const wire::SignedChanges& changes, const std::string& sender) {
  wire::Envelope envelope;
  *envelope.mutable_push_request()->mutable_signed_changes() = changes;
  return Encoded(std::move(envelope), sender);
}

// ---- States.

inline wire::FieldState Parsed(const std::string& bytes) {
  wire::FieldState state;
  EXPECT_TRUE(state.ParseFromString(bytes));
  return state;
}

inline uint64_t EntryOf(const wire::FieldState& state, const std::string& node) {
  for (const auto& e : state.version()) {
    if (e.node() == node) return e.counter();
  }
  return 0;
}

// Sets `node`'s entry of the state's vector, keeping it sorted as an origin
// writes it (so that only the claim, not the form, is wrong).
inline void SetEntry(wire::FieldState* state, const std::string& node, uint64_t counter) {
  std::map<std::string, uint64_t> entries;
  for (const auto& e : state->version()) entries[e.node()] = e.counter();
  entries[node] = counter;
  state->clear_version();
  for (const auto& [n, c] : entries) {
    auto* e = state->add_version();
    e->set_node(n);
    e->set_counter(c);
  }
}

// The index of the state of `record`.`field` in `changes`, or -1.
inline int FindState(const wire::SignedChanges& changes, const std::string& record,
                     const std::string& field) {
  for (int i = 0; i < changes.states_size(); ++i) {
    wire::FieldState s = Parsed(changes.states(i));
    if (s.record_id() == record && s.field() == field) return i;
  }
  return -1;
}

// The counter that names a state's signing unit (sync/unit_seal.h).
inline uint64_t UnitCounterOf(const wire::FieldState& state) {
  return state.unit_counter() ? state.unit_counter() : EntryOf(state, state.origin());
}

// Rewrites the bytes of state `index` with `edit`; every seal and member hash
// is kept, so its unit no longer verifies.
inline void AlterState(wire::SignedChanges* changes, int index,
                       const std::function<void(wire::FieldState&)>& edit) {
  ASSERT_GE(index, 0);
  wire::FieldState state = Parsed(changes->states(index));
  edit(state);
  changes->set_states(index, state.SerializeAsString());
}

// Gives state `index` counter `counter` of its origin. Alone, nothing
// proves the state at its new counter. With `reseal`, as a careful forger
// would: the state gets a seal of its own at that counter (the original
// signature, and the other members' hashes so the proof is whole), and the
// original seal the hash of the state it lost, so that the rest of the page
// still verifies and only the signature over the renumbered unit can tell.
inline void Renumber(wire::SignedChanges* changes, int index, uint64_t counter, bool reseal) {
  std::string original = changes->states(index);
  wire::FieldState state = Parsed(original);
  uint64_t old = UnitCounterOf(state);
  // The state names its own counter's unit now, as a state sealed there would.
  AlterState(changes, index, [&](wire::FieldState& s) {
    SetEntry(&s, s.origin(), counter);
    s.clear_unit_counter();
  });
  if (!reseal) return;
  wire::UnitProof* proof = nullptr;
  for (auto& p : *changes->mutable_units()) {
    if (p.seal().origin() == state.origin() && p.seal().counter() == old &&
        p.seal().unit() == state.unit()) {
      proof = &p;
    }
  }
  ASSERT_NE(proof, nullptr);
  std::map<uint32_t, std::string> hashes;  // every member but the moved one
  for (const auto& absent : proof->absent()) hashes[absent.position()] = absent.hash();
  for (int i = 0; i < changes->states_size(); ++i) {
    if (i == index) continue;
    wire::FieldState member = Parsed(changes->states(i));
    if (member.origin() == state.origin() && UnitCounterOf(member) == old &&
        member.unit() == state.unit()) {
      hashes[member.unit_position()] = Sha256Of(changes->states(i)).value();
    }
  }
  wire::UnitProof moved = *proof;
  moved.mutable_seal()->set_counter(counter);
  moved.clear_absent();
  for (const auto& [position, hash] : hashes) {
    auto* absent = moved.add_absent();
    absent->set_position(position);
    absent->set_hash(hash);
  }
  auto* lost = proof->add_absent();
  lost->set_position(state.unit_position());
  lost->set_hash(Sha256Of(original).value());
  *changes->add_units() = std::move(moved);
}

// A state as `origin` would write it: `vector` sorted, salt and place in
// its unit set by SealedAs.
inline wire::FieldState StateOf(const std::string& record, const std::string& type,
                                const std::string& field, const std::string& value,
                                const std::string& origin,
                                const std::vector<std::pair<std::string, uint64_t>>& vector,
                                int64_t time_ms) {
  wire::FieldState s;
  s.set_record_id(record);
  s.set_record_type(type);
  s.set_field(field);
  s.set_has_value(true);
  s.set_value(value);
  s.set_origin(origin);
  s.set_origin_time_ms(time_ms);
  for (const auto& [node, counter] : vector) SetEntry(&s, node, counter);
  return s;
}

// Seals `states` as accord seals a write: one unit per (origin, unit counter),
// numbered `unit`, signed by `signer` — the origin's own key, or another
// node's for a forgery. `signer`'s certificate is offered under the node id
// `offer_as` (default: its own).
inline wire::SignedChanges SealedAs(std::vector<wire::FieldState> states,
                                    const sync::NodeSigner& signer, uint32_t unit = 0,
                                    const std::string& offer_as = "") {
  wire::SignedChanges changes;
  std::map<std::pair<std::string, uint64_t>, std::vector<std::string>> units;
  for (auto& s : states) {
    auto& hashes = units[{s.origin(), UnitCounterOf(s)}];
    s.set_salt(std::string(sync::kSaltBytes, static_cast<char>('a' + hashes.size())));
    s.set_unit(unit);
    s.set_unit_position(static_cast<uint32_t>(hashes.size()));
    std::string bytes = s.SerializeAsString();
    hashes.push_back(Sha256Of(bytes).value());
    changes.add_states(bytes);
  }
  for (const auto& [write, hashes] : units) {
    UnitKey key{write.first, write.second, unit};
    auto* seal = changes.add_units()->mutable_seal();
    seal->set_origin(key.origin);
    seal->set_counter(key.counter);
    seal->set_unit(unit);
    seal->set_size(static_cast<uint32_t>(hashes.size()));
    seal->set_key_id(signer.key_id());
    seal->set_signature(signer.Sign(sync::UnitSigningInput(key, hashes)).value());
  }
  auto* cert = changes.add_certificates();
  cert->set_node(offer_as.empty() ? signer.node_id() : offer_as);
  cert->set_key_id(signer.key_id());
  cert->set_certificate_pem(signer.cert_pem());
  return changes;
}

// The page `store`'s own sync would push to a receiver holding `knowledge`:
// its log from the start, proved as it proves it (sealing its writes first).
inline wire::SignedChanges PageFrom(Store& store, const sync::NodeSigner& signer,
                                    const VersionVector& knowledge) {
  EXPECT_TRUE(sync::SealPendingWrites(store, signer).ok());
  auto page = store.ReadChanges(0, 1000, knowledge);
  EXPECT_TRUE(page.ok()) << page.status().ToString();
  wire::SignedChanges changes;
  if (page.ok()) {
    EXPECT_TRUE(sync::ProveStates(store, page->states, knowledge, nullptr, &changes).ok());
  }
  return changes;
}

// ---- Knowledge.

// Marks the push as its sender's last page and vouches for `entries` (sorted
// here, as accord sends them).
inline void Vouch(wire::PushRequest* push, std::map<std::string, uint64_t> entries) {
  push->set_done(true);
  push->clear_knowledge();
  for (const auto& [node, counter] : entries) {
    auto* e = push->mutable_knowledge()->add_entries();
    e->set_node(node);
    e->set_counter(counter);
  }
}

// ---- In transit.

// Passes every request through `alter` (which may change the envelope) on
// its way to `inner`: a relay tampering with what its own sync sends.
class AlteringTransport : public sync::Transport {
 public:
  using Alter = std::function<void(std::string_view op, wire::Envelope& request)>;
  AlteringTransport(sync::Transport& inner, Alter alter)
      : inner_(inner), alter_(std::move(alter)) {}
  Result<std::string> RoundTrip(std::string_view op, const std::string& request) override {
    wire::Envelope envelope = Decoded(request);
    alter_(op, envelope);
    return inner_.RoundTrip(op, Encoded(envelope, envelope.node_id()));
  }

  std::string AuthenticatedPeer() const override { return inner_.AuthenticatedPeer(); }

 private:
  sync::Transport& inner_;
  Alter alter_;
};

// ---- Bundles (docs/bundle-format.md).

// A bundle's sections, as stored: everything its checksum and seal cover.
struct BundleParts {
  std::string header;               // BundleHeader bytes
  std::vector<std::string> chunks;  // each zstd(SignedChanges)
  std::string summary;              // BundleSummary bytes
};

inline std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::string U32(size_t n) {
  std::string out(4, '\0');
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return out;
}

inline BundleParts ReadBundleParts(const std::string& path) {
  std::string data = ReadBytes(path);
  auto u32 = [&](size_t at) {
    uint32_t n = 0;
    for (int i = 3; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(data[at + i]);
    return n;
  };
  BundleParts parts;
  size_t pos = 8;
  parts.header = data.substr(pos + 4, u32(pos));
  pos += 4 + u32(pos);
  while (uint32_t n = u32(pos)) {
    parts.chunks.push_back(data.substr(pos + 4, n));
    pos += 4 + n;
  }
  pos += 4;
  parts.summary = data.substr(pos + 4, u32(pos));
  return parts;
}

// Writes `parts` as a bundle whose checksum and seal are `signer`'s: the
// file verifies as that node's, whatever it carries.
inline void WriteSignedBundle(const std::string& path, const BundleParts& parts,
                              const sync::NodeSigner& signer) {
  std::string body = "ACCORDB1" + U32(parts.header.size()) + parts.header;
  for (const auto& chunk : parts.chunks) body += U32(chunk.size()) + chunk;
  body += U32(0) + U32(parts.summary.size()) + parts.summary;
  std::string digest = Sha256Of(body).value();
  wire::BundleSeal seal;
  seal.set_signature(signer.Sign("accord-bundle-v1\n" + HexEncode(digest)).value());
  seal.set_certificate_pem(signer.cert_pem());
  std::string sealed = seal.SerializeAsString();
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      << body << digest << U32(sealed.size()) << sealed;
}

inline wire::SignedChanges ChunkChanges(const std::string& chunk) {
  wire::SignedChanges changes;
  EXPECT_TRUE(changes.ParseFromString(sync::Decompress(chunk, size_t{64} << 20).value()));
  return changes;
}

inline std::string ChunkOf(const wire::SignedChanges& changes) {
  return sync::Compress(changes.SerializeAsString()).value();
}

// An encrypted bundle's chunks as the receiver opens them (in place), and
// the key to seal altered ones again: what a relay that also held the
// receiver's key could do. The seal still names the writer.
inline sync::BundleCipher OpenChunks(BundleParts& parts, const sync::NodeSigner& receiver) {
  wire::BundleHeader header;
  EXPECT_TRUE(header.ParseFromString(parts.header));
  auto cipher = sync::BundleCipher::ForThisNode(receiver, header.ephemeral_public_key(),
                                                header.receiver_key_id());
  EXPECT_TRUE(cipher.ok()) << cipher.status().ToString();
  for (size_t i = 0; i < parts.chunks.size(); ++i) {
    parts.chunks[i] = cipher->Open(i, parts.chunks[i]).value();
  }
  return std::move(cipher).value();
}
inline void SealChunks(BundleParts& parts, const sync::BundleCipher& cipher) {
  for (size_t i = 0; i < parts.chunks.size(); ++i) {
    parts.chunks[i] = cipher.Seal(i, parts.chunks[i]).value();
  }
}

// ---- Decompression bombs.

// zstd at its strongest, with or without the decompressed size in the frame
// header (a receiver refuses a declared size over its limit at once, and
// must stop an undeclared one as it grows).
inline std::string Squeezed(const std::string& data, bool declare_size) {
  std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> cctx(ZSTD_createCCtx(), ZSTD_freeCCtx);
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, 19);
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_contentSizeFlag, declare_size ? 1 : 0);
  std::string out(ZSTD_compressBound(data.size()), '\0');
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  ZSTD_outBuffer buffer{out.data(), out.size(), 0};
  EXPECT_EQ(ZSTD_compressStream2(cctx.get(), &buffer, &in, ZSTD_e_end), 0u);
  out.resize(buffer.pos);
  return out;
}

// `piece` repeated until the whole is about `bytes` long.
// Built by doubling: millions of 2-byte pieces appended one by one took
// seconds in the sanitized build, where test code runs unoptimised.
inline std::string Repeated(const std::string& piece, size_t bytes) {
  if (piece.empty()) return "";
  const size_t total = bytes / piece.size() * piece.size();
  std::string out;
  out.reserve(total);
  if (total == 0) return out;
  out = piece;
  while (out.size() * 2 <= total) out.append(out);
  out.append(out, 0, total - out.size());
  return out;
}

// A length-delimited protobuf field (numbers below 16).
inline std::string Field(int number, const std::string& payload) {
  std::string tag(1, static_cast<char>(number << 3 | 2));
  std::string length;
  size_t n = payload.size();
  while (n >= 0x80) {
    length += static_cast<char>((n & 0x7f) | 0x80);
    n >>= 7;
  }
  length += static_cast<char>(n);
  return tag + length + payload;
}

}  // namespace accord::testing
