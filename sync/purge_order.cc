#include "sync/purge_order.h"

#include "accord_sync.pb.h"
#include "core/node_id.h"
#include "core/record_id.h"
#include "core/users.h"

namespace accord::sync {

Status SignPurgeOrder(const NodeSigner& signer, PurgeOrder& order) {
  if (signer.node_id() != order.issuer) {
    return FailedPrecondition("the certificate names " + signer.node_id() + " but the order's " +
                              "issuer is " + order.issuer);
  }
  wire::PurgeOrder body;
  body.set_record_id(order.record_id);
  body.set_record_type(order.type);
  body.set_issuer(order.issuer);
  body.set_user(order.user);
  body.set_issued_ms(order.issued_at_ms);
  body.set_reason(order.reason);
  body.set_sequence(order.sequence);
  std::string bytes = body.SerializeAsString();
  ASSIGN_OR_RETURN(std::string signature, signer.Sign(kPurgeOrderSigningContext + bytes));
  wire::SignedPurgeOrder signed_order;
  signed_order.set_order(bytes);
  signed_order.set_signature(signature);
  signed_order.set_certificate_pem(signer.cert_pem());
  order.signed_bytes = signed_order.SerializeAsString();
  return Status::Ok();
}

Result<VerifiedPurgeOrder> VerifyPurgeOrder(const PeerVerifier& verifier,
                                            std::string_view signed_bytes) {
  if (signed_bytes.size() > kMaxSignedPurgeOrderBytes) {
    return InvalidArgument("a purge order larger than " +
                           std::to_string(kMaxSignedPurgeOrderBytes) + " bytes");
  }
  wire::SignedPurgeOrder signed_order;
  if (!signed_order.ParseFromArray(signed_bytes.data(), static_cast<int>(signed_bytes.size()))) {
    return InvalidArgument("a purge order that does not parse");
  }
  if (signed_order.signature().empty() || signed_order.certificate_pem().empty()) {
    return PermissionDenied("an unsigned purge order");
  }
  // The signature first: nothing of an unsigned order is believed.
  auto key = verifier.VerifyOriginCertificate(signed_order.certificate_pem());
  if (!key.ok()) {
    return PermissionDenied("a purge order whose certificate is refused: " +
                            key.status().message());
  }
  Status good =
      key->Verify(kPurgeOrderSigningContext + signed_order.order(), signed_order.signature());
  if (!good.ok()) {
    return PermissionDenied("a purge order whose signature does not verify (forged or altered): " +
                            good.message());
  }
  wire::PurgeOrder body;
  if (!body.ParseFromString(signed_order.order())) {
    return InvalidArgument("a signed purge order whose order does not parse");
  }
  if (body.issuer() != key->node_id()) {
    return PermissionDenied("a purge order says it was issued by " + body.issuer() +
                            " but is signed by " + key->node_id());
  }
  if (!IsValidRecordId(body.record_id())) {
    return InvalidArgument("a purge order of " + body.issuer() + " names a malformed record id");
  }
  if (body.record_type().empty() || body.record_type().size() > 64) {
    return InvalidArgument("a purge order of " + body.issuer() + " names no record type");
  }
  if (!body.user().empty()) {
    Status user = CheckUserName(body.user());
    if (!user.ok()) {
      return InvalidArgument("a purge order of " + body.issuer() + ": " + user.message());
    }
  }
  if (body.reason().empty() || body.reason().size() > kMaxPurgeReasonBytes) {
    return InvalidArgument("a purge order of " + body.issuer() +
                           " with no reason or one that is too long");
  }
  VerifiedPurgeOrder verified;
  verified.issuer_party = key->party();
  PurgeOrder& order = verified.order;
  order.record_id = body.record_id();
  order.type = body.record_type();
  order.issuer = body.issuer();
  order.user = body.user();
  order.issued_at_ms = body.issued_ms();
  order.reason = body.reason();
  order.sequence = body.sequence();
  order.signed_bytes = std::string(signed_bytes);
  return verified;
}

Result<PurgeOrdersTaken> TakePurgeOrders(Store& store, const PeerVerifier& verifier,
                                         const std::vector<std::string>& signed_orders,
                                         const std::string& from_peer) {
  PurgeOrdersTaken result;
  for (size_t i = 0; i < signed_orders.size(); ++i) {
    if (i >= kMaxPurgeOrdersPerExchange) {
      result.refused.emplace_back("?", std::to_string(signed_orders.size() - i) +
                                           " purge order(s) of " + from_peer + " beyond the " +
                                           std::to_string(kMaxPurgeOrdersPerExchange) +
                                           " taken in one exchange: not taken now");
      break;
    }
    auto verified = VerifyPurgeOrder(verifier, signed_orders[i]);
    if (!verified.ok()) {
      // Not answered: nothing in it is believed, not even the record it names.
      result.refused.emplace_back("?", "from " + from_peer + ": " + verified.status().message());
      continue;
    }
    const std::string id = verified->order.record_id;
    auto outcome = store.ApplyPurgeOrder(verified->order, from_peer, verified->issuer_party);
    if (!outcome.ok()) {
      Code code = outcome.status().code();
      if (code == Code::kPermissionDenied || code == Code::kFailedPrecondition ||
          code == Code::kInvalidArgument) {
        // Judged and refused: asking again would be refused again.
        result.refused.emplace_back(id, outcome.status().message());
        result.answered.push_back(id);
        continue;
      }
      return outcome.status();
    }
    result.answered.push_back(id);
    if (outcome->already_held) continue;
    result.taken.push_back(verified->order);
    result.purged.insert(result.purged.end(), outcome->purged.begin(), outcome->purged.end());
    if (!outcome->warning.empty()) result.warnings.push_back(outcome->warning);
  }
  return result;
}

Result<std::vector<std::string>> PurgeOrdersToSend(Store& store, const std::string& peer) {
  ASSIGN_OR_RETURN(std::vector<PurgeOrder> orders,
                   store.PurgeOrdersFor(peer, kMaxPurgeOrdersPerExchange));
  std::vector<std::string> out;
  out.reserve(orders.size());
  for (PurgeOrder& o : orders) out.push_back(std::move(o.signed_bytes));
  return out;
}

}  // namespace accord::sync
