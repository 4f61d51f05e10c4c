// Node identity: who signs a request and how a peer checks it.
//
// Every node holds a certificate issued by the deployment's CA whose subject CN
// is its node id. The CA is the only trust anchor: the system trust store is
// never consulted, so a certificate bought from a public CA proves nothing here.
// Built on OpenSSL 3 libcrypto; no OpenSSL type leaks into this header.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "core/status.h"
#include "sync/revocation_list.h"

namespace accord::sync {

// Signs on behalf of this node. Immutable after Load, so Sign() may be called
// from several threads at once.
class NodeSigner {
 public:
  // Loads a PEM certificate and its PEM private key (EC or RSA, unencrypted).
  // Fails if the key does not belong to the certificate or the CN is not a
  // valid node id.
  static Result<NodeSigner> Load(const std::string& cert_pem_path, const std::string& key_pem_path);

  const std::string& node_id() const { return node_id_; }
  const std::string& cert_pem() const { return cert_pem_; }
  // SHA-256 of the public key (SubjectPublicKeyInfo, DER): names the key in
  // the units this node signs.
  const std::string& key_id() const { return key_id_; }
  // The party the CA put in the certificate (subject O, e.g. "KH"); "" for a
  // certificate issued without one.
  const std::string& party() const { return party_; }

  // SHA-256 signature (ECDSA DER or RSA PKCS#1 v1.5) over `data`.
  Result<std::string> Sign(std::string_view data) const;
  // The ECDH secret this node's key shares with `peer_public_der` (a DER
  // SubjectPublicKeyInfo on the same curve): how it opens what was
  // encrypted for it (bundles, docs/bundle-format.md). EC keys only.
  Result<std::string> AgreeWith(std::string_view peer_public_der) const;

 private:
  struct Key;  // wraps EVP_PKEY
  NodeSigner(std::shared_ptr<const Key> key, std::string node_id, std::string cert_pem,
             std::string key_id, std::string party);

  std::shared_ptr<const Key> key_;
  std::string node_id_;
  std::string cert_pem_;
  std::string key_id_;
  std::string party_;
};

// The public key an origin signed its writes with, from a certificate that
// PeerVerifier::VerifyOriginCertificate accepted. Cheap to copy; thread-safe.
class OriginKey {
 public:
  const std::string& node_id() const { return node_id_; }
  const std::string& key_id() const { return key_id_; }
  // The party in the certificate (subject O); "" when it names none.
  const std::string& party() const { return party_; }
  // kPermissionDenied unless `signature` is this key's over `data`.
  Status Verify(std::string_view data, std::string_view signature) const;
  // A fresh ephemeral key on this key's curve, and the ECDH secret it
  // shares with this key: encrypting for this node, which alone can derive
  // the secret again (NodeSigner::AgreeWith). EC keys only.
  struct Agreement {
    std::string secret;
    std::string ephemeral_public_der;  // DER SubjectPublicKeyInfo
  };
  Result<Agreement> AgreeEphemeral() const;

 private:
  friend class PeerVerifier;
  struct Key;  // wraps EVP_PKEY
  std::shared_ptr<const Key> key_;
  std::string node_id_;
  std::string key_id_;
  std::string party_;
};

// Checks that a certificate and a signature come from a node of this
// deployment that has not been revoked. Safe to share between threads.
// Certificates that passed are remembered for a minute (each request carries
// its sender's certificate; re-verifying it was half the cost of a request).
// To pick up an edited revocation list, Load a new one.
class PeerVerifier {
 public:
  // `ca_pem_path` may hold several certificates (root and intermediates); all
  // become trust anchors. `revoked_path` lists one node id or certificate
  // serial (hex, colons allowed) per line, '#' starts a comment; a missing
  // file means nothing is revoked, an unreadable one is an error.
  // `crl_path` is the CA's signed revocation list (revocation_list.h); its
  // serials are revoked too, and it is what a revoked node is shown
  // (SignedRevocationOf). Missing: none; one that does not verify against
  // the CA is an error (a list nobody can check is no list to show).
  static Result<PeerVerifier> Load(const std::string& ca_pem_path, const std::string& revoked_path,
                                   const std::string& crl_path = "");

  // Verifies the chain against the CA only, the validity dates, the CN's
  // syntax and the revocation list. Returns the node id (the CN). Extra
  // certificates after the first in `cert_pem` are used as intermediates.
  Result<std::string> VerifyCertificate(std::string_view cert_pem) const;

  // Checks `signature` over `data` with the certificate's public key only
  // (no chain check: use VerifySigned for that).
  Status VerifySignature(std::string_view cert_pem, std::string_view data,
                         std::string_view signature) const;

  // All checks in order: chain, CN == expected_node_id, revocation, signature.
  // Returns the node id on success; each failure names what failed.
  Result<std::string> VerifySigned(std::string_view cert_pem, std::string_view data,
                                   std::string_view signature,
                                   std::string_view expected_node_id) const;

  // A certificate that signed writes: chain to the CA, CN a node id, not
  // revoked, but not the validity dates: a write made while the certificate
  // was valid stays valid after it expires (and a write's time is only what
  // its origin claims).
  Result<OriginKey> VerifyOriginCertificate(std::string_view cert_pem) const;

  // A document the deployment CA signed itself (a sharing policy): checks
  // `signature` over `data` with the key of the trust anchor whose key id
  // (ossl::KeyIdHex) is `key_id_hex`. Returns that certificate's subject.
  // kPermissionDenied when no anchor of this deployment has that key, or
  // the signature does not match.
  Result<std::string> VerifyCaSigned(std::string_view key_id_hex, std::string_view data,
                                     std::string_view signature) const;

  // Revocation by name or serial alone, for callers that already hold a
  // verified certificate (the TLS layer). `serial_hex` is uppercase, no colons.
  bool IsRevoked(std::string_view node_id, std::string_view serial_hex) const;
  // The CA's signed list, when it names `serial_hex`: the statement a node
  // refused for that certificate is shown, so that it learns it is revoked.
  // nullptr when the certificate is not on the signed list (perhaps revoked
  // by the plain list alone).
  const RevocationList* SignedRevocationOf(std::string_view serial_hex) const;

 private:
  struct Store;  // wraps X509_STORE
  PeerVerifier(std::shared_ptr<const Store> store, std::set<std::string> revoked,
               std::shared_ptr<const RevocationList> signed_list);

  // The chain, CN and revocation checks shared by the two Verify* calls.
  Result<std::string> VerifyChain(std::string_view cert_pem, bool check_time) const;

  std::shared_ptr<const Store> store_;
  std::set<std::string> revoked_;  // normalised: node ids and serials, uppercase
  std::shared_ptr<const RevocationList> signed_list_;  // nullptr: none held
};

// Demo and test PKI; real deployments may bring their own. Both refuse to
// overwrite an existing key, because replacing a CA key silently invalidates
// every node certificate it issued.
//
// Writes dir/ca.pem and dir/ca.key (EC P-256, 10 years, key mode 0600).
Status MakeDeploymentCa(const std::string& dir, const std::string& name);
// Writes out_dir/node.pem and out_dir/node.key (CN = node_id, O = party
// when given, EC P-256, 2 years, key mode 0600) signed by ca_dir's CA, and
// copies ca.pem to out_dir. The party (e.g. KH) decides which records the
// node may receive (docs/sharing.md); a node without one receives only
// what every node may hold.
Status MakeNodeCertificate(const std::string& ca_dir, const std::string& node_id,
                           const std::string& out_dir, const std::string& party = "");
// A party code: 2-8 capital letters (KH, TH, VN, CN, IOM).
bool IsValidPartyCode(std::string_view code);
// The party a node id begins with by convention ("KH-POIPET" -> "KH"), or ""
// when it does not begin with a party code. Only a default the CA operator
// sees and can override: the certificate, not the name, decides.
std::string PartyFromNodeId(std::string_view node_id);

// Standard base64 with padding, no line breaks.
std::string Base64Encode(std::string_view data);
// Rejects anything that is not canonical padded base64.
Result<std::string> Base64Decode(std::string_view text);

}  // namespace accord::sync
