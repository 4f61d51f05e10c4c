// The `accord load` input format (core/json_codec.h).
#include "core/json_codec.h"

#include <gtest/gtest.h>

namespace accord {
namespace {

// Found by fuzz/json_load_fuzz.cc: a number too large for a double is valid
// JSON syntax, so the parser threw out_of_range, not parse_error, and the
// uncaught exception aborted `accord load`.
TEST(ParseLoadDocumentTest, NumberOverflowIsRefusedNotAnAbort) {
  for (const char* text : {
           R"({"records": [{"type": "plan", "id": "p1", "title": 1e400}]})",
           R"([{"type": "meeting", "title": -1e400}])",
           R"({"records": 1e999})",
       }) {
    auto parsed = ParseLoadDocument(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.status().code(), Code::kInvalidArgument) << text;
    EXPECT_NE(parsed.status().message().find("1e"), std::string::npos) << parsed.status().message();
  }
}

TEST(ParseLoadDocumentTest, SyntaxErrorNamesWhereItIs) {
  auto parsed = ParseLoadDocument("{\"records\": [");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), Code::kInvalidArgument);
  EXPECT_NE(parsed.status().message().find("not valid JSON"), std::string::npos);
}

}  // namespace
}  // namespace accord
