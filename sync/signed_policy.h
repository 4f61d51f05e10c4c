// A sharing policy signed for the deployment (docs/sharing.md, "Replacing
// the policy"): the CA signs a new version, every node checks it against
// the CA it trusts before judging with it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/sharing_policy.h"
#include "core/status.h"
#include "core/store.h"
#include "sync/identity.h"

namespace accord::sync {

// The policy version a peer announced (in a hello, a pull or a bundle
// header): 0 comes from a build before signed policies, which holds the
// built-in version 1.
inline int PolicyVersionOf(uint32_t announced) {
  if (announced == 0) return 1;
  return announced > 1'000'000 ? 1'000'000 : static_cast<int>(announced);
}

// What a signature covers: this line, then the policy's JSON byte for byte.
inline constexpr char kPolicySigningContext[] = "accord-policy-v1\n";

// Signs `policy_json` with the deployment CA's key and returns the signed
// document (a JSON object; docs/sharing.md has its fields). Refuses a text
// that is not a policy, a version below 2 (1 is the built-in one), a key
// that does not belong to the certificate, and a certificate that is not a
// CA.
Result<std::string> SignPolicy(std::string_view policy_json, const std::string& ca_cert_path,
                               const std::string& ca_key_path);

// Checks a signed document against the deployment CA `verifier` trusts and
// returns the policy with who signed it (`source` left empty). Refuses, with
// what is wrong: a text that is not a signed policy (kInvalidArgument; an
// unsigned policy says so), a signature that does not verify or a key that
// is not this deployment's CA (kPermissionDenied).
Result<HeldPolicy> VerifySignedPolicy(const PeerVerifier& verifier, std::string_view signed_text);

// Verifies a signed policy a peer sent (by sync or bundle) and keeps it
// with `source` (Store::InstallPolicy): newer than the current one, it is
// current from now on; older, it is kept to judge for peers holding it.
struct TakenPolicy {
  PolicyInstall outcome = PolicyInstall::kAlreadyHeld;
  int version = 0;
};
Result<TakenPolicy> TakeSignedPolicy(Store& store, const PeerVerifier& verifier,
                                     std::string_view signed_text, const std::string& source);

}  // namespace accord::sync
