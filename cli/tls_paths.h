// Where a node's TLS material lives, with the command-line overrides.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "cli/cli_context.h"
#include "sync/identity.h"
#include "sync/signed_changes.h"

namespace accord::cli {

struct TlsPaths {
  std::string ca, cert, key, revoked, crl;

  // Fills unset paths from <node dir>/tls/{ca.pem,node.pem,node.key,revoked.txt,
  // revoked.crl} (revoked.crl: the CA's signed revocation list, `accord cert revoke`).
  void DefaultFrom(const Context& ctx) {
    if (ca.empty()) ca = ctx.TlsDir() + "/ca.pem";
    if (cert.empty()) cert = ctx.TlsDir() + "/node.pem";
    if (key.empty()) key = ctx.TlsDir() + "/node.key";
    if (revoked.empty()) revoked = ctx.TlsDir() + "/revoked.txt";
    if (crl.empty()) crl = ctx.TlsDir() + "/revoked.crl";
  }
  // This node's key (it seals its writes) and the deployment's trust (every
  // state received is checked against it).
  struct Loaded {
    sync::NodeSigner signer;
    sync::PeerVerifier verifier;
    sync::Credentials credentials() const { return {&signer, &verifier}; }
  };
  Result<Loaded> Load() const {
    ASSIGN_OR_RETURN(sync::NodeSigner signer, sync::NodeSigner::Load(cert, key));
    ASSIGN_OR_RETURN(sync::PeerVerifier verifier, sync::PeerVerifier::Load(ca, revoked, crl));
    return Loaded{std::move(signer), std::move(verifier)};
  }

  void AddOptions(CLI::App* cmd) {
    cmd->add_option("--ca", ca, "Deployment CA certificate (default: DIR/tls/ca.pem)");
    cmd->add_option("--cert", cert, "This node's certificate (default: DIR/tls/node.pem)");
    cmd->add_option("--key", key, "This node's private key (default: DIR/tls/node.key)");
  }
};

}  // namespace accord::cli
