#include "core/version_vector.h"

#include <algorithm>
#include <charconv>

#include "core/node_id.h"

namespace accord {

namespace {
auto LowerBound(std::vector<VersionVector::Entry>& entries, std::string_view node) {
  return std::lower_bound(
      entries.begin(), entries.end(), node,
      [](const VersionVector::Entry& e, std::string_view n) { return e.first < n; });
}
}  // namespace

uint64_t VersionVector::Get(std::string_view node) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), node,
                             [](const Entry& e, std::string_view n) { return e.first < n; });
  return (it != entries_.end() && it->first == node) ? it->second : 0;
}

void VersionVector::Set(std::string_view node, uint64_t counter) {
  auto it = LowerBound(entries_, node);
  bool found = it != entries_.end() && it->first == node;
  if (counter == 0) {
    if (found) entries_.erase(it);
  } else if (found) {
    it->second = counter;
  } else {
    entries_.insert(it, Entry(std::string(node), counter));
  }
}

void VersionVector::MergeFrom(const VersionVector& other) {
  std::vector<Entry> merged;
  merged.reserve(entries_.size() + other.entries_.size());
  auto a = entries_.begin();
  auto b = other.entries_.begin();
  while (a != entries_.end() || b != other.entries_.end()) {
    if (b == other.entries_.end() || (a != entries_.end() && a->first < b->first)) {
      merged.push_back(*a++);
    } else if (a == entries_.end() || b->first < a->first) {
      merged.push_back(*b++);
    } else {
      merged.emplace_back(a->first, std::max(a->second, b->second));
      ++a;
      ++b;
    }
  }
  entries_ = std::move(merged);
}

Order VersionVector::Compare(const VersionVector& other) const {
  bool some_greater = false;  // this has an entry above other's
  bool some_less = false;     // other has an entry above this's
  auto a = entries_.begin();
  auto b = other.entries_.begin();
  while (a != entries_.end() || b != other.entries_.end()) {
    if (b == other.entries_.end() || (a != entries_.end() && a->first < b->first)) {
      some_greater = true;
      ++a;
    } else if (a == entries_.end() || b->first < a->first) {
      some_less = true;
      ++b;
    } else {
      if (a->second > b->second) some_greater = true;
      if (a->second < b->second) some_less = true;
      ++a;
      ++b;
    }
    if (some_greater && some_less) return Order::kConcurrent;
  }
  if (some_greater) return Order::kAfter;
  if (some_less) return Order::kBefore;
  return Order::kEqual;
}

bool VersionVector::DominatedByOrEqual(const VersionVector& other) const {
  Order o = Compare(other);
  return o == Order::kBefore || o == Order::kEqual;
}

std::string VersionVector::ToText() const {
  std::string out;
  for (const auto& [node, counter] : entries_) {
    if (!out.empty()) out += ',';
    out += node;
    out += ':';
    out += std::to_string(counter);
  }
  return out;
}

Result<VersionVector> VersionVector::FromText(std::string_view text) {
  VersionVector vv;
  if (text.empty()) return vv;
  std::string_view previous;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find(',', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view item = text.substr(pos, end - pos);
    size_t colon = item.rfind(':');
    if (colon == std::string_view::npos) {
      return Corruption("version vector entry '" + std::string(item) + "' has no ':'");
    }
    std::string_view node = item.substr(0, colon);
    std::string_view digits = item.substr(colon + 1);
    uint64_t counter = 0;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), counter);
    if (ec != std::errc() || ptr != digits.data() + digits.size() || counter == 0) {
      return Corruption("version vector entry '" + std::string(item) + "' has a bad counter");
    }
    if (!IsValidNodeId(node)) {
      return Corruption("version vector entry '" + std::string(item) + "' has a bad node id");
    }
    if (!previous.empty() && !(previous < node)) {
      return Corruption("version vector '" + std::string(text) + "' is not sorted");
    }
    vv.entries_.emplace_back(std::string(node), counter);
    previous = node;
    pos = end + 1;
  }
  return vv;
}

}  // namespace accord
