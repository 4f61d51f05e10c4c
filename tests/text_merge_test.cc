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

// Minutes of the Tây Ninh meeting, typed by the Vietnamese secretariat.
const char* kVietnameseMinute =
    "1. Hai bên thống nhất trao đổi danh sách nạn nhân bị mua bán trước khi bàn giao.\n"
    "2. Phía Campuchia thông báo đã tiếp nhận 7 nạn nhân là công dân Việt Nam.\n"
    "3. Cuộc họp tiếp theo tổ chức tại Phnôm Pênh.";

TEST(TextMergeTest, VietnameseEditsOnDifferentLinesMergeWithTheirDiacritics) {
  std::string vn =
      "1. Hai bên thống nhất trao đổi danh sách nạn nhân bị mua bán ít nhất 15 ngày trước khi "
      "bàn giao.\n"
      "2. Phía Campuchia thông báo đã tiếp nhận 7 nạn nhân là công dân Việt Nam.\n"
      "3. Cuộc họp tiếp theo tổ chức tại Phnôm Pênh.";
  std::string kh =
      "1. Hai bên thống nhất trao đổi danh sách nạn nhân bị mua bán trước khi bàn giao.\n"
      "2. Phía Campuchia thông báo đã tiếp nhận 7 nạn nhân là công dân Việt Nam.\n"
      "3. Cuộc họp tiếp theo tổ chức tại Phnôm Pênh vào tháng 12 năm 2022.\n"
      "4. Đại diện IOM tham dự buổi bàn giao tại cửa khẩu Mộc Bài – Bavet.";
  TextMerge merge = MergeText(kVietnameseMinute, vn, kh);
  ASSERT_TRUE(merge.clean);
  EXPECT_EQ(merge.merged,
            "1. Hai bên thống nhất trao đổi danh sách nạn nhân bị mua bán ít nhất 15 ngày trước "
            "khi bàn giao.\n"
            "2. Phía Campuchia thông báo đã tiếp nhận 7 nạn nhân là công dân Việt Nam.\n"
            "3. Cuộc họp tiếp theo tổ chức tại Phnôm Pênh vào tháng 12 năm 2022.\n"
            "4. Đại diện IOM tham dự buổi bàn giao tại cửa khẩu Mộc Bài – Bavet.");
  // Edits of adjacent lines (1 and 2) make one hunk: left to the reviewer.
  std::string kh_line2 =
      "1. Hai bên thống nhất trao đổi danh sách nạn nhân bị mua bán trước khi bàn giao.\n"
      "2. Phía Campuchia thông báo đã tiếp nhận 7 nạn nhân, trong đó có 2 trẻ em.\n"
      "3. Cuộc họp tiếp theo tổ chức tại Phnôm Pênh.";
  EXPECT_FALSE(MergeText(kVietnameseMinute, vn, kh_line2).clean);
}

// The sub-steps of activity 1 of the Cambodia–China plan, in Chinese.
const char* kChineseSteps = "起草行动计划草案\n审议行动计划草案\n召开会议，最终确定行动计划草案";

TEST(TextMergeTest, ChineseEditsMergeLineByLineAndOverlapsAreLeftToTheReviewer) {
  TextMerge merge = MergeText(
      kChineseSteps, "起草行动计划草案（柬方）\n审议行动计划草案\n召开会议，最终确定行动计划草案",
      "起草行动计划草案\n审议行动计划草案\n在中国召开会议，最终确定行动计划草案");
  ASSERT_TRUE(merge.clean);
  EXPECT_EQ(merge.merged,
            "起草行动计划草案（柬方）\n审议行动计划草案\n在中国召开会议，最终确定行动计划草案");
  // Both sides rewrote the second step: no suggestion, a person decides.
  EXPECT_FALSE(
      MergeText(kChineseSteps,
                "起草行动计划草案\n中方审议行动计划草案\n召开会议，最终确定行动计划草案",
                "起草行动计划草案\n中柬双方审议行动计划草案\n召开会议，最终确定行动计划草案")
          .clean);
}

TEST(TextMergeTest, DiffOfVietnameseLinesKeepsWholeCharacters) {
  auto diff = DiffLines("Hồi hương\nTái hòa nhập", "Hồi hương\nTái hoà nhập cộng đồng");
  ASSERT_EQ(diff.size(), 3u);
  EXPECT_EQ(diff[0].op, ' ');
  EXPECT_EQ(diff[1].op, '-');
  EXPECT_EQ(diff[1].text, "Tái hòa nhập");
  EXPECT_EQ(diff[2].op, '+');
  EXPECT_EQ(diff[2].text, "Tái hoà nhập cộng đồng");
}

}  // namespace
}  // namespace accord
