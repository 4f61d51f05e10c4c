// The text rule as officers meet it: Khmer, Thai, Vietnamese and Chinese as
// their keyboards and old files send them.
#include "core/text_rule.h"

#include <gtest/gtest.h>

namespace accord {
namespace {

TEST(TextRuleTest, RealLanguagesPassUnchanged) {
  for (const std::string text : {
           "កិច្ចប្រជុំគណៈកម្មាធិការចម្រុះ ស្តីពីការប្រយុទ្ធប្រឆាំងការជួញដូរមនុស្ស",  // Khmer, with coeng
           "การประชุมคณะกรรมการร่วมว่าด้วยการต่อต้านการค้ามนุษย์",        // Thai
           "Kế hoạch hành động chung Việt Nam – Campuchia",      // Vietnamese (NFC)
           "中柬联合行动计划（2023—2025年）",                    // Chinese
       }) {
    auto normalized = NormalizeText(text, false);
    ASSERT_TRUE(normalized.ok()) << normalized.status().ToString();
    EXPECT_EQ(*normalized, text);
    EXPECT_TRUE(CheckText(text, false).ok());
  }
}

TEST(TextRuleTest, VietnameseTypedDecomposedBecomesTheSameValue) {
  const std::string nfc = "Việt Nam";                  // ệ as one code point, U+1EC7
  const std::string nfd = "Vie\xcc\xa3\xcc\x82t Nam";  // e + U+0323 + U+0302
  ASSERT_NE(nfc, nfd);
  EXPECT_EQ(NormalizeText(nfd, false).value(), nfc);
  Status refused = CheckText(nfd, false);
  EXPECT_EQ(refused.code(), Code::kInvalidArgument);
  EXPECT_NE(refused.message().find("NFC"), std::string::npos);
}

TEST(TextRuleTest, ThaiFromAWindows874FileIsRefusedWithItsPlace) {
  // "ค้ามนุษย์" (trafficking) in TIS-620 / Windows-874, pasted as raw bytes.
  const std::string tis620 = "\xa4\xe9\xd2\xc1\xb9\xd8\xc9\xc2\xec";
  auto refused = NormalizeText("Case note: " + tis620, true);
  EXPECT_EQ(refused.status().code(), Code::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("not valid UTF-8 at byte 11"), std::string::npos)
      << refused.status().message();
}

TEST(TextRuleTest, NulAndControlCharactersAreRefused) {
  EXPECT_NE(NormalizeText(std::string("ok\0cut", 6), true).status().message().find("NUL"),
            std::string::npos);
  EXPECT_NE(NormalizeText("bell\x07", true).status().message().find("U+0007"), std::string::npos);
  EXPECT_NE(NormalizeText("next line\xc2\x85", true).status().message().find("U+0085"),
            std::string::npos);
  EXPECT_NE(NormalizeText("del\x7f", false).status().message().find("U+007F"), std::string::npos);
}

TEST(TextRuleTest, LineBreaksOnlyInLongTextAndAlwaysAsLineFeeds) {
  EXPECT_EQ(NormalizeText("ថ្ងៃទី១\r\nថ្ងៃទី២\rថ្ងៃទី៣\n", true).value(), "ថ្ងៃទី១\nថ្ងៃទី២\nថ្ងៃទី៣\n");
  EXPECT_EQ(NormalizeText("a\tb", true).value(), "a\tb");
  EXPECT_NE(NormalizeText("one\ntwo", false).status().message().find("line break at byte 3"),
            std::string::npos);
  EXPECT_FALSE(NormalizeText("a\tb", false).ok());
  EXPECT_FALSE(CheckText("windows\r\n", true).ok());
}

TEST(TextRuleTest, AValueHasAMaximumSize) {
  std::string largest(kMaxValueBytes, 'a');
  EXPECT_TRUE(NormalizeText(largest, true).ok());
  auto refused = NormalizeText(largest + "a", true);
  EXPECT_NE(refused.status().message().find("over the limit of 262144"), std::string::npos);
}

}  // namespace
}  // namespace accord
