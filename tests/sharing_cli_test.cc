// `accord policy show`, `accord where` and `accord cert node --party`
// (issue 11): who receives what, as an officer asks it.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "tests/cli_support.h"
#include "tests/test_support.h"

namespace accord {
namespace {

using nlohmann::json;
using testing::Accord;
using testing::TempDir;

class SharingCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node = dir.File("kh");
    ASSERT_EQ(Accord(node, {"init", "--node-id", "KH-NCCT"}).code, 0);
    ASSERT_EQ(Accord(node, {"load", SAMPLE_DATA}).code, 0);
    ASSERT_EQ(Accord("", {"cert", "ca", "--out", dir.File("ca")}).code, 0);
  }
  TempDir dir;
  std::string node;
};

TEST_F(SharingCliTest, PolicyShowPrintsTheVersionedPolicyAsJson) {
  auto shown = Accord(node, {"policy", "show", "--json"});
  ASSERT_EQ(shown.code, 0);
  json policy = json::parse(shown.out);
  EXPECT_EQ(policy["version"], 1);
  EXPECT_EQ(policy["roots"]["case"]["consent_field"], "consent");
  EXPECT_EQ(policy["follow"]["family_tracing"][0], "case");
}

TEST_F(SharingCliTest, TheNodesPartyComesFromItsCertificateAndDecidesWhereItsCasesGo) {
  auto cert = Accord(node, {"cert", "node", "--ca-dir", dir.File("ca"), "--json"});
  ASSERT_EQ(cert.code, 0);
  EXPECT_EQ(json::parse(cert.out)["party"], "KH");
  // KH-2023-021: the victim refused to have the case shared.
  auto refused = Accord(node, {"where", "case-kh-2023-021", "--json"});
  ASSERT_EQ(refused.code, 0);
  json scope = json::parse(refused.out);
  EXPECT_EQ(scope["parties"], json::array({"KH"}));
  EXPECT_EQ(scope["owner_party"], "KH");
  // A joint plan goes to both parties named in it.
  json plan = json::parse(Accord(node, {"where", "plan-khth-2023", "--json"}).out);
  EXPECT_EQ(plan["parties"], json::array({"KH", "TH"}));
  // Offices everywhere.
  auto text = Accord(node, {"where", "plan-khth-2023"});
  EXPECT_NE(text.out.find("may go to: KH, TH"), std::string::npos) << text.out;
}

TEST_F(SharingCliTest, GetAndStatusShowWhereARecordMayGoAndWhatIsHeldBack) {
  ASSERT_EQ(Accord(node, {"cert", "node", "--ca-dir", dir.File("ca")}).code, 0);
  auto text = Accord(node, {"get", "case-kh-2023-021"});
  ASSERT_EQ(text.code, 0) << text.out;
  EXPECT_NE(text.out.find("may go to: KH ("), std::string::npos) << text.out;
  auto as_json = Accord(node, {"get", "case-kh-2023-021", "--json"});
  ASSERT_EQ(as_json.code, 0) << as_json.out;
  json sharing = json::parse(as_json.out)["sharing"];
  EXPECT_EQ(sharing["parties"], json::array({"KH"}));
  EXPECT_EQ(sharing["everyone"], false);
  EXPECT_TRUE(sharing["nodes"].is_array());
  // No peer synced with yet: nothing is counted as held back.
  auto status = Accord(node, {"status", "--json"});
  ASSERT_EQ(status.code, 0) << status.out;
  EXPECT_EQ(json::parse(status.out)["held_back_per_peer"], json::array());
}

TEST_F(SharingCliTest, ABadPartyCodeOrRecordIdIsAUsageOrInputError) {
  auto bad = Accord(node, {"cert", "node", "--ca-dir", dir.File("ca"), "--node-id", "TH-X", "--out",
                           dir.File("x"), "--party", "thai"});
  EXPECT_EQ(bad.code, 1);
  EXPECT_FALSE(std::filesystem::exists(dir.File("x") + "/node.pem"));
  EXPECT_EQ(Accord(node, {"where", "no such id!"}).code, 2);
  EXPECT_EQ(Accord(node, {"where", "case-none"}).code, 1);
}

}  // namespace
}  // namespace accord
