// Due dates as the minutes write them (seed 001 Day-2 §3a, seed 003 §8.3.5,
// seed 000), read into the last day they allow, the words always kept.
#include "core/due_date.h"

#include <gtest/gtest.h>

namespace accord {
namespace {

using P = DueDate::Precision;

struct Case {
  const char* text;
  const char* reference;  // the day the meeting agreed it
  const char* date;       // nullptr: no date read
  P precision;
};

void ExpectReads(const Case& c) {
  DueDate due = ParseDue(c.text, c.reference);
  EXPECT_EQ(due.text, c.text) << "the words are kept as agreed";
  if (c.date) {
    ASSERT_TRUE(due.date.has_value()) << c.text;
    EXPECT_EQ(*due.date, c.date) << c.text << " (" << due.basis << ")";
  } else {
    EXPECT_FALSE(due.date.has_value()) << c.text << " read as " << *due.date;
  }
  EXPECT_EQ(due.precision, c.precision) << c.text << " read as " << DuePrecisionName(due.precision);
}

TEST(DueDateTest, TheBangkokNextStepsOfAugust2022) {
  // Seed 001, Day 2, key results (a): the workplan until the end of 2022.
  const char* bangkok = "2022-08-25";
  ExpectReads({"By end of October 2022", bangkok, "2022-10-31", P::kMonth});
  ExpectReads({"October-November 2022", bangkok, "2022-11-30", P::kMonth});
  ExpectReads({"By the end of November 2022", bangkok, "2022-11-30", P::kMonth});
  // No year: the first November after the meeting.
  ExpectReads({"End of November in Cambodia (date TBC)", bangkok, "2022-11-30", P::kMonth});
  ExpectReads({"End of November 2024 (date TBC)", bangkok, "2024-11-30", P::kMonth});
  ExpectReads({"in 2022", bangkok, "2022-12-31", P::kYear});
  ExpectReads({"by the end of this year", bangkok, "2022-12-31", P::kYear});
}

TEST(DueDateTest, TheSiemReapMeetingsOfJanuary2023) {
  const char* siem_reap = "2023-01-16";
  // Seed 003 §8.3.5: the firm limit inside the words wins over "mid-June".
  ExpectReads({"mid-June 2023 (latest by 15th of June 2023)", siem_reap, "2023-06-15", P::kDay});
  ExpectReads({"mid-June 2023", siem_reap, "2023-06-20", P::kPartOfMonth});
  ExpectReads({"by early June 2023", siem_reap, "2023-06-10", P::kPartOfMonth});
  ExpectReads({"before the end of May 2023", siem_reap, "2023-05-31", P::kMonth});
  ExpectReads({"12-13 June 2023 in Bangkok, Thailand", siem_reap, "2023-06-13", P::kDay});
  ExpectReads({"12–13 June 2023", siem_reap, "2023-06-13", P::kDay});
  // The timeframe moved from 2021-2023 to 2023-2025 (seed 003 §7.3).
  ExpectReads({"2023-2025", siem_reap, "2025-12-31", P::kYear});
}

TEST(DueDateTest, CalendarDatesQuartersAndHalves) {
  ExpectReads({"2024-11-30", "", "2024-11-30", P::kDay});
  ExpectReads({"30/11/2024", "", "2024-11-30", P::kDay});
  ExpectReads({"by 30.11.2024", "", "2024-11-30", P::kDay});
  ExpectReads({"December 22, 2021", "", "2021-12-22", P::kDay});
  ExpectReads({"Q1 2025", "", "2025-03-31", P::kQuarter});
  ExpectReads({"2024-Q2", "", "2024-06-30", P::kQuarter});
  ExpectReads({"second quarter of 2024", "", "2024-06-30", P::kQuarter});
  ExpectReads({"H2 2024", "", "2024-12-31", P::kQuarter});
  ExpectReads({"29/02/2024", "", "2024-02-29", P::kDay});
  // Not a day on any calendar: the month and year still say something.
  ExpectReads({"31/02/2024", "", "2024-12-31", P::kYear});
}

TEST(DueDateTest, KhmerThaiVietnameseAndChineseDates) {
  // Khmer digits and month names (the Poi Pet working group).
  ExpectReads({"មុនថ្ងៃទី២៨ ខែកុម្ភៈ ឆ្នាំ២០២៣", "2023-02-10", "2023-02-28", P::kDay});
  ExpectReads({"ចុងខែតុលា ឆ្នាំ២០២៤", "", "2024-10-31", P::kMonth});
  // Thai month names and the Buddhist era (2566 is 2023).
  ExpectReads({"ภายในวันที่ 31 มีนาคม 2566", "2023-03-15", "2023-03-31", P::kDay});
  ExpectReads({"ภายในวันที่ ๓๑ มี.ค. ๒๕๖๖", "", "2023-03-31", P::kDay});
  ExpectReads({"ภายในไตรมาสที่ 2/2567", "", "2024-06-30", P::kQuarter});
  ExpectReads({"Trước ngày 30 tháng 7 năm 2022", "2022-06-15", "2022-07-30", P::kDay});
  ExpectReads({"2024年11月30日前", "", "2024-11-30", P::kDay});
}

TEST(DueDateTest, TheNextMeetingIsLeftToTheReport) {
  DueDate due = ParseDue("by the next meeting", "2023-01-18");
  EXPECT_EQ(due.precision, P::kNextMeeting);
  EXPECT_FALSE(due.date.has_value());
  EXPECT_EQ(ParseDue("មុនកិច្ចប្រជុំលើកក្រោយ", "2023-06-14").precision, P::kNextMeeting);
  EXPECT_EQ(ParseDue("ก่อนการประชุมครั้งต่อไป", "").precision, P::kNextMeeting);
}

TEST(DueDateTest, WordsWithNoDateAreShownAsTextAndNeverOverdue) {
  for (const char* text : {"", "as soon as possible", "date TBC", "closer to the time of the event",
                           "ASAP (ដឹកនាំដោយ IOM)"}) {
    DueDate due = ParseDue(text, "2023-01-18");
    EXPECT_FALSE(due.date.has_value()) << text;
    EXPECT_EQ(due.precision, P::kNone) << text;
    EXPECT_EQ(due.text, text);
  }
}

}  // namespace
}  // namespace accord
