#include "sync/identity.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <climits>
#include <filesystem>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "core/node_id.h"
#include "core/sha256.h"
#include "sync/openssl_util.h"

namespace accord::sync {

struct NodeSigner::Key {
  ossl::PkeyPtr pkey;
};

// The trust store plus a memo of certificates that passed: every request
// carries the sender's certificate, and re-parsing and re-verifying it cost
// ~0.5 ms of the ~1 ms a small request took. Entries expire after a minute
// so an expiring certificate is noticed; a new revocation list comes with a
// new PeerVerifier, hence an empty memo.
struct PeerVerifier::Store {
  static constexpr auto kTtl = std::chrono::seconds(60);
  static constexpr size_t kMaxEntries = 1024;

  struct Verified {
    std::string node_id;
    std::shared_ptr<EVP_PKEY> key;
    std::chrono::steady_clock::time_point at;
  };

  ossl::StorePtr store;
  mutable std::mutex mu;
  mutable std::unordered_map<std::string, Verified> verified;  // by certificate PEM
  // Origin certificates that verified (no time check; the revocation list
  // is fixed for this verifier's life): every page of a sync names them.
  mutable std::unordered_map<std::string, OriginKey> origins;  // by certificate PEM

  std::optional<OriginKey> LookupOrigin(std::string_view pem) const {
    std::lock_guard<std::mutex> lock(mu);
    auto it = origins.find(std::string(pem));
    if (it == origins.end()) return std::nullopt;
    return it->second;
  }

  void RememberOrigin(std::string_view pem, const OriginKey& key) const {
    std::lock_guard<std::mutex> lock(mu);
    if (origins.size() >= kMaxEntries) origins.clear();
    origins.emplace(std::string(pem), key);
  }

  std::optional<Verified> Lookup(std::string_view pem) const {
    std::lock_guard<std::mutex> lock(mu);
    auto it = verified.find(std::string(pem));
    if (it == verified.end()) return std::nullopt;
    if (std::chrono::steady_clock::now() - it->second.at > kTtl) {
      verified.erase(it);
      return std::nullopt;
    }
    return it->second;
  }

  void Remember(std::string_view pem, std::string node_id, X509* cert) const {
    EVP_PKEY* key = X509_get_pubkey(cert);  // counted reference, released by the shared_ptr
    if (key == nullptr) return;
    std::lock_guard<std::mutex> lock(mu);
    if (verified.size() >= kMaxEntries) verified.clear();  // far more than a deployment's nodes
    verified[std::string(pem)] = {std::move(node_id), std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free),
                                  std::chrono::steady_clock::now()};
  }
};

// --- NodeSigner ---------------------------------------------------------------

NodeSigner::NodeSigner(std::shared_ptr<const Key> key, std::string node_id, std::string cert_pem,
                       std::string key_id, std::string party)
    : key_(std::move(key)),
      node_id_(std::move(node_id)),
      cert_pem_(std::move(cert_pem)),
      key_id_(std::move(key_id)),
      party_(std::move(party)) {}

struct OriginKey::Key {
  ossl::PkeyPtr pkey;
};

namespace {

// SHA-256 of the DER SubjectPublicKeyInfo: the same for a key in any certificate.
Result<std::string> KeyIdOf(EVP_PKEY* key) {
  ASSIGN_OR_RETURN(std::string der, ossl::PublicKeyDer(key));
  return Sha256Of(der);
}

}  // namespace

Result<NodeSigner> NodeSigner::Load(const std::string& cert_pem_path,
                                    const std::string& key_pem_path) {
  ASSIGN_OR_RETURN(std::string cert_pem, ossl::ReadFile(cert_pem_path));
  ASSIGN_OR_RETURN(std::string key_pem, ossl::ReadFile(key_pem_path));
  auto cert = ossl::ParseCertificate(cert_pem);
  if (!cert.ok()) return cert.status().WithContext(cert_pem_path + ": ");
  auto pkey = ossl::ParsePrivateKey(key_pem);
  if (!pkey.ok()) return pkey.status().WithContext(key_pem_path + ": ");

  // A mismatched pair would only show up later as "signature does not match"
  // on the peer; say it here, where the operator can fix it.
  if (X509_check_private_key(cert->get(), pkey->get()) != 1) {
    ERR_clear_error();
    return InvalidArgument("the key in " + key_pem_path +
                           " does not belong to the certificate in " + cert_pem_path);
  }
  std::string node_id = ossl::CommonName(cert->get());
  if (!IsValidNodeId(node_id)) {
    return InvalidArgument(cert_pem_path + " names \"" + node_id +
                           "\", which is not a valid node id (letters, digits, '-', 1-32)");
  }
  ASSIGN_OR_RETURN(std::string key_id, KeyIdOf(X509_get0_pubkey(cert->get())));
  std::string party = ossl::Organisation(cert->get());
  auto key = std::make_shared<Key>();
  key->pkey = std::move(pkey).value();
  return NodeSigner(std::move(key), std::move(node_id), std::move(cert_pem), std::move(key_id),
                    std::move(party));
}

Result<std::string> NodeSigner::Sign(std::string_view data) const {
  return ossl::SignSha256(key_->pkey.get(), data);
}

// --- PeerVerifier -------------------------------------------------------------

namespace {

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// One revocation line may be a node id or a serial in any of the forms
// operators paste ("3A:F2:...", "serial=3AF2...", leading zeros); store every
// reading so a lookup is a plain set membership test.
void AddRevokedEntry(std::string_view token, std::set<std::string>& revoked) {
  std::string upper = Upper(token);
  revoked.insert(upper);
  if (upper.rfind("SERIAL=", 0) == 0) upper.erase(0, 7);
  std::string hex;
  for (char c : upper) {
    if (c == ':') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) return;  // a node id only
    hex += c;
  }
  size_t first = hex.find_first_not_of('0');
  hex = first == std::string::npos ? "0" : hex.substr(first);
  revoked.insert(hex);
}

Result<std::set<std::string>> LoadRevocationList(const std::string& path) {
  std::set<std::string> revoked;
  std::error_code ec;
  if (path.empty() || !std::filesystem::exists(path, ec)) return revoked;
  ASSIGN_OR_RETURN(std::string text, ossl::ReadFile(path));
  std::string_view rest = text;
  while (!rest.empty()) {
    size_t eol = rest.find('\n');
    std::string_view line = rest.substr(0, eol);
    rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);
    line = Trim(line.substr(0, line.find('#')));
    if (!line.empty()) AddRevokedEntry(line, revoked);
  }
  return revoked;
}

bool IsChainOfTrustError(int err) {
  switch (err) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
      return true;
    default:
      return false;
  }
}

Status CheckSignature(EVP_PKEY* pub, std::string_view data, std::string_view signature) {
  ossl::MdCtxPtr ctx(EVP_MD_CTX_new());
  if (pub == nullptr || !ctx ||
      EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pub) != 1) {
    return PermissionDenied(ossl::ErrorText("certificate key cannot verify SHA-256 signatures"));
  }
  int rc = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                            signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                            data.size());
  ERR_clear_error();  // a malformed signature leaves decoder errors behind
  if (rc != 1) return PermissionDenied("signature does not match");
  return Status::Ok();
}

}  // namespace

PeerVerifier::PeerVerifier(std::shared_ptr<const Store> store, std::set<std::string> revoked,
                           std::shared_ptr<const RevocationList> signed_list)
    : store_(std::move(store)),
      revoked_(std::move(revoked)),
      signed_list_(std::move(signed_list)) {}

Result<PeerVerifier> PeerVerifier::Load(const std::string& ca_pem_path,
                                        const std::string& revoked_path,
                                        const std::string& crl_path) {
  ASSIGN_OR_RETURN(std::string ca_pem, ossl::ReadFile(ca_pem_path));
  auto cas = ossl::ParseCertificates(ca_pem);
  if (!cas.ok()) return cas.status().WithContext(ca_pem_path + ": ");
  // A fresh store with nothing but the deployment CA: no default paths, so
  // the system trust store can never vouch for a node.
  auto store = std::make_shared<Store>();
  store->store.reset(X509_STORE_new());
  if (!store->store) return Internal(ossl::ErrorText("X509_STORE_new"));
  for (int i = 0; i < sk_X509_num(cas->get()); ++i) {
    if (X509_STORE_add_cert(store->store.get(), sk_X509_value(cas->get(), i)) != 1) {
      return Internal(ossl::ErrorText("X509_STORE_add_cert"));
    }
  }
  auto revoked = LoadRevocationList(revoked_path);
  if (!revoked.ok()) return revoked.status().WithContext("revocation list: ");
  std::shared_ptr<const RevocationList> signed_list;
  std::error_code ec;
  if (!crl_path.empty() && std::filesystem::exists(crl_path, ec)) {
    ASSIGN_OR_RETURN(std::string crl_pem, ossl::ReadFile(crl_path));
    auto list = VerifyRevocationList(crl_pem, ca_pem);
    if (!list.ok()) return list.status().WithContext(crl_path + ": ");
    for (const RevokedSerial& r : list->revoked) revoked->insert(r.serial_hex);
    signed_list = std::make_shared<const RevocationList>(std::move(list).value());
  }
  return PeerVerifier(std::move(store), std::move(revoked).value(), std::move(signed_list));
}

const RevocationList* PeerVerifier::SignedRevocationOf(std::string_view serial_hex) const {
  if (!signed_list_ || serial_hex.empty()) return nullptr;
  return signed_list_->Find(serial_hex) != nullptr ? signed_list_.get() : nullptr;
}

bool PeerVerifier::IsRevoked(std::string_view node_id, std::string_view serial_hex) const {
  return revoked_.count(Upper(node_id)) > 0 ||
         (!serial_hex.empty() && revoked_.count(Upper(serial_hex)) > 0);
}

Result<std::string> PeerVerifier::VerifyCertificate(std::string_view cert_pem) const {
  if (auto hit = store_->Lookup(cert_pem)) return hit->node_id;
  return VerifyChain(cert_pem, /*check_time=*/true);
}

Result<OriginKey> PeerVerifier::VerifyOriginCertificate(std::string_view cert_pem) const {
  if (auto hit = store_->LookupOrigin(cert_pem)) return *std::move(hit);
  ASSIGN_OR_RETURN(std::string node_id, VerifyChain(cert_pem, /*check_time=*/false));
  ASSIGN_OR_RETURN(ossl::X509Ptr cert, ossl::ParseCertificate(cert_pem));
  EVP_PKEY* pub = X509_get_pubkey(cert.get());  // counted reference
  if (pub == nullptr) return PermissionDenied("certificate of " + node_id + " has no usable key");
  auto key = std::make_shared<OriginKey::Key>();
  key->pkey.reset(pub);
  OriginKey origin;
  ASSIGN_OR_RETURN(origin.key_id_, KeyIdOf(pub));
  origin.key_ = std::move(key);
  origin.node_id_ = std::move(node_id);
  origin.party_ = ossl::Organisation(cert.get());
  store_->RememberOrigin(cert_pem, origin);
  return origin;
}

Status OriginKey::Verify(std::string_view data, std::string_view signature) const {
  return CheckSignature(key_->pkey.get(), data, signature);
}

namespace {

// ECDH between `own` (a private key) and `peer` (a public key on its curve).
Result<std::string> DeriveSecret(EVP_PKEY* own, EVP_PKEY* peer) {
  if (EVP_PKEY_get_base_id(own) != EVP_PKEY_EC || EVP_PKEY_get_base_id(peer) != EVP_PKEY_EC) {
    return FailedPrecondition("encryption for a node needs EC keys; this node's key is not one");
  }
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new(own, nullptr),
                                                                  &EVP_PKEY_CTX_free);
  size_t len = 0;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer) != 1 ||
      EVP_PKEY_derive(ctx.get(), nullptr, &len) != 1) {
    return PermissionDenied(ossl::ErrorText("the keys do not agree (another curve?)"));
  }
  std::string secret(len, '\0');
  if (EVP_PKEY_derive(ctx.get(), reinterpret_cast<unsigned char*>(secret.data()), &len) != 1) {
    return Internal(ossl::ErrorText("ECDH failed"));
  }
  secret.resize(len);
  return secret;
}

}  // namespace

Result<OriginKey::Agreement> OriginKey::AgreeEphemeral() const {
  EVP_PKEY* peer = key_->pkey.get();
  if (EVP_PKEY_get_base_id(peer) != EVP_PKEY_EC) {
    return FailedPrecondition("the certificate of " + node_id_ +
                              " holds no EC key: nothing can be encrypted for it");
  }
  // The ephemeral key takes the receiver key's curve from the key itself.
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new(peer, nullptr),
                                                                  &EVP_PKEY_CTX_free);
  EVP_PKEY* made = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &made) != 1) {
    return Internal(ossl::ErrorText("cannot make an ephemeral key"));
  }
  ossl::PkeyPtr ephemeral(made);
  Agreement agreement;
  ASSIGN_OR_RETURN(agreement.secret, DeriveSecret(ephemeral.get(), peer));
  ASSIGN_OR_RETURN(agreement.ephemeral_public_der, ossl::PublicKeyDer(ephemeral.get()));
  return agreement;
}

Result<std::string> NodeSigner::AgreeWith(std::string_view peer_public_der) const {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(peer_public_der.data());
  ossl::PkeyPtr peer(d2i_PUBKEY(nullptr, &p, static_cast<long>(peer_public_der.size())));
  if (!peer || p != reinterpret_cast<const unsigned char*>(peer_public_der.data()) +
                        peer_public_der.size()) {
    ERR_clear_error();
    return Corruption("the ephemeral public key is damaged");
  }
  return DeriveSecret(key_->pkey.get(), peer.get());
}

Result<std::string> PeerVerifier::VerifyChain(std::string_view cert_pem, bool check_time) const {
  ASSIGN_OR_RETURN(ossl::CertStackPtr certs, ossl::ParseCertificates(cert_pem));
  X509* leaf = sk_X509_value(certs.get(), 0);
  std::string cn = ossl::CommonName(leaf);

  ossl::StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store_->store.get(), leaf, certs.get()) != 1) {
    return Internal(ossl::ErrorText("X509_STORE_CTX_init"));
  }
  if (!check_time) X509_STORE_CTX_set_flags(ctx.get(), X509_V_FLAG_NO_CHECK_TIME);
  if (X509_verify_cert(ctx.get()) != 1) {
    int err = X509_STORE_CTX_get_error(ctx.get());
    ERR_clear_error();
    std::string who = "certificate of \"" + cn + "\"";
    if (IsChainOfTrustError(err)) {
      return PermissionDenied("certificate not issued by this deployment's CA (" + who + ")");
    }
    if (err == X509_V_ERR_CERT_HAS_EXPIRED) return PermissionDenied(who + " has expired");
    if (err == X509_V_ERR_CERT_NOT_YET_VALID) {
      return PermissionDenied(who + " is not valid yet (is a clock wrong?)");
    }
    return PermissionDenied(who + " rejected: " + X509_verify_cert_error_string(err));
  }
  if (!IsValidNodeId(cn)) {
    return PermissionDenied("certificate names \"" + cn + "\", which is not a valid node id");
  }
  if (IsRevoked(cn, ossl::SerialHex(leaf))) return PermissionDenied("node " + cn + " is revoked");
  if (check_time) store_->Remember(cert_pem, cn, leaf);
  return cn;
}

Status PeerVerifier::VerifySignature(std::string_view cert_pem, std::string_view data,
                                     std::string_view signature) const {
  if (auto hit = store_->Lookup(cert_pem)) return CheckSignature(hit->key.get(), data, signature);
  ASSIGN_OR_RETURN(ossl::X509Ptr cert, ossl::ParseCertificate(cert_pem));
  return CheckSignature(X509_get0_pubkey(cert.get()), data, signature);
}

Result<std::string> PeerVerifier::VerifySigned(std::string_view cert_pem, std::string_view data,
                                               std::string_view signature,
                                               std::string_view expected_node_id) const {
  ASSIGN_OR_RETURN(std::string node, VerifyCertificate(cert_pem));
  if (node != expected_node_id) {
    return PermissionDenied("node id " + std::string(expected_node_id) +
                            " claimed but certificate names " + node);
  }
  RETURN_IF_ERROR(VerifySignature(cert_pem, data, signature));
  return node;
}

Result<std::string> PeerVerifier::VerifyCaSigned(std::string_view key_id_hex, std::string_view data,
                                                 std::string_view signature) const {
  STACK_OF(X509_OBJECT)* anchors = X509_STORE_get0_objects(store_->store.get());
  for (int i = 0; i < sk_X509_OBJECT_num(anchors); ++i) {
    X509* ca = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(anchors, i));
    if (ca == nullptr) continue;
    ASSIGN_OR_RETURN(std::string key_id, ossl::KeyIdHex(X509_get0_pubkey(ca)));
    if (key_id != key_id_hex) continue;
    Status checked = CheckSignature(X509_get0_pubkey(ca), data, signature);
    if (!checked.ok()) {
      return PermissionDenied("the signature does not match the key of the deployment CA (" +
                              ossl::SubjectText(ca) + ")");
    }
    return ossl::SubjectText(ca);
  }
  return PermissionDenied("signed with key " + std::string(key_id_hex.substr(0, 16)) +
                          "..., which is not the key of this deployment's CA");
}

// --- Digests and base64 -------------------------------------------------------

std::string Base64Encode(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  size_t done = 0;
  // EVP_EncodeBlock takes an int length: feed it in slices that are a
  // multiple of 3 bytes so padding only appears at the very end.
  constexpr size_t kSlice = 3 * (1 << 20);
  for (size_t pos = 0; pos < data.size(); pos += kSlice) {
    size_t n = std::min(kSlice, data.size() - pos);
    done += static_cast<size_t>(EVP_EncodeBlock(
        reinterpret_cast<unsigned char*>(out.data()) + done,
        reinterpret_cast<const unsigned char*>(data.data()) + pos, static_cast<int>(n)));
  }
  out.resize(done);
  return out;
}

Result<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return InvalidArgument("base64 length is not a multiple of 4");
  if (text.size() > INT_MAX) return InvalidArgument("base64 text too large");
  size_t padding = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    bool tail = i + 2 >= text.size();
    if (c == '=' && tail) {
      ++padding;
    } else if (padding > 0 ||
               !(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/')) {
      return InvalidArgument("invalid base64 character at offset " + std::to_string(i));
    }
  }
  std::string out(text.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return InvalidArgument("invalid base64");
  // EVP_DecodeBlock counts the zero bytes that padding stands for.
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

}  // namespace accord::sync
