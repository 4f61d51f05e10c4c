// A version vector: node id -> counter. Every stored field value carries one.
//
// Invariants: entries are sorted by node id, counters are > 0 (a zero entry is
// the same as no entry and is never stored), so equal vectors have equal text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace accord {

enum class Order {
  kEqual,       // same history
  kBefore,      // this is dominated by the other (the other has seen all of this and more)
  kAfter,       // this dominates the other
  kConcurrent,  // neither has seen all of the other: a conflict if the values differ
};

class VersionVector {
 public:
  using Entry = std::pair<std::string, uint64_t>;

  VersionVector() = default;

  uint64_t Get(std::string_view node) const;
  // Sets node's counter; 0 removes the entry.
  void Set(std::string_view node, uint64_t counter);
  // Pointwise maximum: the smallest vector that dominates or equals both.
  void MergeFrom(const VersionVector& other);
  Order Compare(const VersionVector& other) const;
  // True when every counter here is <= the other's: the other has seen all of this.
  bool DominatedByOrEqual(const VersionVector& other) const;

  const std::vector<Entry>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }

  // Canonical text form "KH-NCCT:3,TH-MSDHS:5" (sorted, no spaces); "" when empty.
  std::string ToText() const;
  static Result<VersionVector> FromText(std::string_view text);

  bool operator==(const VersionVector& other) const { return entries_ == other.entries_; }

 private:
  std::vector<Entry> entries_;
};

}  // namespace accord
