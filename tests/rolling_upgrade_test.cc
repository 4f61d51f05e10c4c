// Four governments never upgrade on the same day. A node whose accord knows
// one more field, enum value and record type (the test-only schema
// extension, core/schema.cc) syncs through an older node to a third, over
// real HTTPS between `accord` processes and by bundle, both ways: every node
// converges and nothing the older node does not know is lost.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "server/loopback_port.h"
#include "tests/cli_support.h"
#include "tests/serve_support.h"
#include "tests/test_support.h"

namespace accord {
namespace {

using nlohmann::json;
using testing::Accord;
using testing::CommandResult;
using testing::ServeProcess;

constexpr char kNewer[] = "ACCORD_TEST_SCHEMA_EXTENSION=1";

class RollingUpgradeTest : public ::testing::Test {
 public:
  void SetUp() override {
    ca_ = dir_.File("ca");
    ASSERT_EQ(Accord(dir_.path(), {"cert", "ca", "--out", ca_}).code, 0);
    for (const auto& [id, env] : nodes_) {
      std::string node = Dir(id);
      ASSERT_EQ(Accord(node, {"init", "--node-id", id}, env).code, 0);
      ASSERT_EQ(Accord(node, {"cert", "node", "--ca-dir", ca_}, env).code, 0);
    }
  }
  std::string Dir(const std::string& id) const { return dir_.File(id); }
  std::string EnvOf(const std::string& id) const {
    for (const auto& [node, env] : nodes_) {
      if (node == id) return env;
    }
    return "";
  }
  CommandResult Run(const std::string& id, const std::vector<std::string>& args) {
    return Accord(Dir(id), args, EnvOf(id));
  }
  std::string Put(const std::string& id, const std::vector<std::string>& args) {
    std::vector<std::string> all = {"put"};
    all.insert(all.end(), args.begin(), args.end());
    CommandResult r = Run(id, all);
    EXPECT_EQ(r.code, 0) << id << " put " << args[0];
    return r.out;
  }
  json Get(const std::string& id, const std::string& record) {
    CommandResult r = Run(id, {"get", record, "--json"});
    EXPECT_EQ(r.code, 0) << id << " get " << record;
    return json::parse(r.out, nullptr, false);
  }
  std::string Dump(const std::string& id) { return Run(id, {"dump", "--json"}).out; }

  // The Cambodian capital runs the newer accord, the Thai capital the older
  // one, and the Poi Pet office the newer one again.
  const std::vector<std::pair<std::string, std::string>> nodes_ = {
      {"KH-NCCT", kNewer}, {"TH-MSDHS", ""}, {"KH-POIPET", kNewer}};
  testing::TempDir dir_;
  std::string ca_;
};

// What only the newer nodes know: a budget on an activity, a new progress
// status, and a field visit record, written in Khmer and Thai.
void WriteWhatOnlyTheNewerKnow(RollingUpgradeTest& t, const std::string& id) {
  t.Put(id, {"plan", "--id", "plan-khth", "title=ផែនការសកម្មភាពរួម ២០២៦", "parties=KH,TH"});
  t.Put(id,
        {"objective", "--id", "obj-1", "plan=plan-khth", "number=1", "text=ពង្រឹងកិច្ចសហប្រតិបត្តិការ"});
  t.Put(id,
        {"activity", "--id", "act-1.1", "objective=obj-1", "number=1.1",
         "description=ការបណ្តុះបណ្តាលរួមនៅច្រកព្រំដែន", "budget=12,000 USD", "progress_status=on_hold"});
  t.Put(id, {"field_visit", "--id", "visit-1", "plan=plan-khth", "date=2026-11-20",
             "notes=เยี่ยมด่านอรัญประเทศ ร่วมกับเจ้าหน้าที่กัมพูชา"});
}

void ExpectTheNewerDataWhole(RollingUpgradeTest& t, const std::string& id) {
  json activity = t.Get(id, "act-1.1");
  EXPECT_EQ(activity["fields"]["budget"], "12,000 USD") << id;
  EXPECT_EQ(activity["fields"]["progress_status"], "on_hold") << id;
  json visit = t.Get(id, "visit-1");
  EXPECT_EQ(visit["fields"]["notes"], "เยี่ยมด่านอรัญประเทศ ร่วมกับเจ้าหน้าที่กัมพูชา") << id;
}

TEST_F(RollingUpgradeTest, ANewerNodeSyncsThroughAnOlderOneOverHttpsBothWays) {
  WriteWhatOnlyTheNewerKnow(*this, "KH-NCCT");
  auto port = server::PickFreeLoopbackPort();
  ASSERT_TRUE(port.ok());
  std::string url = "https://127.0.0.1:" + std::to_string(*port);
  // The older Thai capital serves; the newer offices sync with it.
  ServeProcess th(Dir("TH-MSDHS"), *port, dir_.File("th-serve.log"));
  CommandResult pushed = Run("KH-NCCT", {"sync", url, "--json"});
  ASSERT_EQ(pushed.code, 0) << pushed.out;
  EXPECT_TRUE(json::parse(pushed.out)["refused_by_peer"].empty()) << pushed.out;

  // The older node keeps what it does not know and says so.
  json activity = Get("TH-MSDHS", "act-1.1");
  EXPECT_EQ(activity["fields"]["budget"], "12,000 USD");
  EXPECT_EQ(activity["unknown_fields"], json::array({"budget"}));
  EXPECT_EQ(activity["unknown_values"], json::array({"progress_status"}));
  EXPECT_EQ(Get("TH-MSDHS", "visit-1")["unknown_type"], true);
  CommandResult text = Run("TH-MSDHS", {"get", "act-1.1"});
  EXPECT_NE(text.out.find("budget: 12,000 USD   [unknown field]"), std::string::npos) << text.out;

  // An officer at the older node edits what it knows, on the same record.
  Put("TH-MSDHS", {"activity", "--id", "act-1.1", "venue=ด่านพรมแดนอรัญประเทศ"});

  CommandResult pulled = Run("KH-POIPET", {"sync", url, "--json"});
  ASSERT_EQ(pulled.code, 0) << pulled.out;
  ExpectTheNewerDataWhole(*this, "KH-POIPET");
  EXPECT_EQ(Get("KH-POIPET", "act-1.1")["fields"]["venue"], "ด่านพรมแดนอรัญประเทศ");
  EXPECT_FALSE(Get("KH-POIPET", "act-1.1").contains("unknown_fields"));

  // And back to the first newer node, which wrote it.
  ASSERT_EQ(Run("KH-NCCT", {"sync", url}).code, 0);
  EXPECT_EQ(Get("KH-NCCT", "act-1.1")["fields"]["venue"], "ด่านพรมแดนอรัญประเทศ");

  std::string reference = Dump("TH-MSDHS");
  EXPECT_EQ(Dump("KH-NCCT"), reference);
  EXPECT_EQ(Dump("KH-POIPET"), reference);
  EXPECT_EQ(th.Signal(SIGTERM), 0);
}

TEST_F(RollingUpgradeTest, ANewerNodeReachesAThirdThroughAnOlderOneByBundle) {
  WriteWhatOnlyTheNewerKnow(*this, "KH-NCCT");
  std::string to_th = dir_.File("kh-to-th.bundle");
  // The nodes never synced: each bundle's sender learns the receiver's party
  // from its certificate.
  auto cert_of = [&](const std::string& id) { return Dir(id) + "/tls/node.pem"; };
  ASSERT_EQ(Run("KH-NCCT", {"bundle", "create", "--for", "TH-MSDHS", "--receiver-cert",
                            cert_of("TH-MSDHS"), "--out", to_th})
                .code,
            0);
  ASSERT_EQ(Run("TH-MSDHS", {"bundle", "apply", to_th}).code, 0);
  EXPECT_EQ(Get("TH-MSDHS", "act-1.1")["unknown_fields"], json::array({"budget"}));
  Put("TH-MSDHS", {"activity", "--id", "act-1.1", "venue=ด่านพรมแดนอรัญประเทศ"});

  std::string to_poipet = dir_.File("th-to-poipet.bundle");
  ASSERT_EQ(Run("TH-MSDHS", {"bundle", "create", "--for", "KH-POIPET", "--receiver-cert",
                             cert_of("KH-POIPET"), "--out", to_poipet})
                .code,
            0);
  ASSERT_EQ(Run("KH-POIPET", {"bundle", "apply", to_poipet}).code, 0);
  ExpectTheNewerDataWhole(*this, "KH-POIPET");
  EXPECT_EQ(Get("KH-POIPET", "act-1.1")["fields"]["venue"], "ด่านพรมแดนอรัญประเทศ");

  std::string back = dir_.File("th-to-kh.bundle");
  ASSERT_EQ(Run("TH-MSDHS", {"bundle", "create", "--for", "KH-NCCT", "--receiver-cert",
                             cert_of("KH-NCCT"), "--out", back})
                .code,
            0);
  ASSERT_EQ(Run("KH-NCCT", {"bundle", "apply", back}).code, 0);

  std::string reference = Dump("TH-MSDHS");
  EXPECT_EQ(Dump("KH-NCCT"), reference);
  EXPECT_EQ(Dump("KH-POIPET"), reference);
}

}  // namespace
}  // namespace accord
