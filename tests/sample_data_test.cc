// data/sample.json, the dataset every demo and many tests load, checked
// through the real loader and store (it replaced a script that re-parsed
// core/schema.cc with regular expressions).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/json_codec.h"
#include "core/text_rule.h"
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

std::string SampleDir() {
  return std::filesystem::path(SAMPLE_DATA).parent_path().string();
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
  // The scanned minutes, the chart and the case's referral form, as
  // `accord load` attaches them.
  auto files = ParseLoadAttachments(ReadSample(), SampleDir());
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  for (const NewAttachment& file : *files) {
    auto attached = store->Attach(file);
    ASSERT_TRUE(attached.ok()) << file.path << ": " << attached.status().ToString();
  }
  // Every type the offices keep has an example, so demos show all of them.
  auto status = store->GetStatus();
  ASSERT_TRUE(status.ok());
  for (const TypeSpec& type : Schema::Get().types()) {
    EXPECT_GT(status->records_per_type[type.name], 0) << "no sample " << type.name;
  }
}

// The code point of the UTF-8 sequence starting at `text[i]` (the sample is
// valid UTF-8, checked below through the text rule); sets `*length`.
char32_t DecodeAt(const std::string& text, size_t i, size_t* length) {
  auto lead = static_cast<unsigned char>(text[i]);
  *length = lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
  char32_t cp = *length == 1 ? lead : lead & (0x7fu >> *length);
  for (size_t k = 1; k < *length; ++k) {
    cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3fu);
  }
  return cp;
}

// The offices write in their own languages: Khmer, Thai, Vietnamese (with its
// stacked diacritics) and Chinese, in titles, names, minutes and action items.
// Each value is already what the text rule stores, so loading changes nothing.
TEST(SampleDataTest, HoldsKhmerThaiVietnameseAndChineseAsTheOfficesWriteThem) {
  auto writes = ParseLoadDocument(ReadSample());
  ASSERT_TRUE(writes.ok()) << writes.status().ToString();
  std::map<std::string, std::set<std::string>> fields_per_script;
  for (const RecordWrite& record : *writes) {
    const TypeSpec* type = Schema::Get().FindType(record.type);
    ASSERT_NE(type, nullptr) << record.type;
    for (const FieldWrite& field : record.writes) {
      if (!field.value) continue;
      const FieldSpec* spec = type->FindField(field.field);
      ASSERT_NE(spec, nullptr) << record.type << "." << field.field;
      EXPECT_TRUE(CheckText(*field.value, spec->kind == FieldKind::kLongText).ok())
          << *record.id << "." << field.field << " is not stored as written";
      const std::string& text = *field.value;
      for (size_t i = 0, n = 0; i < text.size(); i += n) {
        char32_t cp = DecodeAt(text, i, &n);
        const char* script = cp >= 0x1780 && cp <= 0x17ff   ? "Khmer"
                             : cp >= 0x0e00 && cp <= 0x0e7f ? "Thai"
                             : cp >= 0x1ea0 && cp <= 0x1eff ? "Vietnamese"  // ạ ả ấ … ộ ữ ỹ
                             : cp >= 0x4e00 && cp <= 0x9fff ? "Chinese"
                                                            : nullptr;
        if (script) fields_per_script[script].insert(record.type + "." + field.field);
      }
    }
  }
  for (const char* script : {"Khmer", "Thai", "Vietnamese", "Chinese"}) {
    EXPECT_GE(fields_per_script[script].size(), 4u) << script << " in too few kinds of field";
  }
  for (const char* script : {"Khmer", "Thai", "Vietnamese"}) {
    for (const char* field :
         {"meeting.title", "participant.name", "minute.text", "action_item.action"}) {
      EXPECT_EQ(fields_per_script[script].count(field), 1u) << "no " << script << " " << field;
    }
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

// A meeting opens by reviewing the previous one's next steps, and each side
// presents its own assessment (seed 003 §5.1.1, §7.7): the sample shows both,
// a Cambodian assessment in Khmer and a Thai one in Thai of the same activity
// and period.
TEST(SampleDataTest, CarriesFollowUpsAndEachPartysOwnAssessment) {
  auto writes = ParseLoadDocument(ReadSample());
  ASSERT_TRUE(writes.ok());
  auto value = [](const RecordWrite& r, const std::string& field) {
    for (const FieldWrite& w : r.writes) {
      if (w.field == field && w.value) return *w.value;
    }
    return std::string();
  };
  std::set<std::string> action_items;
  for (const RecordWrite& r : *writes) {
    if (r.type == "action_item") action_items.insert(*r.id);
  }
  std::set<std::string> followed_up_by;                     // the types that follow items up
  std::map<std::string, std::set<std::string>> narratives;  // "activity period" -> party:script
  for (const RecordWrite& r : *writes) {
    std::string item = value(r, "follows_up");
    if (!item.empty()) {
      EXPECT_EQ(action_items.count(item), 1u) << *r.id << " follows up " << item;
      followed_up_by.insert(r.type);
    }
    if (r.type != "progress_assessment") continue;
    std::string narrative = value(r, "narrative");
    size_t n = 0;
    char32_t first = narrative.empty() ? 0 : DecodeAt(narrative, 0, &n);
    std::string script = first >= 0x1780 && first <= 0x17ff   ? "Khmer"
                         : first >= 0x0e00 && first <= 0x0e7f ? "Thai"
                                                              : "other";
    narratives[value(r, "activity") + " " + value(r, "period")].insert(value(r, "party") + ":" +
                                                                       script);
  }
  EXPECT_EQ(followed_up_by, (std::set<std::string>{"decision", "minute"}));
  bool both = false;
  for (const auto& [activity_period, parties] : narratives) {
    if (parties.count("KH:Khmer") && parties.count("TH:Thai")) both = true;
  }
  EXPECT_TRUE(both) << "no activity and period assessed by both KH (in Khmer) and TH (in Thai)";
}

// The secretariat opens the Siem Reap meeting and finds the minutes both
// heads of delegation signed, as a real PDF; the plan carries its progress
// chart as a real PNG; the case's referral form is a case attachment,
// personal like the case.
TEST(SampleDataTest, CarriesSignedMinutesAsPdfAChartAsPngAndACaseForm) {
  auto writes = ParseLoadDocument(ReadSample());
  ASSERT_TRUE(writes.ok());
  TempDir dir;
  auto store = NewStore(dir, "KH-NCCT");
  ASSERT_TRUE(store->PutMany(*writes).ok());
  auto files = ParseLoadAttachments(ReadSample(), SampleDir());
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  for (const NewAttachment& file : *files) ASSERT_TRUE(store->Attach(file).ok()) << file.path;

  auto minutes = store->Attachments("mtg-2023-01-18-siemreap");
  ASSERT_TRUE(minutes.ok()) << minutes.status().ToString();
  ASSERT_EQ(minutes->size(), 1u);
  EXPECT_EQ((*minutes)[0].type, "attachment");
  EXPECT_EQ((*minutes)[0].media_type, "application/pdf");
  EXPECT_TRUE((*minutes)[0].held);
  auto head = store->ReadAttachment((*minutes)[0], 0, 8);
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(*head, "%PDF-1.4");
  EXPECT_NE((*minutes)[0].caption.find("ลงนาม"), std::string::npos);  // Thai: signed

  auto chart = store->Attachments("plan-khth-2023");
  ASSERT_TRUE(chart.ok());
  ASSERT_EQ(chart->size(), 1u);
  EXPECT_EQ((*chart)[0].media_type, "image/png");
  auto png = store->ReadAttachment((*chart)[0], 0, 8);
  ASSERT_TRUE(png.ok());
  EXPECT_EQ(*png, std::string("\x89PNG\r\n\x1a\n", 8));

  auto form = store->Attachments("case-kh-2023-021");
  ASSERT_TRUE(form.ok());
  ASSERT_EQ(form->size(), 1u);
  EXPECT_EQ((*form)[0].type, "case_attachment");
  EXPECT_TRUE(store->IsPersonalType((*form)[0].type));
}

}  // namespace
}  // namespace accord
