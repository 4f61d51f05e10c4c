// Mutual TLS for the nodes' port, applied to the SSL_CTX that the connection
// governor (connection_governor.h) shares between all connections. This
// class holds everything parsed once at start; the TlsPolicy is asked at
// every handshake, so revocations reach the next connection.
#pragma once

#include <openssl/ssl.h>

#include <string>
#include <string_view>

#include "core/status.h"
#include "sync/openssl_util.h"

namespace accord::server {

// What the TLS callbacks ask of the server. Must outlive every connection.
class TlsPolicy {
 public:
  virtual ~TlsPolicy() = default;
  virtual bool IsRevoked(std::string_view node_id, std::string_view serial_hex) const = 0;
  // The CA's signed revocation list (PEM) when it names `serial_hex`, else
  // "". Such a certificate completes its handshake only to be shown the
  // list (RevocationStatementOf), never to reach a handler.
  virtual std::string SignedRevocationOf(std::string_view /*serial_hex*/) const { return ""; }
  // Called once per handshake that ends in a fatal alert, with the reason.
  virtual void OnHandshakeFailure(std::string_view reason) = 0;
};

// After a completed handshake: the signed revocation list to show the
// client instead of serving it, when its certificate is on it; "" for a
// node in good standing.
std::string RevocationStatementOf(SSL* ssl);

class ServerTls {
 public:
  // Only ca_path is trusted to vouch for clients; the system store is not.
  static Result<ServerTls> Load(const std::string& ca_path, const std::string& cert_path,
                                const std::string& key_path);

  // Our certificate and key, the CA as the only anchor, TLS >= 1.2, and a
  // required client certificate whose CN is a valid, unrevoked node id.
  // REQUIRES: `policy` outlives `ctx`.
  Status Configure(SSL_CTX* ctx, TlsPolicy* policy) const;

  const std::string& node_id() const { return node_id_; }

 private:
  ServerTls() = default;

  sync::ossl::X509Ptr cert_;
  sync::ossl::PkeyPtr key_;
  sync::ossl::StorePtr store_;
  sync::ossl::CertStackPtr cas_;
  std::string node_id_;
};

}  // namespace accord::server
