// Signed origins on the wire: sealing this node's writes, proving a page of
// states to a receiver, and checking a page received (docs/protocol.md,
// "Signed origins"; the unit scheme is in sync/unit_seal.h).
//
// Division of labour: this file does the cryptography (hashes, signatures,
// certificates against the deployment CA); the store (core/) keeps the bytes,
// seals and certificates, and bounds what a proven state may claim (vector
// entries, knowledge) by what it has seen proven.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "accord_sync.pb.h"
#include "core/store.h"
#include "sync/identity.h"

namespace accord::sync {

// The bytes an origin signs for a state: FieldState with salt, unit and
// position. Deterministic for one build; relays never re-serialise.
std::string SerializeState(const FieldVersion& v);
// Parses a state's bytes from a peer (structure only; the store checks the
// schema and the text rule). The bytes are kept in `wire`.
Result<FieldVersion> ParseState(std::string_view bytes);
// The same through protobuf's own parser: slower, kept as the reference
// that tests and the fuzzer compare ParseState with.
Result<FieldVersion> ParseStateByProtobuf(std::string_view bytes);

// Seals every write of this node not yet sealed: salts, units of at most
// kMaxUnitSize states per write in log order, and one signature per unit.
// Call before reading the change log for a peer or a bundle.
Status SealPendingWrites(Store& store, const NodeSigner& signer);
// The same for the oldest of them only: at most `max_states` (rounded up to
// whole units), in one transaction. True when some remain unsealed. A push
// seals a little ahead of each page it reads, while the peer applies the
// page before, instead of sealing every write before its first page.
Result<bool> SealOldestPendingWrites(Store& store, const NodeSigner& signer, size_t max_states);
// What Store::SealWritesAsMade takes: seals a write right after it commits,
// with this node's key (shared, so the store may outlive the caller's copy).
// Writes are then signed where they are made, and the first sync of many
// fresh writes reads them already sealed.
Store::WriteSealer SealerFor(std::shared_ptr<const NodeSigner> signer);
// Store::ReadChanges for a peer or a bundle, from a log whose writes up to
// now have been sealed. An officer's write can land between the seal and the
// read (the node keeps working while it syncs); the page then ends before
// that write (ChangePage::ends_before_unsealed), or the read fails when the
// write is the log's next row. This seals it and reads again, a few times at
// most, then returns the page it has; any other failure is returned as it is.
Result<ChangePage> ReadSealedChanges(Store& store, const NodeSigner& signer, uint64_t after_seq,
                                     size_t max_states, const VersionVector& peer_knowledge,
                                     const PageReader& reader);

// The proofs a receiver holding `receiver_knowledge` needs for `states`:
// each unit's seal with the hashes of the members not in `states`, the
// origins' certificates, and witnesses for vector entries (and, with
// `vouched`, knowledge entries) beyond what the receiver holds. Appends the
// states' bytes to `out` too.
Status ProveStates(Store& store, const std::vector<FieldVersion>& states,
                   const VersionVector& receiver_knowledge, const VersionVector* vouched,
                   wire::SignedChanges* out);
// Tells the receiver that these records left its scope (ChangePage::left_scope).
void AddScopeExits(const std::vector<ScopeExit>& exits, wire::SignedChanges* out);

// A page checked on arrival. A state whose unit fails (an altered byte, a
// forged or missing signature, a revoked origin) is refused on its own: the
// rest of the page still moves.
struct CheckedChanges {
  std::vector<FieldVersion> states;             // proven by their origin
  std::vector<ProvenUnit> units;                // verified, to keep for relaying
  std::vector<OriginCertificate> certificates;  // verified, not yet held
  std::vector<RefusedState> refused;
  // Records the sender says left this node's scope: the store decides
  // (Store::RemoteBatch::ApplyScopeExits).
  std::vector<ScopeExit> scope_exits;
};
Result<CheckedChanges> CheckSignedChanges(Store& store, const PeerVerifier& verifier,
                                          const wire::SignedChanges& changes,
                                          const std::string& from_peer);

// Re-checks what proves a stored version's origin: its bytes hash to the
// member its unit's seal lists, and the seal's signature verifies with the
// origin's certificate against the deployment CA. For `accord history`.
// kNotFound when there is no proof (this node's write not sealed yet, or one
// kept from before writes were signed); kPermissionDenied when it fails.
// Checks the node certificate a peer sent in hello against the deployment
// CA, and that it is `peer`'s, then records its party: what this node may
// send it (docs/sharing.md). An empty certificate records nothing.
Status LearnPeerParty(Store& store, const PeerVerifier& verifier, std::string_view certificate_pem,
                      std::string_view peer);
// Who a page for `peer` is read for: its id, its party as last learnt
// ("" when never learnt: only what every node may hold), and the policy
// version it last announced (1 when it never did).
PageReader ReaderFor(Store& store, const std::string& peer);

Status VerifyStoredProof(Store& store, const PeerVerifier& verifier, const FieldVersion& v);

// Hands a checked page to an open batch: the verified proofs, the proven
// states (which the store bounds and may still refuse one by one), the
// refusals made here, and last the scope exits, in the same transaction.
Status AddChecked(Store::RemoteBatch& batch, const CheckedChanges& checked);

// What a node proves itself and its writes with, and checks others against.
struct Credentials {
  const NodeSigner* signer = nullptr;      // this node's key: seals its writes
  const PeerVerifier* verifier = nullptr;  // the deployment CA and revocations
};

void ToWire(const RefusedState& r, wire::Refusal* out);
RefusedState FromWire(const wire::Refusal& r);

}  // namespace accord::sync
