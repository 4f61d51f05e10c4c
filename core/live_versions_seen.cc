#include "core/live_versions_seen.h"

#include <algorithm>

namespace accord {

void LiveVersionsSeen::Add(uint64_t seq, std::string_view origin, uint64_t origin_counter,
                           std::string_view received_from) {
  lowest_seq_ = std::min(lowest_seq_, seq);
  auto entry = std::find_if(lowest_counter_.begin(), lowest_counter_.end(),
                            [&](const auto& e) { return e.first == origin; });
  if (entry == lowest_counter_.end()) {
    lowest_counter_.emplace_back(std::string(origin), origin_counter);
  } else {
    entry->second = std::min(entry->second, origin_counter);
  }
  if (std::find(received_from_.begin(), received_from_.end(), received_from) ==
      received_from_.end()) {
    received_from_.emplace_back(received_from);
  }
}

bool LiveVersionsSeen::NeedsBackfill(uint64_t cursor, const VersionVector& reader_knowledge,
                                     std::string_view reader_node) const {
  if (lowest_seq_ <= cursor) return true;
  for (const auto& [origin, lowest] : lowest_counter_) {
    if (!reader_node.empty() && origin == reader_node) return true;
    if (reader_knowledge.Get(origin) >= lowest) return true;
  }
  for (const std::string& from : received_from_) {
    if (!reader_node.empty() && from == reader_node) return true;
  }
  return false;
}

}  // namespace accord
