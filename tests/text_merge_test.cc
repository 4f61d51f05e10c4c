#include "core/text_merge.h"

#include <gtest/gtest.h>

namespace accord {
namespace {

const char* kMinute =
    "6.2.1 Cambodia presented the draft Plan of Action.\n"
    "6.2.2 Thailand proposed to add a joint training.\n"
    "6.2.3 Both sides agreed to meet again in June.";

TEST(TextMergeTest, DisjointEditsMergeCleanly) {
  std::string kh =
      "6.2.1 Cambodia presented the revised draft Plan of Action.\n"
      "6.2.2 Thailand proposed to add a joint training.\n"
      "6.2.3 Both sides agreed to meet again in June.";
  std::string th =
      "6.2.1 Cambodia presented the draft Plan of Action.\n"
      "6.2.2 Thailand proposed to add a joint training.\n"
      "6.2.3 Both sides agreed to meet again in June 2023 in Bangkok.";
  TextMerge merge = MergeText(kMinute, kh, th);
  ASSERT_TRUE(merge.clean);
  EXPECT_EQ(merge.merged,
            "6.2.1 Cambodia presented the revised draft Plan of Action.\n"
            "6.2.2 Thailand proposed to add a joint training.\n"
            "6.2.3 Both sides agreed to meet again in June 2023 in Bangkok.");
}

TEST(TextMergeTest, InsertionsAndDeletionsOnDifferentLinesMerge) {
  std::string kh = std::string(kMinute) + "\n6.2.4 IOM offered to support the venue.";
  std::string th =
      "6.2.1 Cambodia presented the draft Plan of Action.\n"
      "6.2.3 Both sides agreed to meet again in June.";
  TextMerge merge = MergeText(kMinute, kh, th);
  ASSERT_TRUE(merge.clean);
  EXPECT_EQ(merge.merged,
            "6.2.1 Cambodia presented the draft Plan of Action.\n"
            "6.2.3 Both sides agreed to meet again in June.\n"
            "6.2.4 IOM offered to support the venue.");
}

TEST(TextMergeTest, OverlappingEditsAreNotMerged) {
  std::string kh =
      "6.2.1 Cambodia presented the draft Plan of Action.\n"
      "6.2.2 Thailand proposed to add two joint trainings.\n"
      "6.2.3 Both sides agreed to meet again in June.";
  std::string th =
      "6.2.1 Cambodia presented the draft Plan of Action.\n"
      "6.2.2 Thailand proposed a joint training in 2024.\n"
      "6.2.3 Both sides agreed to meet again in June.";
  EXPECT_FALSE(MergeText(kMinute, kh, th).clean);
}

TEST(TextMergeTest, TheSameEditOnBothSidesIsTakenOnce) {
  std::string both = std::string(kMinute) + "\n6.2.4 Closing.";
  TextMerge merge = MergeText(kMinute, both, both);
  ASSERT_TRUE(merge.clean);
  EXPECT_EQ(merge.merged, both);
}

TEST(TextMergeTest, DiffShowsRemovedAndAddedLines) {
  auto diff = DiffLines("a\nb\nc", "a\nB\nc\nd");
  std::string rendered;
  for (const auto& line : diff) rendered += std::string(1, line.op) + line.text + "|";
  EXPECT_EQ(rendered, " a|-b|+B| c|+d|");
}

}  // namespace
}  // namespace accord
