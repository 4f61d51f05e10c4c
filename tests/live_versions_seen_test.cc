#include "core/live_versions_seen.h"

#include <gtest/gtest.h>

namespace accord {
namespace {

// A case at the Poipet checkpoint, written by the Cambodian office (counters
// 7 and 9, log seqs 40 and 41) and relayed here by the Thai ministry.
LiveVersionsSeen CaseWrittenInCambodia() {
  LiveVersionsSeen live;
  live.Add(41, "KH-POIPET", 9, "TH-MSDHS");
  live.Add(40, "KH-POIPET", 7, "TH-MSDHS");
  return live;
}

TEST(LiveVersionsSeenTest, NoLiveVersionNeedsNothing) {
  EXPECT_FALSE(LiveVersionsSeen().NeedsBackfill(1000, VersionVector(), "VN-MOLISA"));
}

TEST(LiveVersionsSeenTest, NewInThisStretchOfTheLogAndUnknownToTheReaderNeedsNothing) {
  EXPECT_FALSE(CaseWrittenInCambodia().NeedsBackfill(39, VersionVector(), "VN-MOLISA"));
}

TEST(LiveVersionsSeenTest, AVersionBehindTheCursorNeedsBackfill) {
  EXPECT_TRUE(CaseWrittenInCambodia().NeedsBackfill(40, VersionVector(), "VN-MOLISA"));
}

TEST(LiveVersionsSeenTest, TheLowestCounterOfAnOriginIsWhatKnowledgeIsComparedWith) {
  VersionVector knows_up_to_7;
  knows_up_to_7.Set("KH-POIPET", 7);
  EXPECT_TRUE(CaseWrittenInCambodia().NeedsBackfill(39, knows_up_to_7, "VN-MOLISA"));
  VersionVector knows_up_to_6;
  knows_up_to_6.Set("KH-POIPET", 6);
  EXPECT_FALSE(CaseWrittenInCambodia().NeedsBackfill(39, knows_up_to_6, "VN-MOLISA"));
}

TEST(LiveVersionsSeenTest, TheReadersOwnWriteOrOneItSentNeedsBackfill) {
  EXPECT_TRUE(CaseWrittenInCambodia().NeedsBackfill(39, VersionVector(), "KH-POIPET"));
  EXPECT_TRUE(CaseWrittenInCambodia().NeedsBackfill(39, VersionVector(), "TH-MSDHS"));
}

// A backup reads as no node; a version written here was sent by no node.
TEST(LiveVersionsSeenTest, AReaderThatIsNoNodeIsNeverTheOriginOrTheSender) {
  LiveVersionsSeen written_here;
  written_here.Add(12, "KH-POIPET", 3, "");
  EXPECT_FALSE(written_here.NeedsBackfill(11, VersionVector(), ""));
}

}  // namespace
}  // namespace accord
