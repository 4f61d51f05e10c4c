// When a peer shows this node that its certificate is revoked (a lost or
// stolen laptop: docs/security.md), the node checks the statement and, if it
// holds, locks its personal data until an administrator re-keys it
// (docs/encryption.md, "When the node is revoked").
//
// The statement is the deployment CA's signed revocation list
// (revocation_list.h). A certificate authenticates a peer, it does not make
// it trustworthy: the list is believed only if it verifies against the CA
// this node already trusts, is of the CA that issued this node's
// certificate, and names that certificate's serial. Anything else (forged,
// unsigned, altered, another CA's, naming another node or an older
// certificate of this one) locks nothing.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/store.h"

namespace accord::sync {

// Checks `statement` (what `peer` showed) against the CA certificates in
// `ca_pem_path` and this node's certificate `own_cert_pem`. The lock to
// apply, or why not: kInvalidArgument (not a revocation list),
// kPermissionDenied (not signed by this deployment's CA), kNotFound (it does
// not revoke this node's certificate).
Result<RevocationLock> VerifyOwnRevocation(std::string_view statement,
                                           const std::string& ca_pem_path,
                                           std::string_view own_cert_pem, const std::string& peer,
                                           int64_t now_ms);

// Locks `store` (Store::LockForRevocation), then destroys the wrapped data
// key at `wrapped_key_path` (DestroyKeyFile), so that the passphrase no
// longer opens anything here. Returns warnings to show.
Result<std::vector<std::string>> LockRevokedNode(Store& store, RevocationLock lock,
                                                 const std::string& wrapped_key_path);

}  // namespace accord::sync
