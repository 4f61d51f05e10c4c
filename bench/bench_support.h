// What the benchmarks share: scratch directories, a stopwatch, memory figures
// from /proc, a fail-fast check, the synthetic case records both programs
// write, and a plain table printer. Benchmarks print figures; they do not
// assert, so a failure here ends the program with the Status that caused it.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/store.h"

namespace accord::bench {

// A scratch directory removed on destruction. Under $ACCORD_BENCH_DIR when
// set (to measure another disk), else the system temp directory.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("ACCORD_BENCH_DIR");
    std::filesystem::path root = base ? base : std::filesystem::temp_directory_path();
    std::string pattern = (root / "accord-bench-XXXXXX").string();
    if (!mkdtemp(pattern.data())) {
      std::perror("mkdtemp");
      std::exit(1);
    }
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  double Seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

// A "VmHWM:" style line of /proc/self/status, in KiB (0 when absent).
inline long ProcStatusKb(const std::string& key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0)
      return std::strtol(line.c_str() + key.size() + 1, nullptr, 10);
  }
  return 0;
}
inline long PeakRssKb() {
  return ProcStatusKb("VmHWM");
}
inline long CurrentRssKb() {
  return ProcStatusKb("VmRSS");
}
// Lowers the peak-RSS mark to the current RSS (Linux >= 4.0), so a later
// PeakRssKb() measures one phase. Returns false where the kernel refuses.
inline bool ResetPeakRss() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

[[noreturn]] inline void Die(const Status& status, const std::string& what) {
  std::cerr << "benchmark failed: " << what << ": " << status.ToString() << "\n";
  std::exit(1);
}
inline void Check(const Status& status, const std::string& what) {
  if (!status.ok()) Die(status, what);
}
template <typename T>
T Check(Result<T> result, const std::string& what) {
  if (!result.ok()) Die(result.status(), what);
  return std::move(result).value();
}

// The synthetic data: `case` records (text fields only, so no reference
// checks), ids "case-0000001", five fields of realistic length and variety:
// notes are 8 to 19 words drawn from the vocabulary of the case documents by a
// generator seeded with (record, edition), so frames compress about as real
// notes would rather than as one sentence repeated. `edition` changes every
// value, so a later edition is an update of each field.
inline constexpr int kCaseFields = 5;
inline const std::vector<std::string>& CaseFieldNames() {
  static const std::vector<std::string> names = {"reference", "direction", "consent",
                                                 "case_manager", "notes"};
  return names;
}
inline std::string CaseId(int record) {
  char id[32];
  std::snprintf(id, sizeof id, "case-%07d", record);
  return id;
}
inline std::string CaseValue(int record, int field, int edition) {
  // Cases that may cross the border (docs/sharing.md): the benchmarks move
  // them between Cambodian and Thai offices.
  if (field == 1) return "KH-TH";
  if (field == 2) return "given";
  static const char* const kWords[] = {"family",
                                       "tracing",
                                       "visit",
                                       "village",
                                       "province",
                                       "district",
                                       "commune",
                                       "chief",
                                       "mother",
                                       "father",
                                       "brother",
                                       "sister",
                                       "grandmother",
                                       "uncle",
                                       "aunt",
                                       "guardian",
                                       "child",
                                       "adult",
                                       "returned",
                                       "repatriated",
                                       "referred",
                                       "shelter",
                                       "transit",
                                       "centre",
                                       "Poi",
                                       "Pet",
                                       "Aranyaprathet",
                                       "Banteay",
                                       "Meanchey",
                                       "Battambang",
                                       "Siem",
                                       "Reap",
                                       "Phnom",
                                       "Penh",
                                       "Bangkok",
                                       "Sa",
                                       "Kaeo",
                                       "checkpoint",
                                       "border",
                                       "immigration",
                                       "police",
                                       "social",
                                       "worker",
                                       "officer",
                                       "case",
                                       "manager",
                                       "reviewed",
                                       "approved",
                                       "pending",
                                       "confirmed",
                                       "nationality",
                                       "documents",
                                       "passport",
                                       "birth",
                                       "certificate",
                                       "interview",
                                       "assessment",
                                       "consent",
                                       "given",
                                       "health",
                                       "check",
                                       "clinic",
                                       "counselling",
                                       "school",
                                       "enrolled",
                                       "vocational",
                                       "training",
                                       "sewing",
                                       "mechanics",
                                       "livelihood",
                                       "grant",
                                       "savings",
                                       "debt",
                                       "employer",
                                       "broker",
                                       "fishing",
                                       "boat",
                                       "construction",
                                       "factory",
                                       "domestic",
                                       "work",
                                       "wages",
                                       "unpaid",
                                       "identified",
                                       "victim",
                                       "trafficking",
                                       "labour",
                                       "exploitation",
                                       "reintegration",
                                       "monitoring",
                                       "follow-up",
                                       "phone",
                                       "call",
                                       "home",
                                       "safe",
                                       "unsafe",
                                       "risk",
                                       "low",
                                       "medium",
                                       "high",
                                       "needs",
                                       "support",
                                       "rice",
                                       "transport",
                                       "allowance",
                                       "escort",
                                       "handover",
                                       "ceremony",
                                       "MSDHS",
                                       "MoSVY",
                                       "NCCT",
                                       "IOM",
                                       "NGO",
                                       "partner",
                                       "week",
                                       "month",
                                       "next",
                                       "after",
                                       "before",
                                       "with",
                                       "and",
                                       "the",
                                       "of",
                                       "to",
                                       "at",
                                       "on",
                                       "no",
                                       "not",
                                       "yet",
                                       "again",
                                       "agreed",
                                       "requested"};
  static const char* const kNames[] = {"Sokha",  "Dara",  "Chenda",  "Vanna", "Rithy", "Sophea",
                                       "Malis",  "Bopha", "Somchai", "Niran", "Kanya", "Pim",
                                       "Arthit", "Suda",  "Chai",    "Lamai"};
  constexpr size_t kWordCount = sizeof kWords / sizeof kWords[0];
  constexpr size_t kNameCount = sizeof kNames / sizeof kNames[0];
  // A small LCG seeded per value: the same record and edition always give the same text.
  uint64_t state =
      (static_cast<uint64_t>(record) * 1000003u + static_cast<uint64_t>(edition)) * 2654435761u + 1;
  auto next = [&state] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<size_t>(state >> 33);
  };
  char text[64];
  switch (field) {
    case 0:
      std::snprintf(text, sizeof text, "KH-2026-%06d/%d", record, edition);
      return text;
    case 1:
      return (record + edition) % 2 ? "KH-TH" : "TH-KH";
    case 2:
      std::snprintf(text, sizeof text, "%c.%c.", static_cast<char>('A' + next() % 26),
                    static_cast<char>('A' + next() % 26));
      return text;
    case 3:
      return std::string(kNames[next() % kNameCount]) + " " + kNames[next() % kNameCount];
    default: {
      std::string notes;
      for (size_t n = 8 + next() % 12; n > 0; --n) {
        if (!notes.empty()) notes += ' ';
        notes += kWords[next() % kWordCount];
      }
      return notes;
    }
  }
}
// `fields` of the record's fields (from the first), at `edition`.
inline RecordWrite CaseWrite(int record, int edition, int fields = kCaseFields) {
  RecordWrite w;
  w.type = "case";
  w.id = CaseId(record);
  for (int f = 0; f < fields; ++f)
    w.writes.push_back({CaseFieldNames()[f], CaseValue(record, f, edition)});
  return w;
}
// Writes records [first, first + count) at edition 0 with PutMany, `batch` records per call.
inline void FillCases(Store& store, int first, int count, int batch) {
  for (int start = first; start < first + count; start += batch) {
    std::vector<RecordWrite> writes;
    for (int r = start; r < std::min(first + count, start + batch); ++r)
      writes.push_back(CaseWrite(r, 0));
    Check(store.PutMany(writes), "PutMany");
  }
}

inline double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// Reads "--name=value" options; anything else is an error naming the options.
class Flags {
 public:
  Flags(int argc, char** argv, std::map<std::string, std::string> defaults)
      : values_(std::move(defaults)) {
    for (int i = 1; i < argc; ++i) {
      std::string arg = argv[i];
      size_t eq = arg.find('=');
      std::string name = arg.substr(0, eq);
      if (arg.rfind("--", 0) != 0 || !values_.count(name.substr(2))) {
        std::cerr << "usage: " << argv[0];
        for (const auto& [k, v] : values_) std::cerr << " [--" << k << "=" << v << "]";
        std::cerr << "\n";
        std::exit(2);
      }
      values_[name.substr(2)] = eq == std::string::npos ? "1" : arg.substr(eq + 1);
    }
  }
  long Int(const std::string& name) const { return std::stol(values_.at(name)); }
  const std::string& Str(const std::string& name) const { return values_.at(name); }
  void Print(std::ostream& out) const {
    for (const auto& [k, v] : values_) out << " --" << k << "=" << v;
  }

 private:
  std::map<std::string, std::string> values_;
};

// Columns of text, left-aligned first column, the rest right-aligned.
class Table {
 public:
  explicit Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void Row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  void Print(std::ostream& out) const {
    std::vector<size_t> width;
    for (const auto& row : rows_) {
      width.resize(std::max(width.size(), row.size()));
      for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
    }
    for (size_t r = 0; r < rows_.size(); ++r) {
      std::string line;
      for (size_t i = 0; i < rows_[r].size(); ++i) {
        const std::string& c = rows_[r][i];
        std::string pad(width[i] - c.size(), ' ');
        line += i == 0 ? c + pad : "  " + pad + c;
      }
      out << line << "\n";
      if (r == 0) out << std::string(line.size(), '-') << "\n";
    }
  }

 private:
  std::vector<std::vector<std::string>> rows_;
};

inline std::string Fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}
// 12345678 -> "12,345,678"
inline std::string Grouped(double value) {
  std::string digits = std::to_string(static_cast<long long>(value + 0.5));
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace accord::bench
