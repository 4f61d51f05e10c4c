// Who may hold a connection to one public port: a cap per remote address,
// a cap in total, and which connection gives way when the total is reached.
//
// Per address the cap is hard: one address cannot hold more. In total, a
// new connection displaces the oldest one marked evictable (one that has not
// proven anything yet, e.g. still in its TLS handshake), so that strangers
// from many addresses cannot lock out the nodes: they can only displace each
// other. Not thread-safe; the governor holds it under its lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <unordered_map>

namespace accord::server {

class ConnectionTable {
 public:
  ConnectionTable(size_t max_total, size_t max_per_address)
      : max_total_(max_total), max_per_address_(max_per_address) {}

  enum class Verdict { kAdmitted, kRefusedAddressFull, kRefusedFull };
  struct Admission {
    Verdict verdict = Verdict::kAdmitted;
    uint64_t evicted = 0;  // when admitted by displacing this one; 0 = none
  };
  // Admits connection `id` from `address`, evictable until told otherwise.
  // The evicted connection, if any, is already removed: the caller closes it.
  // REQUIRES: ids are unique, non-zero, and increase with time.
  Admission Admit(uint64_t id, const std::string& address);

  void SetEvictable(uint64_t id, bool evictable);
  // No-op for an id already removed (evicted).
  void Remove(uint64_t id);

  size_t size() const { return entries_.size(); }
  size_t CountFrom(const std::string& address) const;

 private:
  struct Entry {
    std::string address;
    bool evictable = true;
  };
  void Erase(std::map<uint64_t, Entry>::iterator it);

  const size_t max_total_, max_per_address_;
  std::map<uint64_t, Entry> entries_;
  std::set<uint64_t> evictable_;  // ordered: the oldest first
  std::unordered_map<std::string, size_t> per_address_;
};

}  // namespace accord::server
