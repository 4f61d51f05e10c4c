#include "server/request_auth.h"

#include "core/node_id.h"
#include "net/request_signing.h"
#include "sync/transport.h"

namespace accord::server {
namespace {

// A hello opens a session, so it names none; everything else belongs to one.
Status CheckSessionFields(const SignedHeaders& headers, std::string_view op, Claim& claim) {
  auto sequence = net::ParseDecimal(headers.sequence);
  if (!sequence) {
    return PermissionDenied(std::string(net::kHeaderSequence) + " \"" + headers.sequence +
                            "\" is not a request number");
  }
  claim.session = headers.session;
  claim.sequence = static_cast<uint64_t>(*sequence);
  if (op == sync::kOpHello) {
    if (claim.session != net::kNoSession || claim.sequence != 0) {
      return PermissionDenied(std::string("a hello opens a session: it carries ") +
                              net::kHeaderSession + " \"-\" and " + net::kHeaderSequence + " 0");
    }
    return Status::Ok();
  }
  if (claim.session != net::kNoSession && !net::IsSessionId(claim.session)) {
    return PermissionDenied(std::string(net::kHeaderSession) + " is not a session this " +
                            "protocol issues (32 lowercase hex digits)");
  }
  if (claim.sequence == 0) {
    return PermissionDenied(std::string(net::kHeaderSequence) +
                            " 0 is a hello's: requests in a session count from 1");
  }
  return Status::Ok();
}

}  // namespace

Result<Claim> CheckHeaders(const SignedHeaders& headers, std::string_view op, std::string_view self,
                           const sync::PeerVerifier& verifier) {
  const std::pair<const std::string*, const char*> required[] = {
      {&headers.node, net::kHeaderNode},       {&headers.server, net::kHeaderServer},
      {&headers.session, net::kHeaderSession}, {&headers.sequence, net::kHeaderSequence},
      {&headers.cert_b64, net::kHeaderCert},   {&headers.signature_b64, net::kHeaderSignature},
  };
  for (const auto& [value, name] : required) {
    if (value->empty()) {
      return PermissionDenied(std::string("missing ") + name +
                              " header: sync requests must be signed (request signing v2)");
    }
  }
  Claim claim;
  claim.node_id = headers.node;
  if (!IsValidNodeId(claim.node_id)) {
    return PermissionDenied(std::string(net::kHeaderNode) + " \"" + claim.node_id +
                            "\" is not a valid node id");
  }
  claim.server_node = headers.server;
  if (!IsValidNodeId(claim.server_node)) {
    return PermissionDenied(std::string(net::kHeaderServer) + " \"" + claim.server_node +
                            "\" is not a valid node id");
  }
  // Signed, so it cannot be altered: a request captured on its way to one
  // server is refused by every other.
  if (claim.server_node != self) {
    return PermissionDenied("request meant for " + claim.server_node + ", this is " +
                            std::string(self));
  }
  RETURN_IF_ERROR(CheckSessionFields(headers, op, claim));
  auto cert = sync::Base64Decode(headers.cert_b64);
  if (!cert.ok())
    return PermissionDenied(std::string(net::kHeaderCert) + ": " + cert.status().message());
  auto sig = sync::Base64Decode(headers.signature_b64);
  if (!sig.ok()) {
    return PermissionDenied(std::string(net::kHeaderSignature) + ": " + sig.status().message());
  }
  claim.cert_pem = std::move(cert).value();
  claim.signature = std::move(sig).value();

  auto named = verifier.VerifyCertificate(claim.cert_pem);
  if (!named.ok()) return PermissionDenied(named.status().message());
  if (*named != claim.node_id) {
    return PermissionDenied("node id " + claim.node_id + " claimed but certificate names " +
                            *named);
  }
  return claim;
}

Status CheckSignature(const Claim& claim, std::string_view op, std::string_view body,
                      const sync::PeerVerifier& verifier) {
  net::RequestBinding binding{op, claim.node_id, claim.server_node, claim.session, claim.sequence};
  ASSIGN_OR_RETURN(std::string input, net::RequestSigningInput(binding, body));
  return verifier.VerifySignature(claim.cert_pem, input, claim.signature);
}

Status CheckConnectionNode(const Claim& claim, std::string_view connection_node) {
  if (claim.node_id == connection_node) return Status::Ok();
  return PermissionDenied(
      "request signed by " + claim.node_id + " but sent over a connection authenticated as " +
      (connection_node.empty() ? std::string("no node") : std::string(connection_node)));
}

}  // namespace accord::server
