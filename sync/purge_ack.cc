#include "sync/purge_ack.h"

#include "core/node_id.h"
#include "core/record_id.h"
#include "sync/wire_codec.h"

namespace accord::sync {

Status SignPurgeAck(const NodeSigner& signer, PurgeAck& ack) {
  if (signer.node_id() != ack.acker) {
    return FailedPrecondition("the certificate names " + signer.node_id() +
                              " but the acknowledgement's acker is " + ack.acker);
  }
  wire::PurgeAck body;
  body.set_record_id(ack.record_id);
  body.set_issuer(ack.issuer);
  body.set_sequence(ack.sequence);
  body.set_acker(ack.acker);
  body.set_acked_ms(ack.acked_at_ms);
  for (const std::string& n : ack.known_nodes) body.add_known_nodes(n);
  std::string bytes = body.SerializeAsString();
  ASSIGN_OR_RETURN(std::string signature, signer.Sign(kPurgeAckSigningContext + bytes));
  wire::SignedPurgeAck signed_ack;
  signed_ack.set_ack(bytes);
  signed_ack.set_signature(signature);
  signed_ack.set_certificate_pem(signer.cert_pem());
  ack.signed_bytes = signed_ack.SerializeAsString();
  return Status::Ok();
}

Result<PurgeAck> VerifyPurgeAck(const PeerVerifier& verifier, std::string_view signed_bytes) {
  if (signed_bytes.size() > kMaxSignedPurgeAckBytes) {
    return InvalidArgument("a purge acknowledgement larger than " +
                           std::to_string(kMaxSignedPurgeAckBytes) + " bytes");
  }
  wire::SignedPurgeAck signed_ack;
  if (!signed_ack.ParseFromArray(signed_bytes.data(), static_cast<int>(signed_bytes.size()))) {
    return InvalidArgument("a purge acknowledgement that does not parse");
  }
  if (signed_ack.signature().empty() || signed_ack.certificate_pem().empty()) {
    return PermissionDenied("an unsigned purge acknowledgement");
  }
  // The signature first: nothing of an unsigned acknowledgement is believed.
  auto key = verifier.VerifyOriginCertificate(signed_ack.certificate_pem());
  if (!key.ok()) {
    return PermissionDenied("a purge acknowledgement whose certificate is refused: " +
                            key.status().message());
  }
  Status good = key->Verify(kPurgeAckSigningContext + signed_ack.ack(), signed_ack.signature());
  if (!good.ok()) {
    return PermissionDenied(
        "a purge acknowledgement whose signature does not verify (forged or altered): " +
        good.message());
  }
  wire::PurgeAck body;
  if (!body.ParseFromString(signed_ack.ack())) {
    return InvalidArgument("a signed purge acknowledgement that does not parse");
  }
  if (body.acker() != key->node_id()) {
    return PermissionDenied("a purge acknowledgement says it is " + body.acker() +
                            "'s but is signed by " + key->node_id());
  }
  if (!IsValidRecordId(body.record_id()) || !IsValidNodeId(body.issuer()) || body.sequence() == 0) {
    return InvalidArgument("a purge acknowledgement of " + body.acker() + " names no valid order");
  }
  if (static_cast<size_t>(body.known_nodes_size()) > kMaxKnownNodesPerAck) {
    return InvalidArgument("a purge acknowledgement of " + body.acker() + " names more than " +
                           std::to_string(kMaxKnownNodesPerAck) + " nodes");
  }
  PurgeAck ack;
  ack.record_id = body.record_id();
  ack.issuer = body.issuer();
  ack.sequence = body.sequence();
  ack.acker = body.acker();
  ack.acked_at_ms = body.acked_ms();
  for (const std::string& n : body.known_nodes()) {
    if (!IsValidNodeId(n)) {
      return InvalidArgument("a purge acknowledgement of " + body.acker() +
                             " names a malformed node id");
    }
    ack.known_nodes.push_back(n);
  }
  ack.signed_bytes = std::string(signed_bytes);
  return ack;
}

Status AckAppliedPurgeOrders(Store& store, const NodeSigner& signer) {
  ASSIGN_OR_RETURN(std::vector<PurgeOrder> pending, store.PurgeOrdersToAck());
  if (pending.empty()) return Status::Ok();
  ASSIGN_OR_RETURN(std::vector<std::string> known, store.KnownNodes());
  for (const PurgeOrder& o : pending) {
    PurgeAck ack;
    ack.record_id = o.record_id;
    ack.issuer = o.issuer;
    ack.sequence = o.sequence;
    ack.acker = store.node_id();
    ack.acked_at_ms = store.NowMs();
    ack.known_nodes = known;
    if (ack.known_nodes.size() > kMaxKnownNodesPerAck) ack.known_nodes.resize(kMaxKnownNodesPerAck);
    RETURN_IF_ERROR(SignPurgeAck(signer, ack));
    ASSIGN_OR_RETURN(bool kept, store.KeepPurgeAck(ack, ""));
    (void)kept;  // false: the order was collected meanwhile
  }
  return Status::Ok();
}

Result<PurgeAcksTaken> TakePurgeAcks(Store& store, const PeerVerifier& verifier,
                                     const std::vector<std::string>& signed_acks,
                                     const std::string& from_peer) {
  PurgeAcksTaken result;
  for (size_t i = 0; i < signed_acks.size(); ++i) {
    if (i >= kMaxPurgeAcksPerExchange) {
      result.refused.push_back(std::to_string(signed_acks.size() - i) +
                               " purge acknowledgement(s) of " + from_peer + " beyond the " +
                               std::to_string(kMaxPurgeAcksPerExchange) +
                               " taken in one exchange: not taken now");
      break;
    }
    auto ack = VerifyPurgeAck(verifier, signed_acks[i]);
    if (!ack.ok()) {
      result.refused.push_back("from " + from_peer + ": " + ack.status().message());
      continue;
    }
    ASSIGN_OR_RETURN(bool kept, store.KeepPurgeAck(*ack, from_peer));
    if (kept) result.kept++;
    result.answered.emplace_back(ack->record_id, ack->acker);
  }
  return result;
}

Result<std::vector<PurgeAck>> PurgeAcksToSend(Store& store, const NodeSigner& signer,
                                              const std::string& peer) {
  RETURN_IF_ERROR(AckAppliedPurgeOrders(store, signer));
  return store.PurgeAcksFor(peer, kMaxPurgeAcksPerExchange);
}

Status PurgeVectorsToWire(Store& store, wire::Knowledge* applied, wire::Knowledge* collected) {
  ASSIGN_OR_RETURN(VersionVector a, store.PurgeOrdersApplied());
  ASSIGN_OR_RETURN(VersionVector c, store.PurgeCollectedFrontier());
  ToWire(a, applied);
  ToWire(c, collected);
  return Status::Ok();
}

Status CheckPurgeSource(Store& store, const wire::Knowledge& applied,
                        const wire::Knowledge& collected, const std::string& source) {
  auto theirs = FromWire(applied);
  if (!theirs.ok()) return theirs.status().WithContext(source + "'s purge orders applied: ");
  auto frontier = FromWire(collected);
  if (!frontier.ok()) return frontier.status().WithContext(source + "'s purge frontier: ");
  return CheckPurgeSource(store, *theirs, *frontier, source);
}

Status CheckPurgeSource(Store& store, const VersionVector& applied, const VersionVector& collected,
                        const std::string& source) {
  RETURN_IF_ERROR(CheckThisNodeCurrent(store, applied, collected, source));
  return store.CheckPurgeOrdersApplied(applied, source);
}

Status CheckThisNodeCurrent(Store& store, const VersionVector& applied,
                            const VersionVector& collected, const std::string& source) {
  // A frontier beyond what the source itself applied is no frontier.
  if (collected.empty() || !collected.DominatedByOrEqual(applied)) return Status::Ok();
  RETURN_IF_ERROR(store.AdoptPurgeFrontier(collected).status());
  ASSIGN_OR_RETURN(VersionVector mine, store.PurgeOrdersApplied());
  std::string behind;
  for (const auto& e : collected.entries()) {
    if (mine.Get(e.first) >= e.second) continue;
    if (!behind.empty()) behind += ", ";
    behind += "orders " + std::to_string(mine.Get(e.first) + 1) + ".." + std::to_string(e.second) +
              " of " + e.first;
  }
  if (behind.empty()) return Status::Ok();
  return FailedPrecondition(
      "this node (" + store.node_id() + ") has not applied purge orders that " + source +
      " has collected (" + behind +
      "): it may hold records erased everywhere (restored from an old backup?), so nothing "
      "is exchanged; start it afresh (accord init) and sync, or sync first with a node that "
      "still holds those orders");
}

}  // namespace accord::sync
