#include "sync/signed_changes.h"

#include <openssl/rand.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "core/hex.h"
#include "core/node_id.h"
#include "core/sha256.h"
#include "core/state_bytes.h"
#include "core/text_rule.h"
#include "core/users.h"
#include "sync/state_reader.h"
#include "sync/unit_seal.h"
#include "sync/wire_codec.h"
#include "sync/wire_limits.h"
#include "sync/wire_scan.h"

namespace accord::sync {

namespace {

// Writes sealed per transaction.
constexpr size_t kSealBatch = 128 * kMaxUnitSize;

Result<std::string> RandomBytes(size_t n) {
  std::string bytes(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(bytes.size())) !=
      1) {
    return Internal("the system's random generator failed");
  }
  return bytes;
}

}  // namespace

std::string SerializeState(const FieldVersion& v) {
  return SignedStateBytes(v);
}

namespace {

// What both readers check once the fields are read: the salt, the unit and
// the author.
Status CheckStateExtras(const FieldVersion& v, size_t salt_size, uint32_t unit_position,
                        uint64_t unit_counter) {
  if (salt_size != kSaltBytes) {
    return Corruption("record " + v.record_id + " field " + v.field + ": salt of " +
                      std::to_string(salt_size) + " bytes, not " + std::to_string(kSaltBytes));
  }
  if (unit_position >= kMaxUnitSize) {
    return Corruption("record " + v.record_id + " field " + v.field + ": unit position " +
                      std::to_string(unit_position) + " is beyond a unit");
  }
  if (unit_counter > kMaxCounter) {
    return Corruption("record " + v.record_id + " field " + v.field + ": unit counter " +
                      std::to_string(unit_counter) + " is beyond any real counter");
  }
  if (unit_counter != 0 && unit_counter <= v.OriginCounter()) {
    return Corruption("record " + v.record_id + " field " + v.field + ": unit counter " +
                      std::to_string(unit_counter) + " is not after the state's own counter " +
                      std::to_string(v.OriginCounter()));
  }
  if (!v.author.empty() && !CheckUserName(v.author).ok()) {
    return Corruption("record " + v.record_id + " field " + v.field +
                      ": the author is not a user name");
  }
  return Status::Ok();
}

Status CheckStateCounts(size_t entries, size_t fields) {
  if (entries > kMaxVectorEntries) {
    return Corruption("state's version has " + std::to_string(entries) + " entries, over " +
                      std::to_string(kMaxVectorEntries));
  }
  if (fields > kMaxFieldsPerState) {
    return Corruption("state holds over " + std::to_string(kMaxFieldsPerState) +
                      " protobuf fields");
  }
  return Status::Ok();
}

}  // namespace

Result<FieldVersion> ParseState(std::string_view bytes) {
  // One pass checks the structure and counts, allocating nothing; a second
  // reads the fields. Building a protobuf message and copying it out cost
  // four times as much (docs/PERFORMANCE.md, "Sixth round").
  ReadStateCounts counts;
  if (!ScanFieldState(bytes, counts)) return Corruption("state is not a valid FieldState");
  RETURN_IF_ERROR(CheckStateCounts(counts.version_entries, counts.fields));
  ReadState read;
  std::vector<ReadEntry> entries;
  entries.reserve(counts.version_entries);
  if (!ReadFieldState(bytes, read, entries)) return Internal("a scanned state did not read");
  FieldVersion v;
  v.record_id = read.record_id;
  v.record_type = read.record_type;
  v.field = read.field;
  if (read.has_value) v.value = std::string(read.value);
  auto vv = VectorFromEntries(entries);
  if (!vv.ok()) {
    return vv.status().WithContext("record " + v.record_id + " field " + v.field + ": ");
  }
  v.version = std::move(vv).value();
  v.origin = read.origin;
  v.origin_time_ms = read.origin_time_ms;
  v.note = read.note;
  v.author = read.author;
  RETURN_IF_ERROR(CheckStateExtras(v, read.salt.size(), read.unit_position, read.unit_counter));
  v.salt = read.salt;
  v.unit_counter = read.unit_counter;
  v.unit = read.unit;
  v.unit_position = read.unit_position;
  v.wire = std::string(bytes);
  return v;
}

Result<FieldVersion> ParseStateByProtobuf(std::string_view bytes) {
  ASSIGN_OR_RETURN(size_t entries, CountAtPath(bytes, {6}));
  ASSIGN_OR_RETURN(size_t fields,
                   CountFields(bytes, *wire::FieldState::descriptor(), kMaxFieldsPerState));
  RETURN_IF_ERROR(CheckStateCounts(entries, fields));
  wire::FieldState state;
  if (!state.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Corruption("state is not a valid FieldState");
  }
  ASSIGN_OR_RETURN(FieldVersion v, FromWire(state));
  RETURN_IF_ERROR(
      CheckStateExtras(v, state.salt().size(), state.unit_position(), state.unit_counter()));
  v.salt = state.salt();
  v.unit_counter = state.unit_counter();
  v.unit = state.unit();
  v.unit_position = state.unit_position();
  v.wire = std::string(bytes);
  return v;
}

Status SealPendingWrites(Store& store, const NodeSigner& signer) {
  while (true) {
    ASSIGN_OR_RETURN(bool more, SealOldestPendingWrites(store, signer, kSealBatch));
    if (!more) return Status::Ok();
  }
}

Store::WriteSealer SealerFor(std::shared_ptr<const NodeSigner> signer) {
  return [signer = std::move(signer)](Store& store) { return SealPendingWrites(store, *signer); };
}

Result<ChangePage> ReadSealedChanges(Store& store, const NodeSigner& signer, uint64_t after_seq,
                                     size_t max_states, const VersionVector& peer_knowledge,
                                     const PageReader& reader) {
  // A write made between the seal and the read, microseconds apart, ends
  // the page before it (Store::ReadChanges); sealing and reading again makes
  // it fuller. A page that ends early is still a whole page: under an
  // officer's steady writes the bound returns it rather than chase them.
  // A read fails only when the very next row of the log is such a write,
  // and never after a seal, which sealed that row. A short page whose write
  // another connection sealed first is read again; a failure with nothing
  // to seal is one sealing would not change, returned at once.
  constexpr int kMaxReseals = 3;
  for (int reseal = 0;; ++reseal) {
    Result<ChangePage> page = store.ReadChanges(after_seq, max_states, peer_knowledge, reader);
    const bool short_of_a_seal =
        page.ok() ? page->ends_before_unsealed : page.status().code() == Code::kFailedPrecondition;
    if (!short_of_a_seal || reseal == kMaxReseals) return page;
    ASSIGN_OR_RETURN(UnsealedBatch fresh, store.UnsealedWrites(1));
    if (fresh.writes.empty() && !page.ok()) return page;
    if (!fresh.writes.empty()) RETURN_IF_ERROR(SealPendingWrites(store, signer));
  }
}

namespace {

// Seals the oldest unsealed writes, at most `limit`: whether some remain, or
// nothing if another connection sealed them first.
Result<std::optional<bool>> SealOnce(Store& store, const NodeSigner& signer, size_t limit) {
  ASSIGN_OR_RETURN(UnsealedBatch batch, store.UnsealedWrites(limit));
  if (batch.writes.empty()) return std::optional<bool>(false);
  const bool more = batch.writes.size() == limit;
  std::vector<FieldVersion>& writes = batch.writes;
  // One random draw for the batch's salts.
  ASSIGN_OR_RETURN(std::string salts, RandomBytes(writes.size() * kSaltBytes));
  // Consecutive runs of kMaxUnitSize states, across writes: an office that
  // edits one record at a time and syncs later still pays one signature
  // per 64 states. A run is named by its last member's counter and an
  // index among the units ending there.
  std::map<uint64_t, uint32_t> next_index;  // counter -> the next unused index
  std::vector<ProvenUnit> sealed;
  for (size_t first = 0; first < writes.size(); first += kMaxUnitSize) {
    size_t end = std::min(writes.size(), first + kMaxUnitSize);
    uint64_t last_counter = writes[end - 1].OriginCounter();
    auto index = next_index.find(last_counter);
    if (index == next_index.end()) {
      ASSIGN_OR_RETURN(uint32_t held, store.CountUnitsEndingAt(store.node_id(), last_counter));
      index = next_index.emplace(last_counter, held).first;
    }
    ProvenUnit unit;
    unit.key = {store.node_id(), last_counter, index->second++};
    for (size_t i = first; i < end; ++i) {
      FieldVersion& v = writes[i];
      v.salt = salts.substr(i * kSaltBytes, kSaltBytes);
      v.unit_counter = v.OriginCounter() == last_counter ? 0 : last_counter;
      v.unit = unit.key.unit;
      v.unit_position = static_cast<uint32_t>(i - first);
      v.wire = SerializeState(v);
      ASSIGN_OR_RETURN(std::string hash, Sha256Of(v.wire));
      unit.member_hashes.push_back(std::move(hash));
    }
    ASSIGN_OR_RETURN(unit.signature, signer.Sign(UnitSigningInput(unit.key, unit.member_hashes)));
    unit.key_id = signer.key_id();
    sealed.push_back(std::move(unit));
  }
  OriginCertificate own{signer.node_id(), signer.key_id(), signer.cert_pem(), signer.party()};
  ASSIGN_OR_RETURN(bool kept, store.SealWrites(batch, sealed, own));
  if (!kept) return std::optional<bool>();
  return std::optional<bool>(more);
}

}  // namespace

Result<bool> SealOldestPendingWrites(Store& store, const NodeSigner& signer, size_t max_states) {
  if (signer.node_id() != store.node_id()) {
    return FailedPrecondition("the certificate names " + signer.node_id() + " but this node is " +
                              store.node_id());
  }
  // The node's own party decides where the cases it opens may go.
  RETURN_IF_ERROR(store.RecordNodeParty(signer.node_id(), signer.party()));
  // Whole units, so that sealing in steps makes the units one step would.
  const size_t limit =
      std::max<size_t>(kMaxUnitSize, (std::min(max_states, kSealBatch) + kMaxUnitSize - 1) /
                                         kMaxUnitSize * kMaxUnitSize);
  // Two requests served at once (two offices pulling) may both read the same
  // oldest writes; the first to commit keeps its seals, the other reads
  // again. Each lost race is another connection's progress; the bound only stops a livelock.
  constexpr int kMaxSealRaces = 64;
  for (int race = 0; race < kMaxSealRaces; ++race) {
    ASSIGN_OR_RETURN(std::optional<bool> more, SealOnce(store, signer, limit));
    if (more) return *more;
  }
  return Unavailable("another connection sealed this node's writes first " +
                     std::to_string(kMaxSealRaces) + " times in a row; try again");
}

Status ProveStates(Store& store, const std::vector<FieldVersion>& states,
                   const VersionVector& receiver_knowledge, const VersionVector* vouched,
                   wire::SignedChanges* out) {
  std::map<UnitKey, std::set<uint32_t>> present;
  for (const FieldVersion& v : states) {
    if (v.wire.empty()) {
      return Internal("record " + v.record_id + " field " + v.field + " by " + v.origin +
                      " is not sealed: seal this node's writes before sending");
    }
    present[KeyOf(v)].insert(v.unit_position);
  }
  // A state whose seal is not held here cannot be proved: it stays behind
  // (the link goes on; its origin can still send it), never the whole page.
  std::map<UnitKey, ProvenUnit> proofs;
  for (const auto& [key, positions] : present) {
    ASSIGN_OR_RETURN(std::optional<ProvenUnit> unit, store.FindProvenUnit(key));
    if (unit) proofs.emplace(key, std::move(unit).value());
  }
  // For each node, the highest counter a vector or the vouched knowledge
  // claims beyond what the receiver holds: a witness must prove it.
  std::map<std::string, uint64_t> claimed;
  for (const FieldVersion& v : states) {
    if (!proofs.count(KeyOf(v))) continue;
    out->add_states(v.wire);
    for (const auto& [node, counter] : v.version.entries()) {
      if (node == v.origin || counter <= receiver_knowledge.Get(node)) continue;
      claimed[node] = std::max(claimed[node], counter);
    }
  }
  if (vouched) {
    for (const auto& [node, counter] : vouched->entries()) {
      if (counter > receiver_knowledge.Get(node)) claimed[node] = std::max(claimed[node], counter);
    }
  }
  std::map<std::pair<std::string, std::string>, bool> certificates;  // (node, key id)
  auto add_proof = [&](const ProvenUnit& unit, const std::set<uint32_t>& in_page) {
    auto* proof = out->add_units();
    auto* seal = proof->mutable_seal();
    seal->set_origin(unit.key.origin);
    seal->set_counter(unit.key.counter);
    seal->set_unit(unit.key.unit);
    seal->set_size(static_cast<uint32_t>(unit.member_hashes.size()));
    seal->set_key_id(unit.key_id);
    seal->set_signature(unit.signature);
    for (uint32_t pos = 0; pos < unit.member_hashes.size(); ++pos) {
      if (in_page.count(pos)) continue;
      auto* absent = proof->add_absent();
      absent->set_position(pos);
      absent->set_hash(unit.member_hashes[pos]);
    }
    certificates[{unit.key.origin, unit.key_id}] = true;
  };
  for (const auto& [key, unit] : proofs) {
    add_proof(unit, present.at(key));
    auto it = claimed.find(key.origin);
    if (it != claimed.end() && key.counter >= it->second) claimed.erase(it);
  }
  for (const auto& [node, counter] : claimed) {
    ASSIGN_OR_RETURN(std::optional<ProvenUnit> witness, store.HighestProvenUnit(node));
    // Without one the receiver refuses what needs it, with the reason.
    if (witness && witness->key.counter >= counter) add_proof(*witness, {});
  }
  for (const auto& [id, unused] : certificates) {
    ASSIGN_OR_RETURN(std::optional<OriginCertificate> cert,
                     store.FindCertificate(id.first, id.second));
    if (!cert) continue;
    auto* c = out->add_certificates();
    c->set_node(cert->node_id);
    c->set_key_id(cert->key_id);
    c->set_certificate_pem(cert->certificate_pem);
  }
  return Status::Ok();
}

void AddScopeExits(const std::vector<ScopeExit>& exits, wire::SignedChanges* out) {
  for (const ScopeExit& exit : exits) {
    auto* wire_exit = out->add_scope_exits();
    wire_exit->set_record_id(exit.record_id);
    ToWire(exit.scope_version, wire_exit->mutable_scope_version());
  }
}

Status LearnPeerParty(Store& store, const PeerVerifier& verifier, std::string_view certificate_pem,
                      std::string_view peer) {
  if (certificate_pem.empty()) return Status::Ok();  // unknown: it receives what every node may
  auto key = verifier.VerifyOriginCertificate(certificate_pem);
  if (!key.ok())
    return key.status().WithContext("the certificate " + std::string(peer) + " sent: ");
  if (key->node_id() != peer) {
    return PermissionDenied(std::string(peer) + " sent the certificate of " + key->node_id());
  }
  return store.RecordNodeParty(peer, key->party());
}

PageReader ReaderFor(Store& store, const std::string& peer) {
  auto party = store.PartyOf(peer);
  // Unknown (or unreadable): the peer gets only what every node may hold.
  PageReader reader{peer, party.ok() ? party->value_or("") : ""};
  // The policy version it last announced; one that never announced any
  // holds the built-in version (docs/sharing.md, "Replacing the policy").
  auto known = store.GetPeer(peer);
  reader.policy_version = known.ok() && known->policy_version > 0 ? known->policy_version : 1;
  return reader;
}

Status VerifyStoredProof(Store& store, const PeerVerifier& verifier, const FieldVersion& v) {
  if (v.wire.empty()) return NotFound("no proof of origin held for this version");
  UnitKey key = KeyOf(v);
  ASSIGN_OR_RETURN(std::optional<ProvenUnit> unit, store.FindProvenUnit(key));
  if (!unit) return NotFound("the seal of unit " + key.ToString() + " is not held");
  ASSIGN_OR_RETURN(std::string hash, Sha256Of(v.wire));
  if (v.unit_position >= unit->member_hashes.size() ||
      unit->member_hashes[v.unit_position] != hash) {
    return PermissionDenied("the stored bytes do not match the seal of unit " + key.ToString());
  }
  // The signed bytes must say what the store says, not only be signed.
  ASSIGN_OR_RETURN(FieldVersion signed_state, ParseState(v.wire));
  if (signed_state.value != v.value || signed_state.origin != v.origin ||
      signed_state.record_id != v.record_id || signed_state.field != v.field ||
      !(signed_state.version == v.version)) {
    return PermissionDenied("the stored version differs from what its origin signed");
  }
  ASSIGN_OR_RETURN(std::optional<OriginCertificate> cert,
                   store.FindCertificate(key.origin, unit->key_id));
  if (!cert) return NotFound("the certificate that sealed unit " + key.ToString() + " is not held");
  ASSIGN_OR_RETURN(OriginKey origin_key, verifier.VerifyOriginCertificate(cert->certificate_pem));
  if (origin_key.node_id() != key.origin) {
    return PermissionDenied("unit " + key.ToString() + " is sealed by " + origin_key.node_id());
  }
  return origin_key.Verify(UnitSigningInput(key, unit->member_hashes), unit->signature);
}

Status AddChecked(Store::RemoteBatch& batch, const CheckedChanges& checked) {
  RETURN_IF_ERROR(batch.AddProofs(checked.units, checked.certificates));
  RETURN_IF_ERROR(batch.Add(checked.states));
  RETURN_IF_ERROR(batch.AddRefused(checked.refused));
  return batch.ApplyScopeExits(checked.scope_exits);
}

void ToWire(const RefusedState& r, wire::Refusal* out) {
  out->set_record_id(r.record_id);
  out->set_field(r.field);
  out->set_origin(r.origin);
  out->set_counter(r.counter);
  out->set_reason(r.reason);
}

RefusedState FromWire(const wire::Refusal& r) {
  // A reason is shown to people: bound what a peer can make us print, and
  // cut between characters, so that what is kept is still text (a cut Thai
  // or Khmer letter would break every JSON output that shows it).
  auto cut = [](const std::string& text, size_t max) { return std::string(CutToBytes(text, max)); };
  return {cut(r.record_id(), 128), cut(r.field(), 128), cut(r.origin(), 64), r.counter(),
          cut(r.reason(), 1000)};
}

}  // namespace accord::sync
