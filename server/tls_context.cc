#include "server/tls_context.h"

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include "core/node_id.h"
#include "sync/identity.h"

namespace accord::server {
namespace {

using namespace sync::ossl;

// Our slot in SSL_CTX ex_data. Boost.Asio already uses the "app data" slot
// for its own verify callback, so we take a fresh index.
int PolicyIndex() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// Our slot in each SSL: the revocation list to show a revoked client.
void FreeStatement(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<std::string*>(ptr);
}
int StatementIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, &FreeStatement);
  return index;
}

TlsPolicy* PolicyOf(const SSL* ssl) {
  return static_cast<TlsPolicy*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), PolicyIndex()));
}

// Runs for each certificate of the client's chain, root first. OpenSSL has
// already checked the chain against our store (`preverify_ok`); on top of
// that the leaf must name a valid, unrevoked node.
int VerifyClient(int preverify_ok, X509_STORE_CTX* store_ctx) {
  if (!preverify_ok) return 0;  // the alert that follows is counted by InfoCallback
  if (X509_STORE_CTX_get_error_depth(store_ctx) != 0) return 1;
  auto* ssl = static_cast<SSL*>(
      X509_STORE_CTX_get_ex_data(store_ctx, SSL_get_ex_data_X509_STORE_CTX_idx()));
  TlsPolicy* policy = PolicyOf(ssl);
  X509* leaf = X509_STORE_CTX_get_current_cert(store_ctx);
  std::string cn = CommonName(leaf);
  if (!IsValidNodeId(cn)) {
    X509_STORE_CTX_set_error(store_ctx, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
  }
  if (policy != nullptr && policy->IsRevoked(cn, SerialHex(leaf))) {
    // Revoked by the CA's signed list: let the handshake finish so that
    // the node can be shown the list (and lock itself); the session
    // answers every request with it and nothing else. Revoked by this
    // office's plain list alone: nothing verifiable to show, refused here.
    std::string statement = policy->SignedRevocationOf(SerialHex(leaf));
    if (!statement.empty()) {
      delete static_cast<std::string*>(SSL_get_ex_data(ssl, StatementIndex()));
      SSL_set_ex_data(ssl, StatementIndex(), new std::string(std::move(statement)));
      return 1;
    }
    X509_STORE_CTX_set_error(store_ctx, X509_V_ERR_CERT_REVOKED);
    return 0;
  }
  return 1;
}

// A fatal alert sent or received before the handshake completes is the one
// reliable sign of a refused connection (missing certificate included,
// which never reaches VerifyClient); a handshake that merely times out is
// the governor's to count.
void InfoCallback(const SSL* ssl, int where, int ret) {
  if ((where & SSL_CB_ALERT) == 0 || SSL_is_init_finished(ssl)) return;
  if (std::string_view(SSL_alert_type_string(ret)) != "F") return;
  TlsPolicy* policy = PolicyOf(ssl);
  if (policy == nullptr) return;
  std::string reason = (where & SSL_CB_WRITE) ? "we refused the client: " : "client refused us: ";
  reason += SSL_alert_desc_string_long(ret);
  long verify = SSL_get_verify_result(ssl);
  if ((where & SSL_CB_WRITE) && verify != X509_V_OK) {
    reason += std::string(" (") + X509_verify_cert_error_string(verify) + ")";
  }
  policy->OnHandshakeFailure(reason);
}

}  // namespace

std::string RevocationStatementOf(SSL* ssl) {
  const auto* statement = static_cast<const std::string*>(SSL_get_ex_data(ssl, StatementIndex()));
  return statement != nullptr ? *statement : "";
}

Result<ServerTls> ServerTls::Load(const std::string& ca_path, const std::string& cert_path,
                                  const std::string& key_path) {
  // NodeSigner checks that the key belongs to the certificate and that the
  // CN is a node id: the same rules as for any client.
  auto signer = sync::NodeSigner::Load(cert_path, key_path);
  if (!signer.ok()) return signer.status();
  ServerTls tls;
  tls.node_id_ = signer->node_id();
  ASSIGN_OR_RETURN(tls.cert_, ParseCertificate(signer->cert_pem()));
  ASSIGN_OR_RETURN(std::string key_pem, ReadFile(key_path));
  ASSIGN_OR_RETURN(tls.key_, ParsePrivateKey(key_pem));
  ASSIGN_OR_RETURN(std::string ca_pem, ReadFile(ca_path));
  auto cas = ParseCertificates(ca_pem);
  if (!cas.ok()) return cas.status().WithContext(ca_path + ": ");
  tls.cas_ = std::move(cas).value();
  tls.store_.reset(X509_STORE_new());
  if (!tls.store_) return Internal(ErrorText("X509_STORE_new"));
  for (int i = 0; i < sk_X509_num(tls.cas_.get()); ++i) {
    if (X509_STORE_add_cert(tls.store_.get(), sk_X509_value(tls.cas_.get(), i)) != 1) {
      return Internal(ErrorText("X509_STORE_add_cert"));
    }
  }
  return tls;
}

Status ServerTls::Configure(SSL_CTX* ctx, TlsPolicy* policy) const {
  bool ok = SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1 &&
            SSL_CTX_use_certificate(ctx, cert_.get()) == 1 &&
            SSL_CTX_use_PrivateKey(ctx, key_.get()) == 1 &&
            SSL_CTX_set_ex_data(ctx, PolicyIndex(), policy) == 1;
  if (!ok) return Internal(ErrorText("configuring TLS"));
  SSL_CTX_set1_cert_store(ctx, store_.get());  // shared by all connections, reference-counted
  // No session resumption, by ticket or by session cache: a resumed session
  // skips VerifyClient, so a node revoked since it first connected could
  // come back; every connection shows its certificate again.
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET |
                               SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_num_tickets(ctx, 0);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  // Tells clients which CA we accept, so one holding several certificates
  // picks ours.
  for (int i = 0; i < sk_X509_num(cas_.get()); ++i) {
    SSL_CTX_add_client_CA(ctx, sk_X509_value(cas_.get(), i));
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, &VerifyClient);
  SSL_CTX_set_info_callback(ctx, &InfoCallback);
  ERR_clear_error();
  return Status::Ok();
}

}  // namespace accord::server
