#include "server/request_auth.h"

#include <charconv>
#include <cstdio>

#include "core/node_id.h"
#include "net/request_signing.h"

namespace accord::server {

Result<Claim> CheckHeaders(const SignedHeaders& headers, const sync::PeerVerifier& verifier,
                           int64_t now_ms, std::chrono::milliseconds max_skew) {
  const std::pair<const std::string*, const char*> required[] = {
      {&headers.node, net::kHeaderNode},
      {&headers.timestamp, net::kHeaderTimestamp},
      {&headers.cert_b64, net::kHeaderCert},
      {&headers.signature_b64, net::kHeaderSignature},
  };
  for (const auto& [value, name] : required) {
    if (value->empty()) {
      return PermissionDenied(std::string("missing ") + name +
                              " header: sync requests must be signed");
    }
  }
  Claim claim;
  claim.node_id = headers.node;
  if (!IsValidNodeId(claim.node_id)) {
    return PermissionDenied(std::string(net::kHeaderNode) + " \"" + claim.node_id +
                            "\" is not a valid node id");
  }
  const std::string& ts = headers.timestamp;
  auto [end, ec] = std::from_chars(ts.data(), ts.data() + ts.size(), claim.timestamp_ms);
  if (ec != std::errc() || end != ts.data() + ts.size()) {
    return PermissionDenied(std::string(net::kHeaderTimestamp) +
                            " is not a number of milliseconds");
  }
  // A wrong clock is the usual cause in the field, so say by how much.
  int64_t skew = claim.timestamp_ms - now_ms;
  if (skew > max_skew.count() || -skew > max_skew.count()) {
    char text[160];
    std::snprintf(text, sizeof(text),
                  "request timestamp is %.1f minutes %s this server's clock (limit %.0f); check "
                  "the clocks of %s and this server",
                  static_cast<double>(skew < 0 ? -skew : skew) / 60000.0,
                  skew < 0 ? "behind" : "ahead of", static_cast<double>(max_skew.count()) / 60000.0,
                  claim.node_id.c_str());
    return PermissionDenied(text);
  }
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
  ASSIGN_OR_RETURN(std::string input,
                   net::RequestSigningInput(op, claim.node_id, claim.timestamp_ms, body));
  return verifier.VerifySignature(claim.cert_pem, input, claim.signature);
}

Status CheckConnectionNode(const Claim& claim, std::string_view connection_node) {
  if (claim.node_id == connection_node) return Status::Ok();
  return PermissionDenied(
      "request signed by " + claim.node_id + " but sent over a connection authenticated as " +
      (connection_node.empty() ? std::string("no node") : std::string(connection_node)));
}

}  // namespace accord::server
