// data/sample.json, the dataset every demo and many tests load, checked
// through the real loader and store (it replaced a script that re-parsed
// core/schema.cc with regular expressions).
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
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

TEST(SampleDataTest, CasesAreVisiblyFictional) {
  auto writes = ParseLoadDocument(ReadSample());
  ASSERT_TRUE(writes.ok());
  const std::regex initials(R"((?:[A-Z][a-z]?\.\s?){1,4})");
  int cases = 0;
  for (const RecordWrite& record : *writes) {
    if (record.type != "case") continue;
    ++cases;
    for (const FieldWrite& field : record.writes) {
      if (!field.value) continue;
      if (field.field == "initials") {
        EXPECT_TRUE(std::regex_match(*field.value, initials))
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
