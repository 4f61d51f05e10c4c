#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/version_vector.h"

namespace accord {

// What a record's live versions tell a page about backfill: the lowest log
// seq among them, the lowest counter per origin, and every node that sent
// one here. A page must send a record's whole live state (and what hangs off
// it) to a reader that gains it when any live version is one the scan over
// the log leaves out: behind the cursor, or held by the reader (its own
// write, one it sent, one its knowledge covers) which it may since have
// purged. One decision, whether the versions were noted while the record's
// scope was judged or read by a query of their own.
class LiveVersionsSeen {
 public:
  void Add(uint64_t seq, std::string_view origin, uint64_t origin_counter,
           std::string_view received_from);

  // reader_node is empty for a reader that is no node (a backup).
  bool NeedsBackfill(uint64_t cursor, const VersionVector& reader_knowledge,
                     std::string_view reader_node) const;

 private:
  uint64_t lowest_seq_ = UINT64_MAX;
  std::vector<std::pair<std::string, uint64_t>> lowest_counter_;  // per origin
  std::vector<std::string> received_from_;                        // distinct
};

}  // namespace accord
