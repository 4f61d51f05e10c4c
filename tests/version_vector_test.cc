#include "core/version_vector.h"

#include <gtest/gtest.h>

namespace accord {
namespace {

VersionVector VV(std::string_view text) {
  return VersionVector::FromText(text).value();
}

TEST(VersionVectorTest, EmptyVectorsAreEqual) {
  EXPECT_EQ(VersionVector().Compare(VersionVector()), Order::kEqual);
}

TEST(VersionVectorTest, IncrementDominatesWhatCameBefore) {
  VersionVector before = VV("KH-NCCT:2,TH-MSDHS:5");
  VersionVector after = before;
  after.Set("KH-NCCT", 3);
  EXPECT_EQ(after.Compare(before), Order::kAfter);
  EXPECT_EQ(before.Compare(after), Order::kBefore);
  EXPECT_TRUE(before.DominatedByOrEqual(after));
  EXPECT_FALSE(after.DominatedByOrEqual(before));
}

TEST(VersionVectorTest, AMissingEntryCountsAsZero) {
  EXPECT_EQ(VV("KH-NCCT:1").Compare(VV("KH-NCCT:1,TH-MSDHS:1")), Order::kBefore);
  EXPECT_EQ(VV("TH-MSDHS:1").Compare(VV("KH-NCCT:1")), Order::kConcurrent);
}

TEST(VersionVectorTest, EditsOnTwoOfficesWithoutSyncAreConcurrent) {
  VersionVector base = VV("KH-NCCT:4");
  VersionVector kh = base, th = base;
  kh.Set("KH-NCCT", 5);
  th.Set("TH-MSDHS", 1);
  EXPECT_EQ(kh.Compare(th), Order::kConcurrent);
  EXPECT_EQ(th.Compare(kh), Order::kConcurrent);
}

TEST(VersionVectorTest, MergeIsThePointwiseMaximum) {
  VersionVector a = VV("A:3,B:1");
  a.MergeFrom(VV("B:4,C:2"));
  EXPECT_EQ(a.ToText(), "A:3,B:4,C:2");
  EXPECT_EQ(VV("A:3,B:1").Compare(a), Order::kBefore);
  EXPECT_EQ(VV("B:4,C:2").Compare(a), Order::kBefore);
}

TEST(VersionVectorTest, TextFormIsCanonicalAndRoundTrips) {
  VersionVector vv;
  vv.Set("TH-MSDHS", 7);
  vv.Set("KH-NCCT", 2);
  vv.Set("KH-POIPET", 9);
  EXPECT_EQ(vv.ToText(), "KH-NCCT:2,KH-POIPET:9,TH-MSDHS:7");
  EXPECT_EQ(VV(vv.ToText()), vv);
  vv.Set("KH-POIPET", 0);
  EXPECT_EQ(vv.ToText(), "KH-NCCT:2,TH-MSDHS:7");
}

TEST(VersionVectorTest, MalformedTextIsRejectedWithTheEntry) {
  for (const char* bad :
       {"A", "A:", "A:0", "A:x", "B:1,A:1", "A:1,A:2", "bad node:1", "A:-1", ",A:1"}) {
    auto parsed = VersionVector::FromText(bad);
    EXPECT_FALSE(parsed.ok()) << bad;
    if (!parsed.ok()) {
      EXPECT_EQ(parsed.status().code(), Code::kCorruption) << bad;
    }
  }
}

}  // namespace
}  // namespace accord
