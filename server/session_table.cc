#include "server/session_table.h"

#include <openssl/rand.h>

#include "core/hex.h"
#include "net/request_signing.h"

namespace accord::server {
namespace {

SessionLimits AtLeastOne(SessionLimits limits) {
  if (limits.per_node < 1) limits.per_node = 1;
  if (limits.total < 1) limits.total = 1;
  return limits;
}

std::string Minutes(std::chrono::milliseconds d) {
  auto minutes = std::chrono::duration_cast<std::chrono::minutes>(d).count();
  return minutes >= 1
             ? std::to_string(minutes) + " min"
             : std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count()) + " s";
}

}  // namespace

SessionTable::SessionTable(std::string self, SessionLimits limits, Clock clock, RandomBytes random)
    : self_(std::move(self)),
      limits_(AtLeastOne(limits)),
      clock_(clock ? std::move(clock) : [] { return std::chrono::steady_clock::now(); }),
      random_(random ? std::move(random) : [](unsigned char* out, size_t size) {
        return RAND_bytes(out, static_cast<int>(size)) == 1;
      }) {}

std::chrono::steady_clock::time_point SessionTable::Now() const {
  return clock_();
}

Result<std::string> SessionTable::Open(std::string_view node) {
  unsigned char bytes[net::kSessionIdHexDigits / 2];
  std::lock_guard<std::mutex> lock(mu_);
  if (!random_(bytes, sizeof(bytes))) {
    return Internal("cannot open a sync session: the random number generator failed");
  }
  std::string id = HexEncode(std::string_view(reinterpret_cast<char*>(bytes), sizeof(bytes)));
  // A collision of 128 random bits means a broken generator: refuse rather
  // than hand one node another's session.
  if (sessions_.count(id) != 0) {
    return Internal("cannot open a sync session: the random number generator repeats itself");
  }
  auto now = Now();
  ExpireIdleLocked(now);
  const std::string key(node);
  // Looked up on every turn: erasing a node's last session drops its list.
  for (auto mine = by_node_.find(key);
       mine != by_node_.end() && mine->second.size() >= limits_.per_node;
       mine = by_node_.find(key)) {
    EraseLocked(std::string(mine->second.back()));  // a copy: erasing frees the list node
    ++evicted_;
  }
  while (sessions_.size() >= limits_.total) {
    EraseLocked(std::string(all_.back()));
    ++evicted_;
  }
  Ids& mine = by_node_[key];
  all_.push_front(id);
  mine.push_front(id);
  sessions_.emplace(id, Session{key, 0, now, all_.begin(), mine.begin()});
  return id;
}

Status SessionTable::CheckLocked(std::string_view node, std::string_view session, uint64_t sequence,
                                 std::chrono::steady_clock::time_point now) const {
  if (session == net::kNoSession) {
    return NotFound("this request carries no session: a sync starts with hello, which opens one");
  }
  auto it = sessions_.find(std::string(session));
  if (it == sessions_.end() || now - it->second.last_used >= limits_.idle) {
    return NotFound("session " + net::ShortSession(session) + " is unknown to " + self_ +
                    " (unused for " + Minutes(limits_.idle) +
                    ", replaced by newer ones, or the server restarted): say hello again");
  }
  const Session& s = it->second;
  if (s.node != node) {
    return PermissionDenied("session " + net::ShortSession(session) + " was not issued to " +
                            std::string(node) + " by " + self_);
  }
  if (sequence <= s.last_sequence) {
    return PermissionDenied("request " + std::to_string(sequence) + " of session " +
                            net::ShortSession(session) + " was already used (last accepted: " +
                            std::to_string(s.last_sequence) + "): a replayed request is refused");
  }
  return Status::Ok();
}

Status SessionTable::Check(std::string_view node, std::string_view session,
                           uint64_t sequence) const {
  std::lock_guard<std::mutex> lock(mu_);
  return CheckLocked(node, session, sequence, Now());
}

Status SessionTable::Accept(std::string_view node, std::string_view session, uint64_t sequence) {
  std::lock_guard<std::mutex> lock(mu_);
  auto now = Now();
  RETURN_IF_ERROR(CheckLocked(node, session, sequence, now));
  Session& s = sessions_.find(std::string(session))->second;
  s.last_sequence = sequence;
  s.last_used = now;
  all_.splice(all_.begin(), all_, s.in_all);
  Ids& mine = by_node_[s.node];
  mine.splice(mine.begin(), mine, s.in_node);
  return Status::Ok();
}

void SessionTable::ExpireIdleLocked(std::chrono::steady_clock::time_point now) {
  // all_ is ordered by last use, so the idle ones are at its end.
  while (!all_.empty() && now - sessions_.at(all_.back()).last_used >= limits_.idle) {
    EraseLocked(std::string(all_.back()));
    ++expired_;
  }
}

void SessionTable::EraseLocked(const std::string& id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  auto node = by_node_.find(it->second.node);
  node->second.erase(it->second.in_node);
  if (node->second.empty()) by_node_.erase(node);
  all_.erase(it->second.in_all);
  sessions_.erase(it);
}

size_t SessionTable::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sessions_.size();
}

uint64_t SessionTable::evicted() const {
  std::lock_guard<std::mutex> lock(mu_);
  return evicted_;
}

uint64_t SessionTable::expired() const {
  std::lock_guard<std::mutex> lock(mu_);
  return expired_;
}

}  // namespace accord::server
