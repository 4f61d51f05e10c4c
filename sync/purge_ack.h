// Acknowledgements of purge orders and the orders-applied check
// (docs/security.md, "Collecting tombstones"): a node that applied an order
// signs that it did, and which nodes it knew of; the signed word travels
// like the orders (hello reply, first pull, bundle header) and lets every
// node collect the tombstone once all who may hold the record have applied it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "accord_sync.pb.h"
#include "core/status.h"
#include "core/store.h"
#include "sync/identity.h"

namespace accord::sync {

// What a signature covers: this line, then the serialised wire::PurgeAck.
inline constexpr char kPurgeAckSigningContext[] = "accord-purge-ack-v1\n";
// At most this many acknowledgements are taken from one exchange; more
// come with the next one, since they are not noted as delivered.
inline constexpr size_t kMaxPurgeAcksPerExchange = 200;
// A signed acknowledgement is its known nodes and a certificate chain.
inline constexpr size_t kMaxSignedPurgeAckBytes = 64 * 1024;
// At most this many known nodes in one acknowledgement.
inline constexpr size_t kMaxKnownNodesPerAck = 1000;

// Signs `ack` with this node's key: fills ack.signed_bytes.
Status SignPurgeAck(const NodeSigner& signer, PurgeAck& ack);

// Checks a signed acknowledgement: the certificate chains to the deployment
// CA and is not revoked, its CN is the acker, the signature covers the
// acknowledgement, and it is well formed. kPermissionDenied for a signature
// or certificate refused, kInvalidArgument for one that is malformed.
Result<PurgeAck> VerifyPurgeAck(const PeerVerifier& verifier, std::string_view signed_bytes);

// Signs this node's acknowledgement of every order it holds and has not
// acknowledged yet (each names the nodes it knows of now).
Status AckAppliedPurgeOrders(Store& store, const NodeSigner& signer);

// What TakePurgeAcks did with one exchange's acknowledgements.
struct PurgeAcksTaken {
  size_t kept = 0;  // new here
  // (record id, acker) of every one verified, kept or not (its order
  // collected or not held here): the sender need not send it again.
  std::vector<std::pair<std::string, std::string>> answered;
  std::vector<std::string> refused;  // why, one per acknowledgement refused
};
// Verifies and keeps the acknowledgements `from_peer` sent, each on its own:
// a forged one (wrong key, another node's name) is refused and changes
// nothing. An error is a failure of this node's database.
Result<PurgeAcksTaken> TakePurgeAcks(Store& store, const PeerVerifier& verifier,
                                     const std::vector<std::string>& signed_acks,
                                     const std::string& from_peer);

// This node's acknowledgements (signed first) and the others it holds that
// `peer` is not known to hold, at most one exchange's worth.
Result<std::vector<PurgeAck>> PurgeAcksToSend(Store& store, const NodeSigner& signer,
                                              const std::string& peer);

// The orders-applied vector and collected frontier as a wire Knowledge.
Status PurgeVectorsToWire(Store& store, wire::Knowledge* applied, wire::Knowledge* collected);

// Before exchanging any data with `source` (a peer at hello, a bundle): a
// node holding no record adopts the source's collected frontier; then this
// node must have applied every order the source collected
// (CheckThisNodeCurrent), and the source's orders-applied vector must cover
// this node's collected frontier (Store::CheckPurgeOrdersApplied).
Status CheckPurgeSource(Store& store, const wire::Knowledge& applied,
                        const wire::Knowledge& collected, const std::string& source);
Status CheckPurgeSource(Store& store, const VersionVector& applied, const VersionVector& collected,
                        const std::string& source);
// The first half alone: a node that has not applied an order `source`
// collected (and holds records, so cannot adopt) may hold records erased
// everywhere: kFailedPrecondition, saying how to recover.
Status CheckThisNodeCurrent(Store& store, const VersionVector& applied,
                            const VersionVector& collected, const std::string& source);

}  // namespace accord::sync
