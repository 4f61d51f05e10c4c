// The secretariat's reports on the sample data (data/sample.json): which
// action items are still open or overdue, where each was last reviewed, and
// each party's assessment of the plan.
#include "core/reports.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/display_width.h"
#include "core/json_codec.h"
#include "tests/test_support.h"

namespace accord {
namespace {

using testing::NewStore;
using testing::PutOk;
using testing::TempDir;

ActionQuery AsOf(const std::string& today) {
  ActionQuery query;
  query.today = today;
  return query;
}
ActionQuery WithOpenOnly(ActionQuery q, bool v) {
  return q.open_only = v, q;
}
ActionQuery WithOverdueOnly(ActionQuery q, bool v) {
  return q.overdue_only = v, q;
}
ActionQuery WithMeeting(ActionQuery q, const std::string& v) {
  return q.meeting = v, q;
}
ActionQuery WithParty(ActionQuery q, const std::string& v) {
  return q.party = v, q;
}

class ReportsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ifstream in(SAMPLE_DATA, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    auto writes = ParseLoadDocument(text.str());
    ASSERT_TRUE(writes.ok()) << writes.status().ToString();
    ASSERT_TRUE(store_->PutMany(*writes).ok());
  }
  std::vector<ActionRow> Actions(ActionQuery query) {
    auto rows = ReportActions(*store_, query);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() ? *rows : std::vector<ActionRow>{};
  }
  static const ActionRow* Find(const std::vector<ActionRow>& rows, const std::string& id) {
    for (const ActionRow& r : rows) {
      if (r.id == id) return &r;
    }
    return nullptr;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_ = NewStore(dir_, "KH-NCCT");
};

TEST_F(ReportsTest, EachItemShowsTheMeetingThatLastReviewedIt) {
  auto rows = Actions(AsOf("2023-07-01"));
  // Poi Pet, February: send the list of victims awaiting return; reviewed
  // at Sa Kaeo in March (minute 3, in Thai).
  const ActionRow* list = Find(rows, "ai-2023-02-10-1");
  ASSERT_NE(list, nullptr);
  ASSERT_TRUE(list->last_reviewed.has_value());
  EXPECT_EQ(list->last_reviewed->meeting_id, "mtg-2023-03-15-sakaeo");
  EXPECT_EQ(list->last_reviewed->record_id, "min-2023-03-15-3");
  EXPECT_EQ(list->last_reviewed->record_type, "minute");
  // Bangkok 2022, item 1.4: the seminar's draft Plan of Action, adopted at
  // Siem Reap by decision 7.2.
  const ActionRow* seminar = Find(rows, "ai-2022-08-26-1.4");
  ASSERT_NE(seminar, nullptr);
  ASSERT_TRUE(seminar->last_reviewed.has_value());
  EXPECT_EQ(seminar->last_reviewed->record_id, "dec-2023-01-18-7.2");
  EXPECT_EQ(seminar->last_reviewed->meeting_label, "2023-01-18 Siem Reap");
  EXPECT_EQ(seminar->due.text, "End of November in Cambodia (date TBC)");
  EXPECT_EQ(seminar->due.date, "2022-11-30");
  EXPECT_FALSE(seminar->overdue) << "done items are never overdue";
  // An item nobody followed up yet.
  const ActionRow* focal = Find(rows, "ai-2022-08-26-1.1");
  ASSERT_NE(focal, nullptr);
  EXPECT_FALSE(focal->last_reviewed.has_value());
}

TEST_F(ReportsTest, OverdueIsJudgedAgainstTheDayGivenAndVagueWordsNeverAre) {
  auto overdue = Actions(WithOverdueOnly(AsOf("2023-07-01"), true));
  ASSERT_FALSE(overdue.empty());
  for (const ActionRow& r : overdue) {
    EXPECT_TRUE(r.open && r.overdue && r.due.date && *r.due.date < "2023-07-01") << r.id;
  }
  EXPECT_NE(Find(overdue, "ai-2022-08-26-1.1"), nullptr) << "By end of October 2022";
  EXPECT_NE(Find(overdue, "ai-2023-02-10-1"), nullptr) << "the firm due date 2023-02-28";
  EXPECT_EQ(Find(overdue, "ai-2022-08-26-1.3"), nullptr) << "done";
  EXPECT_EQ(Find(overdue, "ai-2023-01-16-9.1"), nullptr) << "no due date recorded";
  // The same items the day before the first deadline: nothing of 2022 yet.
  auto earlier = Actions(WithOverdueOnly(AsOf("2022-10-31"), true));
  EXPECT_EQ(Find(earlier, "ai-2022-08-26-1.1"), nullptr);
  auto later = Actions(WithOverdueOnly(AsOf("2022-11-01"), true));
  EXPECT_NE(Find(later, "ai-2022-08-26-1.1"), nullptr);
}

TEST_F(ReportsTest, ByTheNextMeetingBecomesADateOnceThatMeetingIsRecorded) {
  auto before = Actions(AsOf("2023-10-01"));
  const ActionRow* form = Find(before, "ai-2023-06-14-1");
  ASSERT_NE(form, nullptr);
  EXPECT_EQ(form->due.precision, DueDate::Precision::kNextMeeting);
  EXPECT_FALSE(form->due.date.has_value());
  EXPECT_FALSE(form->overdue);
  // The working group meets again at Sa Kaeo in September.
  PutOk(*store_, {"meeting",
                  std::string("mtg-2023-09-20-sakaeo"),
                  {{"title", "การประชุมคณะทำงานร่วมไทย–กัมพูชา ครั้งที่ 3/2566"},
                   {"kind", "technical_working_group"},
                   {"start_date", "2023-09-20"},
                   {"city", "จังหวัดสระแก้ว"}}});
  auto after = Actions(AsOf("2023-10-01"));
  form = Find(after, "ai-2023-06-14-1");
  ASSERT_NE(form, nullptr);
  EXPECT_EQ(form->due.date, "2023-09-20");
  EXPECT_EQ(form->due.basis, "the next meeting, 2023-09-20 จังหวัดสระแก้ว");
  EXPECT_TRUE(form->overdue);
}

TEST_F(ReportsTest, OpenMeetingAndPartyFilters) {
  auto open = Actions(WithOpenOnly(AsOf("2023-07-01"), true));
  for (const ActionRow& r : open) EXPECT_TRUE(r.open) << r.id;
  EXPECT_EQ(Find(open, "ai-2022-08-26-1.3"), nullptr);
  EXPECT_NE(Find(open, "ai-2023-03-15-1"), nullptr) << "in progress is open";

  auto bangkok = Actions(WithMeeting(AsOf("2023-07-01"), "mtg-2022-08-25-bangkok"));
  EXPECT_EQ(bangkok.size(), 5u);
  for (const ActionRow& r : bangkok) EXPECT_EQ(r.meeting_id, "mtg-2022-08-25-bangkok");
  EXPECT_EQ(bangkok.front().number, "1.1");

  // Responsible parties are free text in any language.
  auto thai = Actions(WithParty(AsOf("2023-07-01"), "TH"));
  EXPECT_NE(Find(thai, "ai-2022-08-26-B.2t"), nullptr) << "Government of the Kingdom of Thailand";
  EXPECT_NE(Find(thai, "ai-2023-06-14-1"), nullptr) << "ភាគីថៃ";
  EXPECT_NE(Find(thai, "ai-2023-01-16-9.1"), nullptr) << "Cambodia, Thailand";
  EXPECT_EQ(Find(thai, "ai-2022-06-15-1"), nullptr) << "a Vietnamese ministry";
  // "Both delegations" at a meeting on the Cambodia-Thailand plan.
  EXPECT_NE(Find(thai, "ai-2023-01-19-B.2.5"), nullptr);
  auto vietnam = Actions(WithParty(AsOf("2023-07-01"), "VN"));
  EXPECT_EQ(Find(vietnam, "ai-2023-01-19-B.2.5"), nullptr);
  auto cambodia = Actions(WithParty(AsOf("2023-07-01"), "party-kh"));
  EXPECT_NE(Find(cambodia, "ai-2022-08-26-1.1"), nullptr) << "Royal Government of Cambodia";
  EXPECT_EQ(Find(cambodia, "ai-2022-08-26-B.2t"), nullptr);
}

TEST_F(ReportsTest, ThePlanShowsObjectivesActivitiesTargetsAndEachPartysLatestAssessment) {
  auto plan = ReportPlan(*store_, "plan-khth-2023");
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->objectives.size(), 3u);
  EXPECT_EQ(plan->objectives[0].number, "1");
  EXPECT_EQ(plan->objectives[2].number, "3");
  EXPECT_EQ(plan->assessing_parties, (std::vector<std::string>{"KH", "TH"}));
  const ActivityProgress* meetings = nullptr;
  for (const ActivityProgress& a : plan->objectives[2].activities) {
    if (a.number == "3.3") meetings = &a;
  }
  ASSERT_NE(meetings, nullptr);
  ASSERT_EQ(meetings->targets.size(), 3u);
  EXPECT_EQ(meetings->targets[0].year, "2023");
  EXPECT_EQ(meetings->targets[0].target, "1 meeting");
  ASSERT_EQ(meetings->latest.size(), 2u);
  // Cambodia assessed the first quarter, then the year: the year's is the latest.
  EXPECT_EQ(meetings->latest[0].party, "KH");
  EXPECT_EQ(meetings->latest[0].period, "2023");
  EXPECT_EQ(meetings->latest[0].status, "in_progress");
  EXPECT_EQ(meetings->latest[0].assessments_by_party, 2);
  EXPECT_EQ(meetings->latest[1].party, "TH");
  EXPECT_EQ(meetings->latest[1].status, "completed");
  EXPECT_EQ(meetings->shared_status, "not_started") << "the old shared field stays readable";
  EXPECT_EQ(ReportPlan(*store_, "plan-nowhere").status().code(), Code::kNotFound);
  EXPECT_EQ(ReportPlan(*store_, "act-khth-2023-3.3").status().code(), Code::kNotFound);
}

TEST(ReportHelpersTest, NumbersSortAsPeopleReadThem) {
  EXPECT_TRUE(NumberLess("1.2", "1.10"));
  EXPECT_FALSE(NumberLess("1.10", "1.2"));
  EXPECT_TRUE(NumberLess("Area 2", "Area 10"));
  EXPECT_TRUE(NumberLess("3", "3.1"));
  EXPECT_FALSE(NumberLess("3.1", "3.1"));
}

TEST(ReportHelpersTest, TargetsPerYearOneLineEach) {
  auto targets =
      ParseTargetsPerYear("2024: 2 workshops, 60 participants\n\n2025: 2 workshops\nTBC");
  ASSERT_EQ(targets.size(), 3u);
  EXPECT_EQ(targets[0].year, "2024");
  EXPECT_EQ(targets[0].target, "2 workshops, 60 participants");
  EXPECT_EQ(targets[2].year, "");
  EXPECT_EQ(targets[2].target, "TBC");
}

TEST(ReportHelpersTest, ColumnsAreCountedAsTheTerminalShowsThem) {
  EXPECT_EQ(DisplayWidth("Poi Pet"), 7);
  // ប៉ោយប៉ែត: marks above and below take no column.
  EXPECT_LT(DisplayWidth("ប៉ោយប៉ែត"), 8);
  EXPECT_EQ(DisplayWidth("ที่"), 1) << "a Thai consonant with two marks";
  EXPECT_EQ(DisplayWidth("泰国"), 4);
  EXPECT_EQ(DisplayWidth(PadToWidth("ที่", 4)), 4);
  std::string cut = TruncateToWidth("ที่ประชุมเห็นชอบ", 4);
  EXPECT_EQ(DisplayWidth(cut), 4);
  EXPECT_EQ(cut.rfind("…"), cut.size() - std::string("…").size());
  EXPECT_EQ(cut.substr(0, std::string("ที่").size()), "ที่") << "marks stay on their letter";
}

}  // namespace
}  // namespace accord
