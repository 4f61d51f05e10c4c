// `accord policy sign`, `install` and `show` (issue 11, docs/sharing.md,
// "Replacing the policy"), run as a deployment's CA operator and an office
// run them.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/cli_support.h"
#include "tests/test_support.h"

namespace accord {
namespace {

using nlohmann::json;
using testing::Accord;
using testing::TempDir;

void Write(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

class PolicyCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node = dir.File("kh");
    ca = dir.File("ca");
    ASSERT_EQ(Accord(node, {"init", "--node-id", "KH-NCCT"}).code, 0);
    ASSERT_EQ(Accord("", {"cert", "ca", "--out", ca}).code, 0);
    ASSERT_EQ(Accord(node, {"cert", "node", "--ca-dir", ca}).code, 0);
    // Version 2: a meeting recorded without a plan stays with its party.
    auto shown = Accord(node, {"policy", "show", "--json"});
    ASSERT_EQ(shown.code, 0);
    json policy = json::parse(shown.out);
    for (const char* key : {"source", "versions_held", "signer", "key_id", "installed_at"}) {
      policy.erase(key);
    }
    policy["version"] = 2;
    policy["roots"]["meeting"]["unstated"] = "owner";
    Write(dir.File("policy-v2.json"), policy.dump(2));
  }
  TempDir dir;
  std::string node, ca;
};

TEST_F(PolicyCliTest, EveryPolicyCommandHasHelp) {
  for (const char* command : {"sign", "install", "show"}) {
    auto help = Accord(node, {"policy", command, "--help"});
    EXPECT_EQ(help.code, 0) << command;
    EXPECT_NE(help.out.find("--json"), std::string::npos) << command << ": " << help.out;
  }
  EXPECT_NE(Accord(node, {"policy", "sign", "--help"}).out.find("--ca-dir"), std::string::npos);
}

TEST_F(PolicyCliTest, TheCaSignsANewVersionAndAnOfficeInstallsIt) {
  auto sign = Accord("", {"policy", "sign", "--ca-dir", ca, "--in", dir.File("policy-v2.json"),
                          "--out", dir.File("policy-v2.signed"), "--json"});
  ASSERT_EQ(sign.code, 0) << sign.out;
  EXPECT_EQ(json::parse(sign.out)["version"], 2);

  auto install = Accord(node, {"policy", "install", dir.File("policy-v2.signed"), "--json"});
  ASSERT_EQ(install.code, 0) << install.out;
  json installed = json::parse(install.out);
  EXPECT_EQ(installed["version"], 2);
  EXPECT_EQ(installed["previous_version"], 1);
  EXPECT_NE(installed["signer"].get<std::string>().find("Accord deployment CA"), std::string::npos);

  json shown = json::parse(Accord(node, {"policy", "show", "--json"}).out);
  EXPECT_EQ(shown["version"], 2);
  EXPECT_EQ(shown["roots"]["meeting"]["unstated"], "owner");
  EXPECT_EQ(shown["source"], "installed");
  EXPECT_EQ(shown["versions_held"], json::array({1, 2}));
  EXPECT_EQ(shown["key_id"].get<std::string>().size(), 64u);
  auto text = Accord(node, {"policy", "show"});
  ASSERT_EQ(text.code, 0);
  EXPECT_NE(text.out.find("sharing policy version 2 (signed by "), std::string::npos) << text.out;

  // A meeting recorded without a plan now stays in Cambodia.
  auto put = Accord(node, {"put", "meeting", "--id", "mtg-kh-2026-poipet",
                           "title=កិច្ចប្រជុំគ្រប់គ្រងករណីនៅប៉ោយប៉ែត", "start_date=2026-03-04"});
  ASSERT_EQ(put.code, 0);
  json where = json::parse(Accord(node, {"where", "mtg-kh-2026-poipet", "--json"}).out);
  EXPECT_EQ(where["everyone"], false);
  EXPECT_EQ(where["parties"], json::array({"KH"}));
}

TEST_F(PolicyCliTest, InstallRefusesUnsignedSameOrOlderVersionsAndChangesNothing) {
  // Unsigned.
  auto unsigned_install = Accord(node, {"policy", "install", dir.File("policy-v2.json")});
  EXPECT_EQ(unsigned_install.code, 1);
  ASSERT_EQ(Accord("", {"policy", "sign", "--ca-dir", ca, "--in", dir.File("policy-v2.json"),
                        "--out", dir.File("policy-v2.signed")})
                .code,
            0);
  ASSERT_EQ(Accord(node, {"policy", "install", dir.File("policy-v2.signed")}).code, 0);
  // The same version again, then an older one.
  EXPECT_EQ(Accord(node, {"policy", "install", dir.File("policy-v2.signed")}).code, 1);
  // Tampered: the signature no longer covers the text.
  std::ifstream in(dir.File("policy-v2.signed"));
  json doc = json::parse(in);
  json inner = json::parse(doc["policy"].get<std::string>());
  inner["version"] = 3;
  inner["everyone"].push_back("case");
  doc["policy"] = inner.dump();
  Write(dir.File("policy-v3.tampered"), doc.dump());
  EXPECT_EQ(Accord(node, {"policy", "install", dir.File("policy-v3.tampered")}).code, 1);
  json shown = json::parse(Accord(node, {"policy", "show", "--json"}).out);
  EXPECT_EQ(shown["version"], 2);
  EXPECT_EQ(shown["versions_held"], json::array({1, 2}));
}

TEST_F(PolicyCliTest, BadUsageExitsWithTwoAndBadInputWithOne) {
  // No CA named, no file to install: usage.
  EXPECT_EQ(Accord("", {"policy", "sign", "--in", dir.File("policy-v2.json"), "--out",
                        dir.File("x.signed")})
                .code,
            2);
  EXPECT_EQ(Accord(node, {"policy", "install"}).code, 2);
  EXPECT_EQ(Accord(node, {"policy", "frobnicate"}).code, 2);
  // Not a policy, or version 1: failure, and no file written.
  Write(dir.File("broken.json"), "{\"version\": \"ສອງ\"");
  EXPECT_EQ(Accord("", {"policy", "sign", "--ca-dir", ca, "--in", dir.File("broken.json"), "--out",
                        dir.File("broken.signed")})
                .code,
            1);
  EXPECT_FALSE(std::ifstream(dir.File("broken.signed")).good());
  EXPECT_EQ(Accord("", {"policy", "sign", "--ca-dir", ca, "--in", dir.File("missing.json"), "--out",
                        dir.File("missing.signed")})
                .code,
            1);
}

}  // namespace
}  // namespace accord
