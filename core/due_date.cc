#include "core/due_date.h"

#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <utility>
#include <vector>

#include "core/schema.h"

namespace accord {

const char* DuePrecisionName(DueDate::Precision precision) {
  switch (precision) {
    case DueDate::Precision::kDay:
      return "day";
    case DueDate::Precision::kPartOfMonth:
      return "part_of_month";
    case DueDate::Precision::kMonth:
      return "month";
    case DueDate::Precision::kQuarter:
      return "quarter";
    case DueDate::Precision::kYear:
      return "year";
    case DueDate::Precision::kNextMeeting:
      return "next_meeting";
    case DueDate::Precision::kNone:
      return "none";
  }
  return "none";
}

namespace {

constexpr std::array<const char*, 12> kMonthNames = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};

// Compiled once per pattern: a report reads hundreds of due dates, and
// compiling a std::regex costs far more than matching it.
const std::regex& Compiled(const std::string& pattern) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<std::regex>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto& re = cache[pattern];
  if (!re) re = std::make_unique<std::regex>(pattern);
  return *re;
}

void ReplaceAll(std::string& text, std::string_view from, std::string_view to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

// Thai (U+0E50..0E59) and Khmer (U+17E0..17E9) digits to ASCII, and en and
// em dashes to '-', so that the patterns below see one way of writing each.
std::string AsciiDigitsAndDashes(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    auto b = [&](size_t k) { return static_cast<unsigned char>(text[i + k]); };
    if (i + 2 < text.size() && b(0) == 0xE0 && b(1) == 0xB9 && b(2) >= 0x90 && b(2) <= 0x99) {
      out += static_cast<char>('0' + (b(2) - 0x90));
      i += 2;
    } else if (i + 2 < text.size() && b(0) == 0xE1 && b(1) == 0x9F && b(2) >= 0xA0 &&
               b(2) <= 0xA9) {
      out += static_cast<char>('0' + (b(2) - 0xA0));
      i += 2;
    } else if (i + 2 < text.size() && b(0) == 0xE2 && b(1) == 0x80 &&
               (b(2) == 0x93 || b(2) == 0x94)) {
      out += '-';
      i += 2;
    } else {
      char c = text[i];
      out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
  }
  return out;
}

// Words of the offices' languages, rewritten to the English tokens the
// patterns read. Longer words first where one contains another.
const std::vector<std::pair<std::string_view, std::string_view>>& WordsToTokens() {
  static const std::vector<std::pair<std::string_view, std::string_view>> words = {
      // "by the next meeting"
      {"การประชุมครั้งต่อไป", " nextmeeting "},
      {"การประชุมครั้งหน้า", " nextmeeting "},
      {"កិច្ចប្រជុំលើកក្រោយ", " nextmeeting "},
      {"កិច្ចប្រជុំបន្ទាប់", " nextmeeting "},
      {"cuộc họp tiếp theo", " nextmeeting "},
      {"cuộc họp lần sau", " nextmeeting "},
      {"cuộc họp tới", " nextmeeting "},
      {"下次会议", " nextmeeting "},
      // words around a date that carry nothing the patterns need
      {"พ.ศ.", " "},
      {"ค.ศ.", " "},
      {"ព.ស.", " "},
      // "this year"
      {"ปีนี้", " thisyear "},
      {"ឆ្នាំនេះ", " thisyear "},
      {"năm nay", " thisyear "},
      {"今年", " thisyear "},
      {"năm", " "},
      {"ngày", " "},
      // parts of a month
      {"ปลายเดือน", " end "},
      {"กลางเดือน", " mid "},
      {"ต้นเดือน", " early "},
      {"ចុងខែ", " end "},
      {"ពាក់កណ្តាលខែ", " mid "},
      {"ដើមខែ", " early "},
      {"cuối ", " end "},
      {"giữa ", " mid "},
      {"đầu ", " early "},
      // quarters
      {"ไตรมาสที่", " q"},
      {"ไตรมาส", " q"},
      {"ត្រីមាសទី", " q"},
      {"quý", " q"},
      // Thai months, then their abbreviations
      {"มกราคม", " mon1 "},
      {"กุมภาพันธ์", " mon2 "},
      {"มีนาคม", " mon3 "},
      {"เมษายน", " mon4 "},
      {"พฤษภาคม", " mon5 "},
      {"มิถุนายน", " mon6 "},
      {"กรกฎาคม", " mon7 "},
      {"สิงหาคม", " mon8 "},
      {"กันยายน", " mon9 "},
      {"ตุลาคม", " mon10 "},
      {"พฤศจิกายน", " mon11 "},
      {"ธันวาคม", " mon12 "},
      {"ม.ค.", " mon1 "},
      {"ก.พ.", " mon2 "},
      {"มี.ค.", " mon3 "},
      {"เม.ย.", " mon4 "},
      {"พ.ค.", " mon5 "},
      {"มิ.ย.", " mon6 "},
      {"ก.ค.", " mon7 "},
      {"ส.ค.", " mon8 "},
      {"ก.ย.", " mon9 "},
      {"ต.ค.", " mon10 "},
      {"พ.ย.", " mon11 "},
      {"ธ.ค.", " mon12 "},
      // Khmer months
      {"មករា", " mon1 "},
      {"កុម្ភៈ", " mon2 "},
      {"កុម្ភះ", " mon2 "},
      {"មីនា", " mon3 "},
      {"មេសា", " mon4 "},
      {"ឧសភា", " mon5 "},
      {"មិថុនា", " mon6 "},
      {"កក្កដា", " mon7 "},
      {"សីហា", " mon8 "},
      {"កញ្ញា", " mon9 "},
      {"តុលា", " mon10 "},
      {"វិច្ឆិកា", " mon11 "},
      {"ធ្នូ", " mon12 "},
  };
  return words;
}

// One pass over the words (runs of ASCII letters, digits and '_', as a
// regex's \\b sees them): English month names become `monN`, "15th" becomes
// "15", "of" and "the" go. Twelve regex passes cost a report most of its time.
std::string EnglishWords(const std::string& s) {
  static const std::map<std::string, int, std::less<>> kMonths = {
      {"january", 1},   {"jan", 1},   {"february", 2},  {"feb", 2},      {"march", 3},
      {"mar", 3},       {"april", 4}, {"apr", 4},       {"may", 5},      {"june", 6},
      {"jun", 6},       {"july", 7},  {"jul", 7},       {"august", 8},   {"aug", 8},
      {"september", 9}, {"sept", 9},  {"sep", 9},       {"october", 10}, {"oct", 10},
      {"november", 11}, {"nov", 11},  {"december", 12}, {"dec", 12}};
  auto is_word = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || (c >= 'A' && c <= 'Z');
  };
  std::string out;
  out.reserve(s.size() + 16);
  for (size_t i = 0; i < s.size();) {
    if (!is_word(s[i])) {
      out += s[i++];
      continue;
    }
    size_t end = i;
    while (end < s.size() && is_word(s[end])) ++end;
    std::string_view word(s.data() + i, end - i);
    if (auto month = kMonths.find(word); month != kMonths.end()) {
      out += " mon" + std::to_string(month->second) + " ";
      if (end < s.size() && s[end] == '.') ++end;  // "Nov."
    } else if (word == "of" || word == "the") {
      out += ' ';
    } else {
      size_t digits = word.find_first_not_of("0123456789");
      std::string_view suffix = digits == std::string_view::npos ? "" : word.substr(digits);
      if (digits > 0 && digits != std::string_view::npos &&
          (suffix == "st" || suffix == "nd" || suffix == "rd" || suffix == "th")) {
        out += word.substr(0, digits);
      } else {
        out += word;
      }
    }
    i = end;
  }
  return out;
}

// The text as the patterns read it: lower-case ASCII, months as `monN`,
// every other letter of another script a space.
std::string Normalise(std::string_view text) {
  std::string s = AsciiDigitsAndDashes(text);
  for (const auto& [word, token] : WordsToTokens()) ReplaceAll(s, word, token);
  // Chinese and Vietnamese write the month as a number.
  if (s.find("年") != std::string::npos) {
    s = std::regex_replace(s, Compiled("(\\d{4})年(\\d{1,2})月(\\d{1,2})日"), " $3 mon$2 $1 ");
    s = std::regex_replace(s, Compiled("(\\d{4})年(\\d{1,2})月"), " mon$2 $1 ");
  }
  if (s.find("tháng") != std::string::npos) {
    s = std::regex_replace(s, Compiled("tháng\\s*(\\d{1,2})"), " mon$1 ");
  }
  if (s.find("meeting") != std::string::npos) {
    s = std::regex_replace(s, Compiled("next\\s+([a-z-]+\\s+){0,3}meeting"), " nextmeeting ");
  }
  if (s.find("year") != std::string::npos) {
    s = std::regex_replace(s, Compiled("this\\s+year"), " thisyear ");
  }
  s = EnglishWords(s);
  for (char& c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) c = ' ';
  }
  return s;
}

// A Buddhist-era year (Thai calendars: 2566 is 2023) to the Common Era.
int CommonEra(int year) {
  return year >= 2400 && year <= 2800 ? year - 543 : year;
}

int LastDayOfMonth(int year, int month) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return kDays[month - 1] + ((month == 2 && leap) ? 1 : 0);
}

std::string IsoDate(int year, int month, int day) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year, month, day);
  return buf;
}

struct Reading {
  DueDate::Precision precision;
  std::string date;
  std::string basis;
};

class Readings {
 public:
  void Add(DueDate::Precision precision, int year, int month, int day, std::string basis) {
    if (year < 1900 || year > 2200 || month < 1 || month > 12) return;
    std::string date = IsoDate(year, month, day);
    if (!IsValidDate(date)) return;
    all_.push_back({precision, std::move(date), std::move(basis)});
  }
  void AddNextMeeting() { all_.push_back({DueDate::Precision::kNextMeeting, "", "next meeting"}); }
  bool HasAtLeast(DueDate::Precision precision) const {
    for (const Reading& r : all_) {
      if (r.precision <= precision) return true;
    }
    return false;
  }
  // The most precise reading, then the latest.
  const Reading* Best() const {
    const Reading* best = nullptr;
    for (const Reading& r : all_) {
      if (!best || r.precision < best->precision ||
          (r.precision == best->precision && r.date > best->date)) {
        best = &r;
      }
    }
    return best;
  }

 private:
  std::vector<Reading> all_;
};

int ToInt(const std::ssub_match& m) {
  return std::stoi(m.str());
}

template <typename Fn>
void ForEach(const std::string& s, const std::string& pattern, Fn fn) {
  const std::regex& re = Compiled(pattern);
  for (auto it = std::sregex_iterator(s.begin(), s.end(), re); it != std::sregex_iterator(); ++it) {
    fn(*it);
  }
}

// A day within the month for a word before it: the last day the words allow.
std::pair<int, std::string> DayForPart(const std::string& part, int year, int month) {
  std::string name = std::string(kMonthNames[month - 1]) + " " + std::to_string(year);
  if (part == "early" || part == "beginning" || part == "start") return {10, "early " + name};
  if (part == "mid" || part == "middle") return {20, "mid-" + name};
  return {LastDayOfMonth(year, month), "end of " + name};
}

void ReadDays(const std::string& s, Readings& out) {
  using P = DueDate::Precision;
  ForEach(s, "\\b(\\d{4})-(\\d{1,2})-(\\d{1,2})\\b", [&](const std::smatch& m) {
    out.Add(P::kDay, ToInt(m[1]), ToInt(m[2]), ToInt(m[3]), "the day named");
  });
  // Day first, as the offices write: 30/11/2024.
  ForEach(s, "\\b(\\d{1,2})[/.](\\d{1,2})[/.](\\d{4})\\b", [&](const std::smatch& m) {
    out.Add(P::kDay, CommonEra(ToInt(m[3])), ToInt(m[2]), ToInt(m[1]), "the day named");
  });
  // 12-13 June 2023: the later day.
  ForEach(s, "\\b(\\d{1,2})\\s*-\\s*(\\d{1,2})\\s*mon(\\d{1,2})\\b[\\s,]*(\\d{4})\\b",
          [&](const std::smatch& m) {
            out.Add(P::kDay, CommonEra(ToInt(m[4])), ToInt(m[3]), ToInt(m[2]),
                    "the last day named");
          });
  ForEach(s, "\\b(\\d{1,2})\\s*mon(\\d{1,2})\\b[\\s,]*(\\d{4})\\b", [&](const std::smatch& m) {
    out.Add(P::kDay, CommonEra(ToInt(m[3])), ToInt(m[2]), ToInt(m[1]), "the day named");
  });
  // December 22, 2021
  ForEach(s, "\\bmon(\\d{1,2})\\s+(\\d{1,2}),?\\s+(\\d{4})\\b", [&](const std::smatch& m) {
    out.Add(P::kDay, CommonEra(ToInt(m[3])), ToInt(m[1]), ToInt(m[2]), "the day named");
  });
}

constexpr const char* kPart = "(?:\\b(early|beginning|start|mid|middle|end|late)\\b[\\s-]*)?";

void ReadMonths(const std::string& s, std::string_view reference, Readings& out) {
  using P = DueDate::Precision;
  auto add = [&](const std::string& part, int year, int month, std::string_view note = {}) {
    if (month < 1 || month > 12) return;
    auto [day, basis] = DayForPart(part, year, month);
    bool part_of_month = day < 28;  // early or mid-month; the end is day 28 or later
    out.Add(part_of_month ? P::kPartOfMonth : P::kMonth, year, month, day,
            basis + std::string(note));
  };
  ForEach(s, std::string(kPart) + "mon(\\d{1,2})\\b[\\s,]*(\\d{4})\\b",
          [&](const std::smatch& m) { add(m[1].str(), CommonEra(ToInt(m[3])), ToInt(m[2])); });
  if (out.HasAtLeast(P::kMonth) || reference.size() < 10) return;
  // A month without its year ("End of November in Cambodia (date TBC)"): the
  // first such month on or after the meeting that agreed it.
  int ref_year = std::stoi(std::string(reference.substr(0, 4)));
  int ref_month = std::stoi(std::string(reference.substr(5, 2)));
  ForEach(s, std::string(kPart) + "mon(\\d{1,2})\\b(?![\\s,]*\\d{4})", [&](const std::smatch& m) {
    int month = ToInt(m[2]);
    add(m[1].str(), month >= ref_month ? ref_year : ref_year + 1, month,
        " (the year from the meeting)");
  });
}

void ReadQuartersAndYears(const std::string& s, std::string_view reference, Readings& out) {
  using P = DueDate::Precision;
  auto quarter = [&](int year, int q) {
    out.Add(P::kQuarter, year, q * 3, LastDayOfMonth(year, q * 3),
            "end of Q" + std::to_string(q) + " " + std::to_string(year));
  };
  auto half = [&](int year, int h) {
    out.Add(P::kQuarter, year, h * 6, LastDayOfMonth(year, h * 6),
            "end of H" + std::to_string(h) + " " + std::to_string(year));
  };
  auto ordinal = [](const std::string& word) {
    if (word == "first") return 1;
    if (word == "second") return 2;
    if (word == "third") return 3;
    if (word == "fourth") return 4;
    return std::stoi(word);
  };
  ForEach(s, "\\bq\\s*([1-4])\\b[\\s/-]*(\\d{4})\\b",
          [&](const std::smatch& m) { quarter(CommonEra(ToInt(m[2])), ToInt(m[1])); });
  ForEach(s, "\\b(\\d{4})[\\s/-]*q\\s*([1-4])\\b",
          [&](const std::smatch& m) { quarter(CommonEra(ToInt(m[1])), ToInt(m[2])); });
  ForEach(s, "\\b(first|second|third|fourth|[1-4])\\s+quarter\\s+(\\d{4})\\b",
          [&](const std::smatch& m) { quarter(CommonEra(ToInt(m[2])), ordinal(m[1].str())); });
  ForEach(s, "\\bh([12])\\b[\\s/-]*(\\d{4})\\b",
          [&](const std::smatch& m) { half(CommonEra(ToInt(m[2])), ToInt(m[1])); });
  ForEach(s, "\\b(\\d{4})[\\s/-]*h([12])\\b",
          [&](const std::smatch& m) { half(CommonEra(ToInt(m[1])), ToInt(m[2])); });
  ForEach(s, "\\b(first|second|1|2)\\s+half\\s+(\\d{4})\\b",
          [&](const std::smatch& m) { half(CommonEra(ToInt(m[2])), ordinal(m[1].str())); });
  ForEach(s, "\\b(\\d{4})\\b", [&](const std::smatch& m) {
    int year = CommonEra(ToInt(m[1]));
    out.Add(P::kYear, year, 12, 31, "end of " + std::to_string(year));
  });
  if (reference.size() >= 10 && s.find("thisyear") != std::string::npos) {
    int year = std::stoi(std::string(reference.substr(0, 4)));
    out.Add(P::kYear, year, 12, 31, "end of the meeting's year, " + std::to_string(year));
  }
  if (s.find("nextmeeting") != std::string::npos) out.AddNextMeeting();
}

}  // namespace

DueDate ParseDue(std::string_view text, std::string_view reference) {
  DueDate due;
  due.text = std::string(text);
  if (text.find_first_not_of(" \t\n") == std::string_view::npos) return due;
  if (!reference.empty() && !IsValidDate(reference)) reference = {};
  const std::string s = Normalise(text);
  Readings readings;
  ReadDays(s, readings);
  ReadMonths(s, reference, readings);
  ReadQuartersAndYears(s, reference, readings);
  if (const Reading* best = readings.Best()) {
    due.precision = best->precision;
    if (!best->date.empty()) due.date = best->date;
    due.basis = best->basis;
  }
  return due;
}

}  // namespace accord
