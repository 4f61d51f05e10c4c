// Authenticates a signed sync request (see sync/identity.h for the scheme).
// Split in two because the body arrives after the headers: everything that
// can be refused from the headers alone is refused before the server reads
// (and buffers) a body for a stranger.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"
#include "sync/identity.h"

namespace accord::server {

// The X-Accord-* header values as received ("" when absent).
struct SignedHeaders {
  std::string node;
  std::string timestamp;
  std::string cert_b64;
  std::string signature_b64;
};

// What the headers establish: a certificate from this deployment, not
// revoked, naming the node the request claims to come from.
struct Claim {
  std::string node_id;
  int64_t timestamp_ms = 0;
  std::string cert_pem;
  std::string signature;
};

// kPermissionDenied with a message for the client when the headers are
// missing, malformed, too far from `now_ms`, or the certificate fails.
Result<Claim> CheckHeaders(const SignedHeaders& headers, const sync::PeerVerifier& verifier,
                           int64_t now_ms, std::chrono::milliseconds max_skew);

// The signature over RequestSigningInput(op, node, timestamp, body).
Status CheckSignature(const Claim& claim, std::string_view op, std::string_view body,
                      const sync::PeerVerifier& verifier);

// kPermissionDenied unless the node the request is signed by is the one
// whose certificate the TLS connection presented (`connection_node`, the
// certificate's CN as the governor saw it): a node cannot relay another
// node's signed requests over its own connection. Checked after the
// signature, so a forged signature is reported as such.
Status CheckConnectionNode(const Claim& claim, std::string_view connection_node);

}  // namespace accord::server
