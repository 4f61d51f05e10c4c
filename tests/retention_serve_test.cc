// Retention applied without anybody asking (docs/sharing.md, "Retention"):
// `accord serve` prunes before it serves, and `accord sync` after a sync.
// Real processes; the history is dated 2023 by a clock the test controls.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/store.h"
#include "server/loopback_port.h"
#include "tests/cli_support.h"
#include "tests/serve_support.h"
#include "tests/test_support.h"

namespace accord {
namespace {

using nlohmann::json;
using testing::Accord;
using testing::OnDisk;
using testing::ServeProcess;

const std::string kOldShelter = "ที่พักเก่า-ต้องลบ-SERVE-81";
const std::string kCurrentShelter = "មណ្ឌលថ្មី-SERVE-82";

class RetentionServeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ca_ = dir_.File("ca");
    kh_ = dir_.File("KH-NCCT");
    th_ = dir_.File("TH-MSDHS");
    ASSERT_EQ(Accord(dir_.path(), {"cert", "ca", "--out", ca_}).code, 0);
    for (const auto& [node, id] : {std::pair{kh_, "KH-NCCT"}, std::pair{th_, "TH-MSDHS"}}) {
      ASSERT_EQ(Accord(node, {"init", "--node-id", id}).code, 0);
      ASSERT_EQ(Accord(node, {"cert", "node", "--ca-dir", ca_}).code, 0);
    }
    {
      testing::FakeClock clock;  // November 2023
      auto store = Store::Open(kh_ + "/accord.db", StoreOptions{clock.Fn()});
      ASSERT_TRUE(store.ok()) << store.status().ToString();
      auto id = (*store)->Put(
          {"case", "case-kh-2023-020", {{"reference", "KH-2023-020"}, {"shelter", kOldShelter}}});
      ASSERT_TRUE(id.ok()) << id.status().ToString();
      ASSERT_TRUE((*store)->Put({"case", *id, {{"shelter", kCurrentShelter}}}).ok());
    }
    json policy = json::parse(Accord(kh_, {"policy", "show", "--json"}).out);
    for (const char* key : {"source", "versions_held", "signer", "key_id", "installed_at"}) {
      policy.erase(key);
    }
    policy["version"] = 2;
    policy["retention"] = {{"superseded_days", {{"case", 365}}}};
    std::ofstream(dir_.File("policy.json")) << policy.dump(2);
    ASSERT_EQ(Accord("", {"policy", "sign", "--ca-dir", ca_, "--in", dir_.File("policy.json"),
                          "--out", dir_.File("policy.signed")})
                  .code,
              0);
    ASSERT_EQ(Accord(kh_, {"policy", "install", dir_.File("policy.signed")}).code, 0);
    ASSERT_TRUE(OnDisk(Db(), kOldShelter));
    auto port = server::PickFreeLoopbackPort();
    ASSERT_TRUE(port.ok());
    port_ = *port;
  }

  std::string Db() const { return kh_ + "/accord.db"; }

  testing::TempDir dir_;
  std::string ca_, kh_, th_;
  int port_ = 0;
};

TEST_F(RetentionServeTest, ServePrunesBeforeItServes) {
  std::string log = dir_.File("serve.log");
  auto server = std::make_unique<ServeProcess>(kh_, port_, log);
  ASSERT_TRUE(testing::Accepts(port_));
  EXPECT_EQ(server->Signal(SIGTERM), 0);
  EXPECT_FALSE(OnDisk(Db(), kOldShelter));
  EXPECT_TRUE(OnDisk(Db(), kCurrentShelter));
  EXPECT_NE(testing::FileBytes(log).find("retention: "), std::string::npos)
      << testing::FileBytes(log);
}

// An office that never exchanged with another purges a case: nobody else
// can hold it, so serve's retention run collects its tombstone at once
// (docs/security.md, "Collecting tombstones"); an audit line stays.
TEST_F(RetentionServeTest, ServeCollectsATombstoneNobodyElseCanHold) {
  ASSERT_EQ(Accord(kh_, {"purge", "case-kh-2023-020", "--reason", "ករណីស្ទួន (duplicate case)"}).code,
            0);
  json before = json::parse(Accord(kh_, {"purge", "list", "--json"}).out);
  ASSERT_EQ(before.size(), 1u);
  EXPECT_FALSE(before[0].contains("collected"));
  std::string log = dir_.File("serve.log");
  auto server = std::make_unique<ServeProcess>(kh_, port_, log);
  ASSERT_TRUE(testing::Accepts(port_));
  EXPECT_EQ(server->Signal(SIGTERM), 0);
  EXPECT_NE(testing::FileBytes(log).find("collected the tombstone of case case-kh-2023-020"),
            std::string::npos)
      << testing::FileBytes(log);
  json after = json::parse(Accord(kh_, {"purge", "list", "--json"}).out);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0]["collected"], true);
  EXPECT_EQ(after[0]["reason"], "ករណីស្ទួន (duplicate case)");
  EXPECT_FALSE(OnDisk(Db(), kOldShelter));
}

TEST_F(RetentionServeTest, SyncPrunesAfterASyncAndSaysSo) {
  auto thai = std::make_unique<ServeProcess>(th_, port_, dir_.File("th-serve.log"));
  ASSERT_TRUE(testing::Accepts(port_));
  auto sync = Accord(kh_, {"sync", "https://127.0.0.1:" + std::to_string(port_), "--json"});
  ASSERT_EQ(sync.code, 0) << sync.out;
  json summary = json::parse(sync.out);
  ASSERT_TRUE(summary.contains("retention")) << sync.out;
  EXPECT_EQ(summary["retention"]["pruned"], 1);
  EXPECT_FALSE(OnDisk(Db(), kOldShelter));
  // Bangkok took the policy in the hello; the case stayed in Cambodia.
  json th_policy = json::parse(Accord(th_, {"policy", "show", "--json"}).out);
  EXPECT_EQ(th_policy["retention"]["superseded_days"]["case"], 365);
}

}  // namespace
}  // namespace accord
