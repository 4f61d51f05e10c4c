// Request-signature headers (request signing v2): server::CheckHeaders,
// CheckSignature and CheckConnectionNode (server/request_auth.h), the
// session table's checks, and the parsing helpers of net/request_signing.h.
//
// Input: lines "op", "X-Accord-Node", "X-Accord-Server", "X-Accord-Session",
// "X-Accord-Sequence", "X-Accord-Cert", "X-Accord-Signature", the node the
// TLS connection presented, then the body (the rest, newlines and all).
// A cert of "@" is replaced by the claimed office's certificate (base64), and
// a signature of "@" by that office's valid signature over the request, so
// mutations of every other field are checked behind a real signature.
// Sessions the table issues here are predictable: the first is
// 000102030405060708090a0b0c0d0e0f.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_support.h"
#include "net/request_signing.h"
#include "server/https_server.h"
#include "server/request_auth.h"
#include "server/session_table.h"

namespace {

constexpr char kSelf[] = "TH-MSDHS";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace accord;
  using namespace accord::fuzz;
  std::vector<std::string> f =
      SplitLines(std::string_view(reinterpret_cast<const char*>(data), size), 8);
  const std::string& op = f[0];
  const std::string& body = f[8];
  server::SignedHeaders headers{f[1], f[2], f[3], f[4], f[5], f[6]};
  const Deployment& deployment = Deployment::Get();

  // The helpers on their own, on whatever the fields hold.
  auto sequence = net::ParseDecimal(headers.sequence);
  (void)net::IsSessionId(headers.session);
  (void)net::ShortSession(headers.session);
  (void)sync::Base64Decode(headers.cert_b64);
  (void)server::ParseFormEncoded(body);
  net::RequestBinding binding{op, headers.node, headers.server, headers.session,
                              sequence ? static_cast<uint64_t>(*sequence) : 0};
  auto input = net::RequestSigningInput(binding, body);

  const sync::NodeSigner* signer = deployment.Signer(headers.node);
  if (signer && headers.cert_b64 == "@") headers.cert_b64 = sync::Base64Encode(signer->cert_pem());
  if (signer && headers.signature_b64 == "@" && input.ok()) {
    auto signature = signer->Sign(*input);
    if (signature.ok()) headers.signature_b64 = sync::Base64Encode(*signature);
  }

  auto claim = server::CheckHeaders(headers, op, kSelf, deployment.verifier());
  if (!claim.ok()) {
    Note("request_auth", "headers: " + claim.status().ToString());
    return 0;
  }
  Status signature = server::CheckSignature(*claim, op, body, deployment.verifier());
  Note("request_auth", "signature: " + signature.ToString());
  if (!signature.ok()) return 0;
  (void)server::CheckConnectionNode(*claim, f[7]);
  // A table that issued one session to the node: the replay checks.
  // Deterministic "random" bytes, 00 01 02 ..., so seeds can name the session.
  unsigned char next = 0;
  auto counting = [&next](unsigned char* out, size_t n) {
    for (size_t i = 0; i < n; ++i) out[i] = next++;
    return true;
  };
  server::SessionTable sessions(kSelf, server::SessionLimits{}, nullptr, counting);
  auto opened = sessions.Open(claim->node_id);
  if (opened.ok() && claim->session != net::kNoSession) {
    (void)sessions.Check(claim->node_id, claim->session, claim->sequence);
    (void)sessions.Accept(claim->node_id, claim->session, claim->sequence);
    (void)sessions.Accept(claim->node_id, claim->session, claim->sequence);  // a replay
  }
  return 0;
}
