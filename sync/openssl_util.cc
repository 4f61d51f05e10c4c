#include "sync/openssl_util.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/hex.h"
#include "core/sha256.h"

namespace accord::sync::ossl {

std::string ErrorText(std::string_view what) {
  std::string text(what);
  unsigned long err;
  while ((err = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(err, buf, sizeof(buf));
    text += text.size() == what.size() ? ": " : "; ";
    text += buf;
  }
  return text;
}

namespace {

Result<BioPtr> MemoryBio(std::string_view data) {
  if (data.size() > INT_MAX) return InvalidArgument("PEM text too large");
  BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
  if (!bio) return Internal(ErrorText("BIO_new_mem_buf"));
  return bio;
}

}  // namespace

Result<CertStackPtr> ParseCertificates(std::string_view pem) {
  ASSIGN_OR_RETURN(BioPtr bio, MemoryBio(pem));
  CertStackPtr certs(sk_X509_new_null());
  if (!certs) return Internal(ErrorText("sk_X509_new_null"));
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    if (!sk_X509_push(certs.get(), cert)) {
      X509_free(cert);
      return Internal(ErrorText("sk_X509_push"));
    }
  }
  // Reading stops with a "no start line" error at the end of the text; that
  // is the normal way out, anything else means a damaged certificate.
  unsigned long err = ERR_peek_last_error();
  bool clean_end = ERR_GET_REASON(err) == PEM_R_NO_START_LINE;
  if (sk_X509_num(certs.get()) == 0 || (err != 0 && !clean_end)) {
    return InvalidArgument(ErrorText("no readable PEM certificate"));
  }
  ERR_clear_error();
  return certs;
}

Result<X509Ptr> ParseCertificate(std::string_view pem) {
  ASSIGN_OR_RETURN(CertStackPtr certs, ParseCertificates(pem));
  return X509Ptr(X509_dup(sk_X509_value(certs.get(), 0)));
}

Result<PkeyPtr> ParsePrivateKey(std::string_view pem) {
  ASSIGN_OR_RETURN(BioPtr bio, MemoryBio(pem));
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return InvalidArgument(ErrorText("no readable unencrypted PEM private key"));
  return key;
}

std::string CertificateToPem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return "";
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

namespace {

std::string SubjectEntry(const X509* cert, int nid) {
  const X509_NAME* name = X509_get_subject_name(cert);
  int idx = X509_NAME_get_index_by_NID(name, nid, -1);
  if (idx < 0) return "";
  const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
  unsigned char* utf8 = nullptr;
  int len = ASN1_STRING_to_UTF8(&utf8, value);
  if (len < 0) return "";
  std::string entry(reinterpret_cast<char*>(utf8), static_cast<size_t>(len));
  OPENSSL_free(utf8);
  return entry;
}

}  // namespace

std::string CommonName(const X509* cert) {
  return SubjectEntry(cert, NID_commonName);
}

std::string Organisation(const X509* cert) {
  return SubjectEntry(cert, NID_organizationName);
}

std::string SubjectText(const X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), X509_get_subject_name(cert), 0,
                                 XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) {
    ERR_clear_error();
    return "";
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return len > 0 ? std::string(data, static_cast<size_t>(len)) : "";
}

Result<std::string> PublicKeyDer(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(key, &der);
  if (len <= 0) return Internal(ErrorText("cannot encode a public key"));
  std::string bytes(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return bytes;
}

Result<std::string> KeyIdHex(EVP_PKEY* key) {
  ASSIGN_OR_RETURN(std::string der, PublicKeyDer(key));
  ASSIGN_OR_RETURN(std::string digest, Sha256Of(der));
  return HexEncode(digest);
}

Result<std::string> SignSha256(EVP_PKEY* key, std::string_view data) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1) {
    return Internal(ErrorText("cannot start a SHA-256 signature with this key"));
  }
  const auto* in = reinterpret_cast<const unsigned char*>(data.data());
  size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, in, data.size()) != 1) {
    return Internal(ErrorText("EVP_DigestSign (size)"));
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, in,
                     data.size()) != 1) {
    return Internal(ErrorText("EVP_DigestSign"));
  }
  sig.resize(len);  // ECDSA signatures are shorter than the maximum
  return sig;
}

std::string SerialHex(const X509* cert) {
  return SerialHex(X509_get0_serialNumber(cert));
}

std::string SerialHex(const ASN1_INTEGER* serial) {
  BIGNUM* bn = ASN1_INTEGER_to_BN(serial, nullptr);
  if (bn == nullptr) return "";
  char* hex = BN_bn2hex(bn);
  std::string out = hex != nullptr ? hex : "";
  OPENSSL_free(hex);
  BN_free(bn);
  // BN_bn2hex prints whole bytes ("0A1B..."); revocation lists compare
  // serials without leading zeros.
  size_t first = out.find_first_not_of('0');
  return first == std::string::npos ? (out.empty() ? out : "0") : out.substr(first);
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError("cannot read " + path + ": " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return IoError("error reading " + path);
  return text.str();
}

}  // namespace accord::sync::ossl
