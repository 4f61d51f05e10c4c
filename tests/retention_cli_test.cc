// `accord retention prune` and what `accord history` says of pruned values
// (issue 12.5, docs/sharing.md "Retention"), run as an office runs them.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/store.h"
#include "tests/cli_support.h"
#include "tests/test_support.h"

namespace accord {
namespace {

using nlohmann::json;
using testing::Accord;
using testing::OnDisk;
using testing::TempDir;

const std::string kOldInitials = "ឈ្មោះចាស់-ក្នុងឆ្នាំ២០២៣-៤៤";  // replaced in 2023
const std::string kLastYearInitials = "ชื่อเมื่อปีก่อน-๒๓";      // replaced today
const std::string kCurrentInitials = "Tên hiện tại-CLI-61";
const std::string kOldPlanTitle = "PLAN-HISTORY-CLI-MARKER-7730";

class RetentionCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node = dir.File("kh");
    ca = dir.File("ca");
    ASSERT_EQ(Accord(node, {"init", "--node-id", "KH-NCCT"}).code, 0);
    ASSERT_EQ(Accord("", {"cert", "ca", "--out", ca}).code, 0);
    ASSERT_EQ(Accord(node, {"cert", "node", "--ca-dir", ca}).code, 0);
    // History written in November 2023 (a clock the test controls), then
    // the initials replaced again today by the binary.
    {
      testing::FakeClock clock;
      auto store = Store::Open(node + "/accord.db", StoreOptions{clock.Fn()});
      ASSERT_TRUE(store.ok()) << store.status().ToString();
      auto id = (*store)->Put(
          {"case", "case-kh-2023-014", {{"reference", "KH-2023-014"}, {"initials", kOldInitials}}});
      ASSERT_TRUE(id.ok()) << id.status().ToString();
      ASSERT_TRUE((*store)->Put({"case", *id, {{"initials", kLastYearInitials}}}).ok());
      auto plan = (*store)->Put({"plan", "plan-kh-th-2023", {{"title", kOldPlanTitle}}});
      ASSERT_TRUE(plan.ok()) << plan.status().ToString();
      ASSERT_TRUE((*store)->Put({"plan", *plan, {{"title", "Joint plan 2023-2027"}}}).ok());
    }
    ASSERT_EQ(
        Accord(node, {"put", "case", "--id", "case-kh-2023-014", "initials=" + kCurrentInitials})
            .code,
        0);
  }

  // The deployment keeps superseded case values 30 days (and names plans,
  // which are not personal data).
  void InstallRetention() {
    json policy = json::parse(Accord(node, {"policy", "show", "--json"}).out);
    for (const char* key : {"source", "versions_held", "signer", "key_id", "installed_at"}) {
      policy.erase(key);
    }
    policy["version"] = 2;
    policy["retention"] = {{"superseded_days", {{"case", 30}, {"plan", 30}}}};
    std::ofstream(dir.File("policy-v2.json")) << policy.dump(2);
    ASSERT_EQ(Accord("", {"policy", "sign", "--ca-dir", ca, "--in", dir.File("policy-v2.json"),
                          "--out", dir.File("policy-v2.signed")})
                  .code,
              0);
    ASSERT_EQ(Accord(node, {"policy", "install", dir.File("policy-v2.signed")}).code, 0);
  }

  std::string Db() const { return node + "/accord.db"; }

  TempDir dir;
  std::string node, ca;
};

TEST_F(RetentionCliTest, PruneHasHelpAndNeedsASubcommand) {
  auto help = Accord(node, {"retention", "prune", "--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("--dry-run"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("--json"), std::string::npos) << help.out;
  EXPECT_EQ(Accord(node, {"retention"}).code, 2);
  EXPECT_EQ(Accord(node, {"retention", "prune", "--days", "3"}).code, 2);
}

TEST_F(RetentionCliTest, WithoutRetentionInThePolicyNothingIsPruned) {
  auto run = Accord(node, {"retention", "prune"});
  ASSERT_EQ(run.code, 0);
  EXPECT_NE(run.out.find("no retention"), std::string::npos) << run.out;
  EXPECT_TRUE(OnDisk(Db(), kOldInitials));
}

TEST_F(RetentionCliTest, AnOfficePrunesWhatThePolicySaysAndHistoryTellsIt) {
  InstallRetention();
  EXPECT_NE(Accord(node, {"policy", "show"}).out.find("superseded values of case kept 30 days"),
            std::string::npos);

  auto dry = Accord(node, {"retention", "prune", "--dry-run", "--json"});
  ASSERT_EQ(dry.code, 0) << dry.out;
  json planned = json::parse(dry.out);
  EXPECT_EQ(planned["dry_run"], true);
  EXPECT_EQ(planned["pruned"], 1);
  EXPECT_EQ(planned["policy_version"], 2);
  EXPECT_TRUE(OnDisk(Db(), kOldInitials));

  auto run = Accord(node, {"retention", "prune"});
  ASSERT_EQ(run.code, 0) << run.out;
  EXPECT_NE(run.out.find("case: kept 30 days; pruned 1 superseded value(s) of 1 record(s)"),
            std::string::npos)
      << run.out;
  EXPECT_NE(run.out.find("plan: not personal data on this node; its history is kept"),
            std::string::npos)
      << run.out;
  EXPECT_FALSE(OnDisk(Db(), kOldInitials));
  EXPECT_TRUE(OnDisk(Db(), kLastYearInitials));  // replaced today: inside the 30 days
  EXPECT_TRUE(OnDisk(Db(), kCurrentInitials));
  EXPECT_TRUE(OnDisk(Db(), kOldPlanTitle));

  auto history = Accord(node, {"history", "case-kh-2023-014", "initials"});
  ASSERT_EQ(history.code, 0);
  EXPECT_NE(history.out.find("initials: 1 older value(s) pruned under the retention setting "
                             "(superseded values kept 30 days)"),
            std::string::npos)
      << history.out;
  EXPECT_NE(history.out.find("written 2023-11-14"), std::string::npos) << history.out;
  EXPECT_NE(history.out.find(kLastYearInitials), std::string::npos);
  auto history_json = Accord(node, {"history", "case-kh-2023-014", "initials", "--json"});
  ASSERT_EQ(history_json.code, 0);
  json entries = json::parse(history_json.out);
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_TRUE(entries[0].contains("pruned_at"));
  EXPECT_TRUE(entries[0]["value"].is_null());
  EXPECT_FALSE(entries[1].contains("pruned_at"));

  auto again = Accord(node, {"retention", "prune", "--json"});
  ASSERT_EQ(again.code, 0);
  json second = json::parse(again.out);
  EXPECT_EQ(second["pruned"], 0);
  EXPECT_EQ(second["dry_run"], false);
  ASSERT_EQ(second["types"].size(), 1u);
  EXPECT_EQ(second["types"][0]["type"], "case");
  EXPECT_EQ(second["types"][0]["days"], 30);
  EXPECT_EQ(second["not_personal"], json::array({"plan"}));
}

}  // namespace
}  // namespace accord
