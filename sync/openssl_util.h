// Small owners and helpers for OpenSSL 3 objects, shared by identity.cc,
// certificate_maker.cc and the HTTPS server's TLS callbacks. Not a public API:
// include it only from .cc files.
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace accord::sync::ossl {

template <auto FreeFn>
struct Free {
  template <typename T>
  void operator()(T* p) const {
    FreeFn(p);
  }
};

using BioPtr = std::unique_ptr<BIO, Free<BIO_free_all>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, Free<EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Free<X509_free>>;
using StorePtr = std::unique_ptr<X509_STORE, Free<X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Free<X509_STORE_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Free<EVP_MD_CTX_free>>;
using NamePtr = std::unique_ptr<X509_NAME, Free<X509_NAME_free>>;

struct CertStackFree {
  void operator()(STACK_OF(X509) * s) const { sk_X509_pop_free(s, X509_free); }
};
using CertStackPtr = std::unique_ptr<STACK_OF(X509), CertStackFree>;

// `what` followed by OpenSSL's queued errors; empties this thread's error
// queue so a later failure does not report a stale cause.
std::string ErrorText(std::string_view what);

// All certificates in a PEM text, in order. Empty text or no certificate is
// kInvalidArgument.
Result<CertStackPtr> ParseCertificates(std::string_view pem);
Result<X509Ptr> ParseCertificate(std::string_view pem);  // the first one
Result<PkeyPtr> ParsePrivateKey(std::string_view pem);
std::string CertificateToPem(X509* cert);

// The subject CN as UTF-8, or "" if there is none.
std::string CommonName(const X509* cert);
// The subject's organisation (O): a node's party. "" when absent.
std::string Organisation(const X509* cert);
// The whole subject, RFC 2253 ("CN=Accord KH-TH CA,O=..."), UTF-8.
std::string SubjectText(const X509* cert);
// SHA-256 of the public key as DER SubjectPublicKeyInfo, lowercase hex: the
// same for a key in any certificate.
Result<std::string> KeyIdHex(EVP_PKEY* key);
// A public key as DER SubjectPublicKeyInfo.
Result<std::string> PublicKeyDer(EVP_PKEY* key);
// A SHA-256 signature (ECDSA DER or RSA PKCS#1 v1.5) by `key` over `data`.
Result<std::string> SignSha256(EVP_PKEY* key, std::string_view data);
// Serial number as uppercase hex without leading zeros ("A1B2", not "0A1B2").
std::string SerialHex(const X509* cert);
// The same for a serial as a revocation list names it.
std::string SerialHex(const ASN1_INTEGER* serial);

Result<std::string> ReadFile(const std::string& path);

}  // namespace accord::sync::ossl
