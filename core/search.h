// What `accord search` returns (Store::Search, core/search.cc, docs/search.md).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/search_text.h"

namespace accord {

struct SearchOptions {
  std::string type;  // only records of this type; "" for all
  size_t limit = 20;
  // False: leave the personal types out (the office's page, for a reader
  // not signed in on a node with users).
  bool personal = true;
};

// One field of one record whose current value holds every word searched for.
struct SearchHit {
  std::string record_id;
  std::string type;
  std::string label;  // RecordLabel: "activity 1.3", "meeting 2023-01-18 Siem Reap"
  std::string field;
  std::string value;  // the whole current value
  TextMatch match;
  bool personal = false;  // read and opened at search time, never indexed
};

struct SearchResults {
  std::vector<SearchHit> hits;  // best first; at most SearchOptions::limit
  size_t matched = 0;           // fields that matched, before the limit
  // Personal data was not searched: the node is encrypted and locked.
  bool personal_locked = false;
  // Personal data was not searched: SearchOptions::personal was false.
  bool personal_withheld = false;
  // Values this search added to the index before looking (it catches up
  // with the change log first), and whether it could not (another process
  // held the write lock): then the newest changes were not searched.
  size_t newly_indexed = 0;
  bool index_behind = false;
};

}  // namespace accord
