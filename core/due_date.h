// When an action item is due, read from the words the meeting agreed.
//
// Minutes rarely carry a calendar date: "By end of October 2022",
// "End of November in Cambodia (date TBC)", "mid-June 2023 (latest by 15th
// of June 2023)", "2024-Q2", "ภายในวันที่ 31 มีนาคม 2566" (seed 001 Day-2 §3a,
// seed 003 §8.3.5). ParseDue finds the last day the words allow, so a report
// can say what is overdue, and always keeps the words themselves: the date is
// a reading of the text, never a replacement for it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace accord {

struct DueDate {
  // How precisely the words name the day, from most to least precise. A
  // reading of a vaguer kind is the last day of the span the words name.
  enum class Precision {
    kDay,          // a day: "15th of June 2023", "30/11/2024", "2024-11-30"
    kPartOfMonth,  // "early June 2023" (the 10th), "mid-June 2023" (the 20th)
    kMonth,        // "by end of October 2022", "October-November 2022"
    kQuarter,      // "Q1 2025", "2024-Q2", "second half of 2024" (the half's end)
    kYear,         // "in 2022", "2023-2025", "by the end of this year"
    kNextMeeting,  // "by the next meeting": the caller finds that meeting
    kNone,         // nothing read: shown as text, never overdue
  };

  std::string text;                 // the words as agreed, always kept
  std::optional<std::string> date;  // YYYY-MM-DD, the last day allowed
  Precision precision = Precision::kNone;
  std::string basis;  // how the date was read, e.g. "end of October 2022"
};

const char* DuePrecisionName(DueDate::Precision precision);

// Reads `text`. `reference` is the day the action was agreed (the meeting's
// first day, YYYY-MM-DD, or ""): it dates "this year" and a month named
// without its year (the first such month on or after the meeting).
// Understood: ISO dates; day/month/year with the day first; day, month name
// and year in English, Thai, Khmer, Vietnamese ("ngày 30 tháng 7 năm 2022")
// and Chinese (2024年11月30日), with Thai and Khmer digits and Buddhist-era
// years (2566 is 2023); ranges (the later end counts); quarters and halves;
// years; "this year"; "next meeting". When the words name several days, the
// most precise reading wins ("mid-June 2023 (latest by 15th of June 2023)"
// is the 15th), then the latest.
DueDate ParseDue(std::string_view text, std::string_view reference = {});

}  // namespace accord
