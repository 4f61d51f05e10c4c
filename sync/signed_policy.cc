#include "sync/signed_policy.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <nlohmann/json.hpp>

#include "sync/openssl_util.h"

namespace accord::sync {

namespace {

using json = nlohmann::json;

constexpr int kSignedPolicyFormat = 1;

}  // namespace

Result<std::string> SignPolicy(std::string_view policy_json, const std::string& ca_cert_path,
                               const std::string& ca_key_path) {
  auto policy = SharingPolicy::Parse(policy_json);
  if (!policy.ok()) return policy.status();
  if (policy->version < 2) {
    return InvalidArgument("policy: version " + std::to_string(policy->version) +
                           " cannot replace the built-in version 1; give it version 2 or above");
  }
  if (policy_json.size() > kMaxSignedPolicyBytes) {
    return InvalidArgument("policy: larger than " + std::to_string(kMaxSignedPolicyBytes) +
                           " bytes");
  }
  ASSIGN_OR_RETURN(std::string cert_pem, ossl::ReadFile(ca_cert_path));
  ASSIGN_OR_RETURN(std::string key_pem, ossl::ReadFile(ca_key_path));
  auto cert = ossl::ParseCertificate(cert_pem);
  if (!cert.ok()) return cert.status().WithContext(ca_cert_path + ": ");
  auto key = ossl::ParsePrivateKey(key_pem);
  if (!key.ok()) return key.status().WithContext(ca_key_path + ": ");
  if (X509_check_private_key(cert->get(), key->get()) != 1) {
    ERR_clear_error();
    return InvalidArgument("the key in " + ca_key_path + " does not belong to the certificate in " +
                           ca_cert_path);
  }
  if (X509_check_ca(cert->get()) <= 0) {
    return InvalidArgument(ca_cert_path + " (" + ossl::SubjectText(cert->get()) +
                           ") is not a CA certificate: only the deployment CA signs the policy");
  }
  ASSIGN_OR_RETURN(std::string key_id, ossl::KeyIdHex(X509_get0_pubkey(cert->get())));
  ASSIGN_OR_RETURN(
      std::string signature,
      ossl::SignSha256(key->get(), std::string(kPolicySigningContext) + std::string(policy_json)));
  json doc = {
      {"accord_signed_policy", kSignedPolicyFormat}, {"version", policy->version},
      {"signer", ossl::SubjectText(cert->get())},    {"key_id", key_id},
      {"policy", std::string(policy_json)},          {"signature", Base64Encode(signature)}};
  return doc.dump(2) + "\n";
}

Result<HeldPolicy> VerifySignedPolicy(const PeerVerifier& verifier, std::string_view signed_text) {
  if (signed_text.size() > kMaxSignedPolicyBytes + 4096) {
    return InvalidArgument("signed policy: larger than any policy a node takes");
  }
  json doc = json::parse(signed_text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return InvalidArgument("not a signed policy: not a JSON object");
  }
  if (!doc.contains("accord_signed_policy")) {
    if (doc.contains("roots") || doc.contains("follow")) {
      return InvalidArgument(
          "an unsigned policy: only a policy the deployment CA signed is taken (sign it with "
          "`accord policy sign`)");
    }
    return InvalidArgument("not a signed policy: no accord_signed_policy field");
  }
  const json& format = doc["accord_signed_policy"];
  if (!format.is_number_integer() || format.get<int>() != kSignedPolicyFormat) {
    return IncompatibleVersion("signed policy: format " + format.dump() +
                               " is not one this accord reads (1): upgrade accord");
  }
  for (const char* field : {"key_id", "policy", "signature"}) {
    if (!doc.contains(field) || !doc[field].is_string()) {
      return InvalidArgument(std::string("signed policy: no ") + field + " text");
    }
  }
  const std::string key_id = doc["key_id"].get<std::string>();
  const std::string text = doc["policy"].get<std::string>();
  auto signature = Base64Decode(doc["signature"].get<std::string>());
  if (!signature.ok()) return InvalidArgument("signed policy: the signature is not base64");
  // The signature first: nothing of an unsigned text is believed, not even
  // its version.
  auto signer =
      verifier.VerifyCaSigned(key_id, std::string(kPolicySigningContext) + text, *signature);
  if (!signer.ok()) {
    return Status(signer.status().code(), "signed policy: " + signer.status().message());
  }
  auto policy = SharingPolicy::Parse(text);
  if (!policy.ok()) return policy.status().WithContext("signed policy: ");
  if (policy->version < 2) {
    return InvalidArgument("signed policy: version " + std::to_string(policy->version) +
                           " cannot replace the built-in version 1");
  }
  HeldPolicy held;
  held.policy = std::move(policy).value();
  held.signed_text = std::string(signed_text);
  held.signer = std::move(signer).value();
  held.key_id = key_id;
  return held;
}

Result<TakenPolicy> TakeSignedPolicy(Store& store, const PeerVerifier& verifier,
                                     std::string_view signed_text, const std::string& source) {
  ASSIGN_OR_RETURN(HeldPolicy held, VerifySignedPolicy(verifier, signed_text));
  held.source = source;
  TakenPolicy taken;
  taken.version = held.policy.version;
  ASSIGN_OR_RETURN(taken.outcome, store.InstallPolicy(held));
  return taken;
}

}  // namespace accord::sync
