// The schema registry: every record type the offices keep, declared once.
// These checks hold for any future type, so a new one cannot ship half-declared.
#include "core/schema.h"

#include <gtest/gtest.h>

#include <set>

namespace accord {
namespace {

TEST(SchemaTest, EveryTypeIsDeclaredWhole) {
  const auto& types = Schema::Get().types();
  ASSERT_FALSE(types.empty());
  std::set<std::string> names, views;
  for (const TypeSpec& type : types) {
    SCOPED_TRACE(type.name);
    EXPECT_FALSE(type.name.empty());
    EXPECT_FALSE(type.help.empty());
    EXPECT_TRUE(names.insert(type.name).second) << "type declared twice";
    EXPECT_FALSE(type.view.empty()) << "no SQL view name";
    EXPECT_TRUE(views.insert(type.view).second) << "view name " << type.view << " used twice";
    EXPECT_EQ(Schema::Get().FindType(type.name), &type);

    bool any_required = false;
    std::set<std::string> fields;
    for (const FieldSpec& field : type.fields) {
      SCOPED_TRACE(field.name);
      EXPECT_TRUE(fields.insert(field.name).second) << "field declared twice";
      // `id` and `type` are the load format's keys and the views' first column;
      // `_deleted` is the tombstone.
      EXPECT_NE(field.name, "id");
      EXPECT_NE(field.name, "type");
      EXPECT_NE(field.name, kDeletedField);
      EXPECT_FALSE(field.help.empty());
      any_required = any_required || field.required;
      if (field.kind == FieldKind::kRef) {
        EXPECT_NE(Schema::Get().FindType(field.ref_type), nullptr)
            << "refers to unknown type '" << field.ref_type << "'";
      } else {
        EXPECT_TRUE(field.ref_type.empty());
      }
      if (field.kind == FieldKind::kEnum) {
        EXPECT_FALSE(field.enum_values.empty()) << "an enum with no values";
        std::set<std::string> distinct(field.enum_values.begin(), field.enum_values.end());
        EXPECT_EQ(distinct.size(), field.enum_values.size()) << "an enum value listed twice";
      } else {
        EXPECT_TRUE(field.enum_values.empty());
      }
      EXPECT_EQ(type.FindField(field.name), &field);
    }
    EXPECT_TRUE(any_required) << "a record with no required field can be empty";
    for (const auto& label : type.label_fields) {
      EXPECT_NE(type.FindField(label), nullptr) << "label field '" << label << "' does not exist";
    }
  }
  EXPECT_EQ(Schema::Get().FindType("treaty"), nullptr);
}

struct ValueCase {
  const char* type;
  const char* field;
  const char* value;
  bool accepted;
  const char* message_part;  // when refused
};

TEST(SchemaTest, ValidateValueAcceptsAndRefusesPerKind) {
  const std::vector<ValueCase> cases = {
      // text: one line
      {"plan", "title", "Plan of Action 2023-2025", true, ""},
      {"plan", "title", "", true, ""},
      {"plan", "title", "two\nlines", false, "line break"},
      // long text: paragraphs
      {"minute", "text", "Both sides agreed.\nIOM will circulate the draft.", true, ""},
      // integer: decimal, signed 64-bit
      {"plan", "period_start", "2023", true, ""},
      {"plan", "period_start", "-1", true, ""},
      {"plan", "period_start", "9223372036854775807", true, ""},
      {"plan", "period_start", "9223372036854775808", false, "not an integer"},
      {"plan", "period_start", "2023.5", false, "not an integer"},
      {"plan", "period_start", "twenty", false, "not an integer"},
      {"plan", "period_start", "", false, "not an integer"},
      {"plan", "period_start", " 2023", false, "not an integer"},
      // date: a real calendar day
      {"meeting", "start_date", "2023-01-18", true, ""},
      {"meeting", "start_date", "2024-02-29", true, ""},
      {"meeting", "start_date", "2023-02-29", false, "not a date"},
      {"meeting", "start_date", "2023-13-01", false, "not a date"},
      {"meeting", "start_date", "2023-1-18", false, "not a date"},
      {"meeting", "start_date", "18/01/2023", false, "not a date"},
      {"meeting", "start_date", "1899-12-31", false, "not a date"},
      // enum: one of the listed values, exactly
      {"plan", "status", "signed", true, ""},
      {"plan", "status", "Signed", false, "not one of: draft, under_review, finalized, signed"},
      {"plan", "status", "approved", false, "not one of"},
      // ref: any id here; existence and type are the store's to check
      {"objective", "plan", "plan-khth-2023", true, ""},
  };
  for (const ValueCase& c : cases) {
    const TypeSpec* type = Schema::Get().FindType(c.type);
    ASSERT_NE(type, nullptr) << c.type;
    const FieldSpec* field = type->FindField(c.field);
    ASSERT_NE(field, nullptr) << c.type << "." << c.field;
    Status st = Schema::ValidateValue(*type, *field, c.value);
    EXPECT_EQ(st.ok(), c.accepted) << c.type << "." << c.field << " = '" << c.value << "'";
    if (!c.accepted) {
      EXPECT_EQ(st.code(), Code::kInvalidArgument);
      // The refusal says where: type.field, and what.
      EXPECT_EQ(st.message().rfind(std::string(c.type) + "." + c.field + ": ", 0), 0u)
          << st.message();
      EXPECT_NE(st.message().find(c.message_part), std::string::npos) << st.message();
    }
  }
}

}  // namespace
}  // namespace accord
