// Authenticates a signed sync request (request signing v2, see
// net/request_signing.h). Split in two because the body arrives after the
// headers: everything that can be refused from the headers alone is refused
// before the server reads (and buffers) a body for a stranger. Whether the
// session and sequence are fresh is the session table's to say
// (session_table.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"
#include "sync/identity.h"

namespace accord::server {

// The X-Accord-* header values as received ("" when absent).
struct SignedHeaders {
  std::string node;
  std::string server;
  std::string session;
  std::string sequence;
  std::string cert_b64;
  std::string signature_b64;
};

// What the headers establish: a certificate from this deployment, not
// revoked, naming the node the request claims to come from; a request meant
// for this server, in a session (or opening one: a hello).
struct Claim {
  std::string node_id;
  std::string server_node;
  std::string session;  // net::kNoSession or a session id
  uint64_t sequence = 0;
  std::string cert_pem;
  std::string signature;
};

// kPermissionDenied with a message for the client when the headers are
// missing or malformed, name another server than `self`, do not fit `op`
// (a hello carries session "-" and sequence 0; any other request a session
// id, or "-" when it has none, and a sequence from 1), or the certificate
// fails.
Result<Claim> CheckHeaders(const SignedHeaders& headers, std::string_view op, std::string_view self,
                           const sync::PeerVerifier& verifier);

// The signature over RequestSigningInput(op, node, server, session,
// sequence, body).
Status CheckSignature(const Claim& claim, std::string_view op, std::string_view body,
                      const sync::PeerVerifier& verifier);

// kPermissionDenied unless the node the request is signed by is the one
// whose certificate the TLS connection presented (`connection_node`, the
// certificate's CN as the governor saw it): a node cannot relay another
// node's signed requests over its own connection. Checked after the
// signature, so a forged signature is reported as such.
Status CheckConnectionNode(const Claim& claim, std::string_view connection_node);

}  // namespace accord::server
