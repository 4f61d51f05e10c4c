// data/sample.json, the dataset every demo and many tests load, checked
// through the real loader and store (it replaced a script that re-parsed
// core/schema.cc with regular expressions).
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "core/json_codec.h"
#include "tests/test_support.h"

namespace accord {
namespace {

using testing::NewStore;
using testing::TempDir;

std::string ReadSample() {
  std::ifstream in(SAMPLE_DATA, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(SampleDataTest, LoadsThroughTheStoreWithEveryReferenceResolved) {
  auto writes = ParseLoadDocument(ReadSample());
  ASSERT_TRUE(writes.ok()) << writes.status().ToString();
  TempDir dir;
  auto store = NewStore(dir, "KH-NCCT");
  auto ids = store->PutMany(*writes);
  ASSERT_TRUE(ids.ok()) << ids.status().ToString();
  EXPECT_EQ(ids->size(), writes->size());
  std::set<std::string> unique(ids->begin(), ids->end());
  EXPECT_EQ(unique.size(), ids->size()) << "record ids repeat";
  // Every type the offices keep has an example, so demos show all of them.
  auto status = store->GetStatus();
  ASSERT_TRUE(status.ok());
  for (const TypeSpec& type : Schema::Get().types()) {
    EXPECT_GT(status->records_per_type[type.name], 0) << "no sample " << type.name;
  }
}

// "P.R.", "S. K.", "Th.N.": one to four letters (a capital, maybe one small
// letter), each with a dot and maybe a space. (Not std::regex: GCC 12 warns
// inside it under the sanitizers, and warnings are errors.)
bool LooksLikeInitials(const std::string& text) {
  size_t i = 0, letters = 0;
  auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  auto lower = [](char c) { return c >= 'a' && c <= 'z'; };
  while (i < text.size()) {
    if (!upper(text[i++])) return false;
    if (i < text.size() && lower(text[i])) ++i;
    if (i >= text.size() || text[i++] != '.') return false;
    if (i < text.size() && text[i] == ' ') ++i;
    ++letters;
  }
  return letters >= 1 && letters <= 4;
}

TEST(SampleDataTest, CasesAreVisiblyFictional) {
  auto writes = ParseLoadDocument(ReadSample());
  ASSERT_TRUE(writes.ok());
  int cases = 0;
  for (const RecordWrite& record : *writes) {
    if (record.type != "case") continue;
    ++cases;
    for (const FieldWrite& field : record.writes) {
      if (!field.value) continue;
      if (field.field == "initials") {
        EXPECT_TRUE(LooksLikeInitials(*field.value))
            << *record.id << ": '" << *field.value << "' looks like more than initials";
      }
      if (field.field == "notes") {
        EXPECT_EQ(field.value->rfind("FICTIONAL EXAMPLE —", 0), 0u)
            << *record.id << ": sample case notes must begin with \"FICTIONAL EXAMPLE —\"";
      }
    }
  }
  EXPECT_GT(cases, 0);
}

}  // namespace
}  // namespace accord
