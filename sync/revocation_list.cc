// The CA's signed revocation list (revocation_list.h), with OpenSSL 3's
// X509_CRL: the standard format, so `openssl crl -text` reads it too.
#include "sync/revocation_list.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>

#include "sync/openssl_util.h"

namespace accord::sync {
namespace {

using CrlPtr = std::unique_ptr<X509_CRL, ossl::Free<X509_CRL_free>>;
using TimePtr = std::unique_ptr<ASN1_TIME, ossl::Free<ASN1_TIME_free>>;

// A signed list is a few KB per hundred serials; anything far larger is not one.
constexpr size_t kMaxCrlBytes = size_t{4} << 20;
// What `openssl crl` and other tools expect: when to look for a newer list.
// Accord does not refuse an older list (a revocation never expires).
constexpr long kNextUpdateDays = 365;

Result<CrlPtr> ParseCrl(std::string_view pem) {
  if (pem.size() > kMaxCrlBytes) {
    return InvalidArgument("the revocation list is larger than " +
                           std::to_string(kMaxCrlBytes >> 20) + " MiB: not a list of this CA");
  }
  ossl::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return Internal(ossl::ErrorText("BIO_new_mem_buf"));
  CrlPtr crl(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
  if (!crl) {
    ERR_clear_error();
    return InvalidArgument("not a signed revocation list (an X.509 CRL in PEM)");
  }
  return crl;
}

int64_t TimeMs(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

std::string NormalSerial(std::string_view text) {
  std::string hex;
  for (char c : text) {
    if (c == ':') continue;
    hex += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  size_t first = hex.find_first_not_of('0');
  return first == std::string::npos ? (hex.empty() ? hex : "0") : hex.substr(first);
}

}  // namespace

const RevokedSerial* RevocationList::Find(std::string_view serial_hex) const {
  std::string wanted = NormalSerial(serial_hex);
  for (const RevokedSerial& r : revoked) {
    if (r.serial_hex == wanted) return &r;
  }
  return nullptr;
}

Result<std::string> CertificateSerial(std::string_view cert_pem) {
  ASSIGN_OR_RETURN(ossl::X509Ptr cert, ossl::ParseCertificate(cert_pem));
  return ossl::SerialHex(cert.get());
}

Result<RevocationList> VerifyRevocationList(std::string_view crl_pem, std::string_view ca_pem) {
  ASSIGN_OR_RETURN(CrlPtr crl, ParseCrl(crl_pem));
  ASSIGN_OR_RETURN(ossl::CertStackPtr anchors, ossl::ParseCertificates(ca_pem));
  const X509_NAME* issuer = X509_CRL_get_issuer(crl.get());
  char issuer_text[256] = "";
  X509_NAME_oneline(issuer, issuer_text, sizeof(issuer_text));
  const X509* signer = nullptr;
  bool named_anchor = false;
  for (int i = 0; i < sk_X509_num(anchors.get()) && signer == nullptr; ++i) {
    X509* ca = sk_X509_value(anchors.get(), i);
    if (X509_NAME_cmp(issuer, X509_get_subject_name(ca)) != 0) continue;
    named_anchor = true;
    // Checked with the anchor's key, never a key the list brings: a name
    // anyone can copy, a signature only the CA can make.
    if (X509_CRL_verify(crl.get(), X509_get0_pubkey(ca)) == 1) signer = ca;
  }
  ERR_clear_error();
  if (signer == nullptr) {
    if (named_anchor) {
      return PermissionDenied(
          std::string("the revocation list names the deployment CA (") + issuer_text +
          ") but its signature does not verify with that CA's key: altered or forged");
    }
    return PermissionDenied(std::string("the revocation list was issued by ") + issuer_text +
                            ", which is not this deployment's CA");
  }
  RevocationList list;
  list.pem = std::string(crl_pem);
  list.issuer = ossl::SubjectText(signer);
  list.issued_at_ms = TimeMs(X509_CRL_get0_lastUpdate(crl.get()));
  STACK_OF(X509_REVOKED)* entries = X509_CRL_get_REVOKED(crl.get());
  for (int i = 0; i < sk_X509_REVOKED_num(entries); ++i) {
    const X509_REVOKED* entry = sk_X509_REVOKED_value(entries, i);
    list.revoked.push_back({ossl::SerialHex(X509_REVOKED_get0_serialNumber(entry)),
                            TimeMs(X509_REVOKED_get0_revocationDate(entry))});
  }
  return list;
}

Result<RevokedSerial> FindRevocationOf(const RevocationList& list, std::string_view cert_pem) {
  ASSIGN_OR_RETURN(ossl::X509Ptr cert, ossl::ParseCertificate(cert_pem));
  ASSIGN_OR_RETURN(CrlPtr crl, ParseCrl(list.pem));
  std::string serial = ossl::SerialHex(cert.get());
  if (X509_NAME_cmp(X509_CRL_get_issuer(crl.get()), X509_get_issuer_name(cert.get())) != 0) {
    return NotFound("the revocation list is not of the CA that issued certificate " + serial);
  }
  const RevokedSerial* entry = list.Find(serial);
  if (entry == nullptr) return NotFound("the revocation list does not name certificate " + serial);
  return *entry;
}

Result<std::string> SignRevocationList(const std::string& ca_dir, std::string_view previous_pem,
                                       const std::vector<std::string>& serials_hex,
                                       int64_t now_ms) {
  ASSIGN_OR_RETURN(std::string ca_pem, ossl::ReadFile(ca_dir + "/ca.pem"));
  ASSIGN_OR_RETURN(std::string key_pem, ossl::ReadFile(ca_dir + "/ca.key"));
  ASSIGN_OR_RETURN(ossl::X509Ptr ca, ossl::ParseCertificate(ca_pem));
  ASSIGN_OR_RETURN(ossl::PkeyPtr key, ossl::ParsePrivateKey(key_pem));
  if (X509_check_private_key(ca.get(), key.get()) != 1) {
    ERR_clear_error();
    return InvalidArgument(ca_dir + "/ca.key is not the key of " + ca_dir + "/ca.pem");
  }
  // serial -> revoked at (ms): earlier entries keep their dates.
  std::map<std::string, int64_t> entries;
  if (!previous_pem.empty()) {
    auto previous = VerifyRevocationList(previous_pem, ca_pem);
    if (!previous.ok()) return previous.status().WithContext("the list to extend: ");
    for (const RevokedSerial& r : previous->revoked) entries[r.serial_hex] = r.revoked_at_ms;
  }
  for (const std::string& serial : serials_hex) {
    std::string hex = NormalSerial(serial);
    if (hex.empty() || hex.find_first_not_of("0123456789ABCDEF") != std::string::npos) {
      return InvalidArgument("'" + serial + "' is not a certificate serial (hex)");
    }
    entries.emplace(hex, now_ms);
  }

  CrlPtr crl(X509_CRL_new());
  TimePtr now(ASN1_TIME_set(nullptr, static_cast<time_t>(now_ms / 1000)));
  TimePtr next(ASN1_TIME_adj(nullptr, static_cast<time_t>(now_ms / 1000), kNextUpdateDays, 0));
  bool ok = crl && now && next && X509_CRL_set_version(crl.get(), 1) == 1 &&  // v2
            X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca.get())) == 1 &&
            X509_CRL_set1_lastUpdate(crl.get(), now.get()) == 1 &&
            X509_CRL_set1_nextUpdate(crl.get(), next.get()) == 1;
  for (const auto& [hex, at_ms] : entries) {
    if (!ok) break;
    X509_REVOKED* entry = X509_REVOKED_new();
    BIGNUM* bn = nullptr;
    TimePtr at(ASN1_TIME_set(nullptr, static_cast<time_t>(at_ms / 1000)));
    ASN1_INTEGER* serial = nullptr;
    ok = entry != nullptr && at && BN_hex2bn(&bn, hex.c_str()) > 0 &&
         (serial = BN_to_ASN1_INTEGER(bn, nullptr)) != nullptr &&
         X509_REVOKED_set_serialNumber(entry, serial) == 1 &&
         X509_REVOKED_set_revocationDate(entry, at.get()) == 1 &&
         X509_CRL_add0_revoked(crl.get(), entry) == 1;
    ASN1_INTEGER_free(serial);
    BN_free(bn);
    if (!ok) X509_REVOKED_free(entry);
  }
  ok = ok && X509_CRL_sort(crl.get()) == 1 && X509_CRL_sign(crl.get(), key.get(), EVP_sha256()) > 0;
  if (!ok) return Internal(ossl::ErrorText("signing the revocation list"));
  ossl::BioPtr out(BIO_new(BIO_s_mem()));
  if (!out || PEM_write_bio_X509_CRL(out.get(), crl.get()) != 1) {
    return Internal(ossl::ErrorText("PEM_write_bio_X509_CRL"));
  }
  char* data = nullptr;
  long size = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

}  // namespace accord::sync
