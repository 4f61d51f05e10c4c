// The deployment CA's signed revocation list: an X.509 CRL (RFC 5280, PEM)
// naming the serials of node certificates the CA revoked.
//
// The plain list (`revoked.txt`, PeerVerifier::Load) is an office's own
// word, enough for it to refuse a node. The signed list is the CA's word, so
// it can be shown to anyone, the revoked node included: a node that is told
// "you are revoked" believes it only from a list that verifies against the
// CA it trusts and names its own certificate (own_revocation.h), so a hostile
// peer or network cannot lock an honest node with a forged statement.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace accord::sync {

struct RevokedSerial {
  std::string serial_hex;  // uppercase, no leading zeros (ossl::SerialHex)
  int64_t revoked_at_ms = 0;
};

// A list that verified against a deployment CA.
struct RevocationList {
  std::string pem;     // the CRL as signed, to pass on byte for byte
  std::string issuer;  // the CA's subject, RFC 2253
  int64_t issued_at_ms = 0;
  std::vector<RevokedSerial> revoked;

  const RevokedSerial* Find(std::string_view serial_hex) const;
};

// Checks `crl_pem` against the trust anchors in `ca_pem` (one or several
// certificates): it must be one CRL, its issuer one of the anchors, and its
// signature that anchor's. kInvalidArgument for a text that is not a CRL;
// kPermissionDenied for a CRL of another CA or whose signature does not
// verify (altered, or signed by some other key).
Result<RevocationList> VerifyRevocationList(std::string_view crl_pem, std::string_view ca_pem);

// The entry of `list` that revokes the certificate in `cert_pem`: the list's
// issuer must be the certificate's issuer (serials are unique per CA only)
// and name its serial. kNotFound when the list does not revoke it.
Result<RevokedSerial> FindRevocationOf(const RevocationList& list, std::string_view cert_pem);

// CA side (`accord cert revoke`): the list `previous_pem` (empty: none yet;
// else it must verify against this CA) with `serials_hex` added, revoked at
// `now_ms`, signed with the CA key in ca_dir (ca.pem, ca.key). A serial
// already listed keeps its first date.
Result<std::string> SignRevocationList(const std::string& ca_dir, std::string_view previous_pem,
                                       const std::vector<std::string>& serials_hex, int64_t now_ms);

// The serial of the first certificate in `cert_pem` (ossl::SerialHex).
Result<std::string> CertificateSerial(std::string_view cert_pem);

}  // namespace accord::sync
