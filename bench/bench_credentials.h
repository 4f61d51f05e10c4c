// One deployment for a benchmark run: a CA and a key per node id, made on
// first use, so that benchmarked nodes seal and check writes as deployed
// nodes do.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "bench/bench_support.h"
#include "sync/identity.h"
#include "sync/signed_changes.h"
#include "sync/signed_policy.h"

namespace accord::bench {

class BenchDeployment {
 public:
  static BenchDeployment& Get() {
    static BenchDeployment deployment;
    return deployment;
  }
  sync::Credentials For(const std::string& node) {
    auto it = signers_.find(node);
    if (it == signers_.end()) {
      std::string dir = dir_.File(node);
      Check(sync::MakeNodeCertificate(dir_.File("ca"), node, dir, sync::PartyFromNodeId(node)),
            "node certificate");
      auto signer = Check(sync::NodeSigner::Load(dir + "/node.pem", dir + "/node.key"), "key");
      it = signers_.emplace(node, std::make_unique<sync::NodeSigner>(std::move(signer))).first;
    }
    return {it->second.get(), verifier_.get()};
  }
  // A sharing policy signed by this deployment's CA (sync/signed_policy.h).
  std::string SignPolicy(const std::string& policy_json) {
    return Check(sync::SignPolicy(policy_json, dir_.File("ca/ca.pem"), dir_.File("ca/ca.key")),
                 "signing the policy");
  }
  const sync::PeerVerifier& verifier() const { return *verifier_; }

 private:
  BenchDeployment() {
    Check(sync::MakeDeploymentCa(dir_.File("ca"), "Benchmark deployment"), "CA");
    verifier_ = std::make_unique<sync::PeerVerifier>(
        Check(sync::PeerVerifier::Load(dir_.File("ca/ca.pem"), ""), "verifier"));
  }
  TempDir dir_;
  std::unique_ptr<sync::PeerVerifier> verifier_;
  std::map<std::string, std::unique_ptr<sync::NodeSigner>> signers_;
};

inline sync::Credentials CredentialsFor(const std::string& node_id) {
  return BenchDeployment::Get().For(node_id);
}
inline sync::Credentials CredentialsFor(const Store& store) {
  return CredentialsFor(store.node_id());
}

}  // namespace accord::bench
