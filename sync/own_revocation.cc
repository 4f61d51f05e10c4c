#include "sync/own_revocation.h"

#include "core/key_file.h"
#include "sync/openssl_util.h"
#include "sync/revocation_list.h"

namespace accord::sync {

Result<RevocationLock> VerifyOwnRevocation(std::string_view statement,
                                           const std::string& ca_pem_path,
                                           std::string_view own_cert_pem, const std::string& peer,
                                           int64_t now_ms) {
  ASSIGN_OR_RETURN(std::string ca_pem, ossl::ReadFile(ca_pem_path));
  ASSIGN_OR_RETURN(RevocationList list, VerifyRevocationList(statement, ca_pem));
  ASSIGN_OR_RETURN(RevokedSerial entry, FindRevocationOf(list, own_cert_pem));
  RevocationLock lock;
  lock.serial_hex = entry.serial_hex;
  lock.revoked_at_ms = entry.revoked_at_ms;
  lock.issuer = list.issuer;
  lock.learned_from = peer;
  lock.learned_at_ms = now_ms;
  lock.revocation_list = list.pem;
  return lock;
}

Result<std::vector<std::string>> LockRevokedNode(Store& store, RevocationLock lock,
                                                 const std::string& wrapped_key_path) {
  // The database first: once it says locked, no key opens it here, even
  // if destroying the file below fails.
  ASSIGN_OR_RETURN(std::vector<std::string> warnings, store.LockForRevocation(std::move(lock)));
  if (!wrapped_key_path.empty()) {
    Status destroyed = DestroyKeyFile(wrapped_key_path);
    if (!destroyed.ok()) warnings.push_back(destroyed.message());
  }
  return warnings;
}

}  // namespace accord::sync
