// Where a record is, as far as a node knows (`accord get`, the review page),
// and how much is held back from each peer (`accord status`): issue 11's
// "visible".
#include <gtest/gtest.h>

#include "tests/test_support.h"

namespace accord {
namespace {

using testing::PutOk;
using testing::SyncOk;

const NodeHolding* Find(const RecordSharing& sharing, const std::string& node) {
  for (const NodeHolding& n : sharing.nodes) {
    if (n.node == node) return &n;
  }
  return nullptr;
}

TEST(RecordSharingTest, ANodeShowsWhoMayHoldARecordWhoHoldsItAndWhatIsHeldBackFromEachPeer) {
  testing::ThreeOffices o;
  PutOk(*o.kh, {"case", "case-shared",
                testing::SharedCase("TH-KH", {{"reference", "KH-2026-031"},
                                              {"notes", "បានរកឃើញគ្រួសារនៅខេត្តព្រៃវែង"}})});
  PutOk(*o.kh, {"case",
                "case-refused",
                {{"reference", "KH-2026-032"},
                 {"direction", std::string("TH-KH")},
                 {"consent", std::string("refused")},
                 {"notes", std::string("មិនព្រមចែករំលែក")}}});
  // A peer reports its knowledge when a sync starts: the second round tells
  // KH-NCCT what the first one delivered.
  for (int round = 0; round < 2; ++round) {
    SyncOk(*o.th, *o.kh);
    SyncOk(*o.border, *o.kh);
  }

  auto shared = o.kh->SharingOf("case-shared");
  ASSERT_TRUE(shared.ok()) << shared.status().ToString();
  EXPECT_EQ(shared->scope.parties, (std::set<std::string>{"KH", "TH"}));
  ASSERT_NE(Find(*shared, "TH-MSDHS"), nullptr);
  EXPECT_TRUE(Find(*shared, "TH-MSDHS")->may_hold);
  EXPECT_EQ(Find(*shared, "TH-MSDHS")->holds, NodeHolding::Holds::kCurrent);
  EXPECT_EQ(Find(*shared, "KH-POIPET")->holds, NodeHolding::Holds::kCurrent);
  EXPECT_EQ(Find(*shared, "KH-NCCT"), nullptr);  // not itself

  auto refused = o.kh->SharingOf("case-refused");
  ASSERT_TRUE(refused.ok()) << refused.status().ToString();
  EXPECT_FALSE(Find(*refused, "TH-MSDHS")->may_hold);
  EXPECT_EQ(Find(*refused, "TH-MSDHS")->holds, NodeHolding::Holds::kNone);
  EXPECT_TRUE(Find(*refused, "KH-POIPET")->may_hold);
  EXPECT_EQ(Find(*refused, "KH-POIPET")->holds, NodeHolding::Holds::kCurrent);

  // An edit the Thai capital has not received yet: it holds an older state.
  PutOk(*o.kh, {"case", "case-shared", {{"notes", std::string("ក្រុមគ្រួសារយល់ព្រមទទួល")}}});
  EXPECT_EQ(Find(*o.kh->SharingOf("case-shared"), "TH-MSDHS")->holds, NodeHolding::Holds::kSome);

  auto held_back = o.kh->HeldBackPerPeer();
  ASSERT_TRUE(held_back.ok()) << held_back.status().ToString();
  std::map<std::string, int64_t> counts;
  for (const auto& p : *held_back) counts[p.peer_id] = p.records_held_back;
  EXPECT_EQ(counts, (std::map<std::string, int64_t>{{"KH-POIPET", 0}, {"TH-MSDHS", 1}}));
}

}  // namespace
}  // namespace accord
