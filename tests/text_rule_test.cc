// The text rule as officers meet it: Khmer, Thai, Vietnamese and Chinese as
// their keyboards and old files send them.
#include "core/text_rule.h"

#include <gtest/gtest.h>
#include <utf8proc.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

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

// NormalizeText skips normalisation for text below U+0300 (core/text_rule.cc):
// true only if no pair of such characters changes under NFC. Checked here
// against utf8proc itself, for every printable pair.
TEST(TextRuleTest, TextBelowTheCombiningMarksIsItsOwnNfc) {
  auto utf8 = [](char32_t cp) {
    utf8proc_uint8_t buf[4];
    auto n = utf8proc_encode_char(static_cast<utf8proc_int32_t>(cp), buf);
    return std::string(reinterpret_cast<char*>(buf), static_cast<size_t>(n));
  };
  std::vector<std::string> chars;
  for (char32_t cp = 0x20; cp < 0x300; ++cp) {
    if (cp >= 0x7f && cp <= 0x9f) continue;  // controls: the rule refuses them
    chars.push_back(utf8(cp));
  }
  size_t changed = 0;
  for (const std::string& a : chars) {
    for (const std::string& b : chars) {
      std::string pair = a + b;
      std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> nfc(
          utf8proc_NFC(reinterpret_cast<const utf8proc_uint8_t*>(pair.c_str())), &std::free);
      ASSERT_TRUE(nfc);
      if (pair != reinterpret_cast<const char*>(nfc.get())) ++changed;
    }
  }
  EXPECT_EQ(changed, 0u);
  // And the fast path gives what the slow one gives, where they meet.
  EXPECT_EQ(NormalizeText("Re\xcc\x81union a\xcc\x80 Phnom Penh", false).value(),
            "R\xc3\xa9union \xc3\xa0 Phnom Penh");
  EXPECT_TRUE(CheckText("Minutes of the 5th meeting, \xc3\xa9t\xc3\xa9", false).ok());
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

TEST(TextRuleTest, CutToBytesNeverEndsInsideACharacter) {
  const std::string khmer = "ការជួញដូរមនុស្ស";  // 3 bytes a character
  for (size_t max = 0; max <= khmer.size() + 1; ++max) {
    std::string_view cut = CutToBytes(khmer, max);
    EXPECT_LE(cut.size(), max);
    EXPECT_GT(cut.size() + 3, std::min(max, khmer.size())) << max;
    EXPECT_TRUE(CheckText(cut, false).ok()) << max;
  }
  EXPECT_EQ(CutToBytes("中柬", 5), "中");
  EXPECT_EQ(CutToBytes("Việt", 3), "Vi");
  EXPECT_EQ(CutToBytes("Việt", 100), "Việt");
}

TEST(TextRuleTest, EscapeForLogKeepsTextAndShowsControlsAndBadBytes) {
  EXPECT_EQ(EscapeForLog("ผู้เสียหาย ចាន់ Việt 中"), "ผู้เสียหาย ចាន់ Việt 中");
  EXPECT_EQ(EscapeForLog("a\nb\r\x1b[2J\t"), "a\\x0Ab\\x0D\\x1B[2J\\x09");
  EXPECT_EQ(EscapeForLog("\xc2\x9b"
                         "31m"),
            "\\xC2\\x9B31m");                               // C1 CSI
  EXPECT_EQ(EscapeForLog("\xaa\xd7 ok"), "\\xAA\\xD7 ok");  // Windows-874, not UTF-8
}

}  // namespace
}  // namespace accord
