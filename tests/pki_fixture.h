// A throwaway deployment for tests: a CA, offices with certificates, and a
// second, unrelated deployment whose certificates must never be accepted.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "sync/identity.h"
#include "sync/signed_changes.h"
#include "tests/test_support.h"

namespace accord::testing {

inline void WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

// Directory layout: <root>/ca (the deployment CA), <root>/<NODE> per office,
// <root>/other-ca and <root>/other-<NODE> for the foreign deployment.
class PkiFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sync::MakeDeploymentCa(ca_dir(), "Accord test deployment").ok());
    ASSERT_TRUE(sync::MakeDeploymentCa(dir_ / "other-ca", "Someone else's deployment").ok());
  }

  std::string ca_dir() const { return dir_ / "ca"; }
  std::string node_dir(const std::string& node) const { return dir_ / node; }
  std::string cert(const std::string& node) const { return dir_ / (node + "/node.pem"); }
  std::string key(const std::string& node) const { return dir_ / (node + "/node.key"); }
  std::string ca_pem() const { return dir_ / "ca/ca.pem"; }
  std::string revoked_path() const { return dir_ / "revoked.txt"; }
  // The CA's signed revocation list, as an office would keep it beside
  // revoked.txt (tls/revoked.crl); absent until a test writes it.
  std::string crl_path() const { return dir_ / "revoked.crl"; }

  // Issues `node`'s certificate from this deployment's CA.
  void Enrol(const std::string& node) {
    Status st =
        sync::MakeNodeCertificate(ca_dir(), node, node_dir(node), sync::PartyFromNodeId(node));
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  // Issues a certificate for `node` from the foreign CA, into other-<node>.
  void EnrolElsewhere(const std::string& node) {
    Status st = sync::MakeNodeCertificate(dir_ / "other-ca", node, node_dir("other-" + node));
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  // `node`'s key (after Enrol) and this deployment's trust, as its accord
  // loads them from its tls/ folder: what it seals its writes with and checks
  // every state it receives against. Thread-safe; call ReloadTrust() after
  // editing the revocation list.
  sync::Credentials Credentials(const std::string& node) {
    std::lock_guard<std::mutex> lock(credentials_mu_);
    if (!verifier_) LoadTrust();
    auto it = signers_.find(node);
    if (it == signers_.end()) {
      auto signer = sync::NodeSigner::Load(cert(node), key(node));
      EXPECT_TRUE(signer.ok()) << signer.status().ToString();
      it = signers_.emplace(node, std::make_shared<sync::NodeSigner>(std::move(signer).value()))
               .first;
    }
    return {it->second.get(), verifier_.get()};
  }
  void ReloadTrust() {
    std::lock_guard<std::mutex> lock(credentials_mu_);
    LoadTrust();
  }

  TempDir dir_;

 private:
  void LoadTrust() {
    auto verifier = sync::PeerVerifier::Load(ca_pem(), revoked_path());
    EXPECT_TRUE(verifier.ok()) << verifier.status().ToString();
    // Earlier verifiers stay alive: credentials handed out may still point at them.
    old_verifiers_.push_back(std::move(verifier_));
    verifier_ = std::make_shared<sync::PeerVerifier>(std::move(verifier).value());
  }
  std::mutex credentials_mu_;
  std::shared_ptr<sync::PeerVerifier> verifier_;
  std::vector<std::shared_ptr<sync::PeerVerifier>> old_verifiers_;
  std::map<std::string, std::shared_ptr<sync::NodeSigner>> signers_;
};

}  // namespace accord::testing
