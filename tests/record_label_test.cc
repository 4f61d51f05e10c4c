// Record labels: the words a reviewer and `accord list` use for a record.
#include "core/record_label.h"

#include <gtest/gtest.h>

namespace accord {
namespace {

RecordView Record(const std::string& type, const std::string& id,
                  const std::map<std::string, std::string>& values) {
  RecordView r;
  r.type = type;
  r.id = id;
  for (const auto& [field, value] : values) {
    FieldVersion v;
    v.field = field;
    v.value = value;
    r.fields[field] = v;
  }
  return r;
}

TEST(RecordLabelTest, LabelFieldsInTheirDeclaredOrderOrTheIdWhenNoneIsSet) {
  auto activity = Record("activity", "act-1", {{"number", "1.3"}, {"description", "Workshops"}});
  EXPECT_EQ(RecordLabelValues(activity), "1.3");
  EXPECT_EQ(RecordLabel(activity), "activity 1.3");

  auto meeting = Record("meeting", "mtg-1", {{"city", "Siem Reap"}, {"start_date", "2023-01-18"}});
  EXPECT_EQ(RecordLabelValues(meeting), "2023-01-18 Siem Reap");
  EXPECT_EQ(RecordLabel(meeting), "meeting 2023-01-18 Siem Reap");

  auto only_city = Record("meeting", "mtg-2", {{"city", "Bangkok"}});
  EXPECT_EQ(RecordLabel(only_city), "meeting Bangkok");

  auto unnamed = Record("family_tracing", "01HQ0000000000000000000000", {{"case", "case-1"}});
  EXPECT_EQ(RecordLabelValues(unnamed), "");
  EXPECT_EQ(RecordLabel(unnamed), "family_tracing 01HQ0000000000000000000000");

  RecordView cleared = Record("case", "case-9", {});
  cleared.fields["reference"].field = "reference";  // cleared: no value
  EXPECT_EQ(RecordLabel(cleared), "case case-9");
}

}  // namespace
}  // namespace accord
