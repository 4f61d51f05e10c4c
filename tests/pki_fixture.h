// A throwaway deployment for tests: a CA, offices with certificates, and a
// second, unrelated deployment whose certificates must never be accepted.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "sync/identity.h"
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

  // Issues `node`'s certificate from this deployment's CA.
  void Enrol(const std::string& node) {
    Status st = sync::MakeNodeCertificate(ca_dir(), node, node_dir(node));
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  // Issues a certificate for `node` from the foreign CA, into other-<node>.
  void EnrolElsewhere(const std::string& node) {
    Status st = sync::MakeNodeCertificate(dir_ / "other-ca", node, node_dir("other-" + node));
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  TempDir dir_;
};

}  // namespace accord::testing
