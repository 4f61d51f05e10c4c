#include "server/connection_table.h"

namespace accord::server {

ConnectionTable::Admission ConnectionTable::Admit(uint64_t id, const std::string& address) {
  Admission a;
  if (CountFrom(address) >= max_per_address_) {
    a.verdict = Verdict::kRefusedAddressFull;
    return a;
  }
  if (entries_.size() >= max_total_) {
    if (evictable_.empty()) {
      a.verdict = Verdict::kRefusedFull;
      return a;
    }
    a.evicted = *evictable_.begin();
    Erase(entries_.find(a.evicted));
  }
  entries_.emplace(id, Entry{address, true});
  evictable_.insert(id);
  ++per_address_[address];
  return a;
}

void ConnectionTable::SetEvictable(uint64_t id, bool evictable) {
  auto it = entries_.find(id);
  if (it == entries_.end() || it->second.evictable == evictable) return;
  it->second.evictable = evictable;
  if (evictable) {
    evictable_.insert(id);
  } else {
    evictable_.erase(id);
  }
}

void ConnectionTable::Remove(uint64_t id) {
  auto it = entries_.find(id);
  if (it != entries_.end()) Erase(it);
}

size_t ConnectionTable::CountFrom(const std::string& address) const {
  auto it = per_address_.find(address);
  return it == per_address_.end() ? 0 : it->second;
}

void ConnectionTable::Erase(std::map<uint64_t, Entry>::iterator it) {
  evictable_.erase(it->first);
  auto count = per_address_.find(it->second.address);
  if (count != per_address_.end() && --count->second == 0) per_address_.erase(count);
  entries_.erase(it);
}

}  // namespace accord::server
