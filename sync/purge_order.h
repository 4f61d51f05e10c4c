// Purge orders on the wire (docs/security.md, "Purge orders"): the issuing
// node signs an order to erase a record; every node that receives it (in a
// hello reply, a first pull, a bundle header) checks it against the
// deployment CA and takes it (Store::ApplyPurgeOrder).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/store.h"
#include "sync/identity.h"

namespace accord::sync {

// What a signature covers: this line, then the serialised wire::PurgeOrder.
inline constexpr char kPurgeOrderSigningContext[] = "accord-purge-order-v1\n";
// A peer cannot flood a node with orders: at most this many are taken from
// one exchange (a sync or a bundle); more are refused, and come again with
// the next one, since the sender does not learn they are held.
inline constexpr size_t kMaxPurgeOrdersPerExchange = 100;
// A signed order is a few hundred bytes and a certificate chain.
inline constexpr size_t kMaxSignedPurgeOrderBytes = 32 * 1024;

// Signs `order` (from Store::PreparePurge) with this node's key: fills
// order.signed_bytes (a serialised wire::SignedPurgeOrder).
Status SignPurgeOrder(const NodeSigner& signer, PurgeOrder& order);

// A verified order with the party its issuer's certificate names.
struct VerifiedPurgeOrder {
  PurgeOrder order;
  std::string issuer_party;
};
// Checks a signed order: the certificate chains to the deployment CA and is
// not revoked, its CN is the order's issuer, the signature covers the order,
// and the order is well formed. kPermissionDenied for a signature or
// certificate refused, kInvalidArgument for an order that is malformed.
Result<VerifiedPurgeOrder> VerifyPurgeOrder(const PeerVerifier& verifier,
                                            std::string_view signed_bytes);

// What TakePurgeOrders did with the orders of one exchange.
struct PurgeOrdersTaken {
  std::vector<PurgeOrder> taken;      // new here (the record erased, if held)
  std::vector<std::string> answered;  // record ids of every order taken, held or refused for good
  std::vector<std::pair<std::string, std::string>> refused;  // (record id or "?", why)
  std::vector<PurgedRecord> purged;
  std::vector<std::string> warnings;
};
// Verifies and takes the orders `from_peer` sent, each on its own: one
// refused (forged, altered, from a revoked node, or for a record its
// issuer's party may not hold) changes nothing and stops none of the others.
// An error is a failure of this node's database.
Result<PurgeOrdersTaken> TakePurgeOrders(Store& store, const PeerVerifier& verifier,
                                         const std::vector<std::string>& signed_orders,
                                         const std::string& from_peer);

// The signed orders `peer` is not known to hold, at most one exchange's worth.
Result<std::vector<std::string>> PurgeOrdersToSend(Store& store, const std::string& peer);

}  // namespace accord::sync
