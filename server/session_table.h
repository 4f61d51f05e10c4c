// The sync sessions this server issued, and the last request accepted in
// each: what makes a captured signed request useless a second time without
// trusting anyone's clock (docs/protocol.md, "Identity").
//
// A successful hello opens a session: 128 random bits, issued to the node
// that said hello. Every other request names a session and a sequence
// number; it is accepted only if the session is live, was issued to the node
// that signed the request, and the sequence is above the last one accepted in
// that session. A replayed request repeats a sequence already used, so it is
// refused; sessions exist on this server only, so a request carried to
// another server names a session that server never issued.
//
// Bounded whatever clients do: at most `per_node` sessions per node (a new one
// replaces that node's least recently used) and `total` in all (a new one
// replaces the least recently used of any node); a session unused for `idle`
// is forgotten. Forgetting a session costs its node one more hello, never
// data: the client transport says hello again and retries.
//
// Thread-safe: handlers call it from the server's pool.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/status.h"

namespace accord::server {

struct SessionLimits {
  // A node normally holds one session per sync in progress with this server;
  // a few allow `accord sync` from two terminals and a retry of a lost hello.
  size_t per_node = 4;
  // Enough for every node of a large deployment syncing at once.
  size_t total = 4096;
  // Longer than any pause between two pages of one sync.
  std::chrono::milliseconds idle = std::chrono::minutes(10);
};

class SessionTable {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  // Fills the buffer with unpredictable bytes; false on failure.
  using RandomBytes = std::function<bool(unsigned char* out, size_t size)>;

  // `self` (this server's node id) appears in refusals. Null seams mean the
  // steady clock and OpenSSL's CSPRNG. Limits below 1 are raised to 1.
  SessionTable(std::string self, SessionLimits limits, Clock clock = nullptr,
               RandomBytes random = nullptr);

  // A fresh session for `node`, evicting as the limits require.
  // kInternal if the CSPRNG fails (a guessable session would be worse).
  Result<std::string> Open(std::string_view node);

  // Whether a request of `node` with this session and sequence would be
  // accepted; changes nothing, so it may run before the signature has been
  // checked. kNotFound: the session is unknown here (never issued, expired,
  // evicted, or the server restarted): the client should say hello again.
  // kPermissionDenied: issued to another node, or the sequence was used.
  Status Check(std::string_view node, std::string_view session, uint64_t sequence) const;

  // Check, then records `sequence` as the session's last and marks it used.
  // Atomic: of two requests with the same sequence at most one is accepted.
  Status Accept(std::string_view node, std::string_view session, uint64_t sequence);

  size_t size() const;
  // Sessions dropped since construction to make room (per node or in
  // total) or for being idle.
  uint64_t evicted() const;
  uint64_t expired() const;

 private:
  using Ids = std::list<std::string>;  // most recently used first
  struct Session {
    std::string node;
    uint64_t last_sequence = 0;
    std::chrono::steady_clock::time_point last_used;
    Ids::iterator in_all, in_node;
  };

  Status CheckLocked(std::string_view node, std::string_view session, uint64_t sequence,
                     std::chrono::steady_clock::time_point now) const;
  void ExpireIdleLocked(std::chrono::steady_clock::time_point now);
  void EraseLocked(const std::string& id);
  std::chrono::steady_clock::time_point Now() const;

  const std::string self_;
  const SessionLimits limits_;
  const Clock clock_;
  const RandomBytes random_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Session> sessions_;
  Ids all_;
  std::unordered_map<std::string, Ids> by_node_;
  uint64_t evicted_ = 0, expired_ = 0;
};

}  // namespace accord::server
