// Dumps (core/dump.cc) record by record: split into one JSON line per
// record, filtered, joined again byte for byte, and compared with a message
// a person can read.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>

namespace accord::testing {

// A dump split into its record lines (core/dump.cc writes one record per
// line), by record id, so that dumps can be filtered and compared record by
// record and joined again byte for byte.
struct DumpLines {
  std::map<std::string, std::string> records;  // id -> the record's JSON line

  static DumpLines Parse(const std::string& dump) {
    DumpLines lines;
    std::istringstream in(dump);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty() || line.front() != '{' || line.rfind("{\"format\"", 0) == 0) continue;
      if (line.back() == ',') line.pop_back();
      auto record = nlohmann::json::parse(line, nullptr, false);
      EXPECT_FALSE(record.is_discarded()) << line;
      if (record.is_discarded()) continue;
      lines.records[record["id"].get<std::string>()] = line;
    }
    return lines;
  }

  // The dump core/dump.cc writes for these records (ordered by id).
  std::string Join() const {
    std::string out = "{\"format\":\"accord-dump-1\",\"records\":[";
    bool first = true;
    for (const auto& [id, line] : records) {
      out += (first ? "\n" : ",\n") + line;
      first = false;
    }
    return out + "\n]}\n";
  }
};

// What differs between two dumps, record by record (at most `max` records),
// for a failure message a person can read.
inline std::string DumpDifference(const std::string& expected, const std::string& actual,
                                  size_t max = 6) {
  DumpLines want = DumpLines::Parse(expected), got = DumpLines::Parse(actual);
  std::set<std::string> ids;
  for (const auto& [id, line] : want.records) ids.insert(id);
  for (const auto& [id, line] : got.records) ids.insert(id);
  std::string out;
  size_t shown = 0, total = 0;
  for (const auto& id : ids) {
    auto w = want.records.find(id);
    auto g = got.records.find(id);
    if (w != want.records.end() && g != got.records.end() && w->second == g->second) continue;
    if (++total > max) continue;
    ++shown;
    if (g == got.records.end()) {
      out += "\n  missing " + id + ": " + w->second;
    } else if (w == want.records.end()) {
      out += "\n  held but out of scope " + id + ": " + g->second;
    } else {
      out += "\n  differs " + id + "\n    want " + w->second + "\n    got  " + g->second;
    }
  }
  if (total > shown) out += "\n  ... and " + std::to_string(total - shown) + " more records";
  return out;
}

}  // namespace accord::testing
