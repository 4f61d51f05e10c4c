#include "server/review_sessions.h"

#include <openssl/rand.h>

#include <chrono>
#include <iterator>

namespace accord::server {

ReviewSessions::ReviewSessions(std::function<int64_t()> clock_ms)
    : clock_ms_(std::move(clock_ms)) {}

int64_t ReviewSessions::Now() const {
  if (clock_ms_) return clock_ms_();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string ReviewSessions::Open(const std::string& user) {
  unsigned char bytes[16];
  // A token nobody can guess, or none: without randomness the sign-in fails.
  if (RAND_bytes(bytes, sizeof bytes) != 1) return "";
  static const char kHex[] = "0123456789abcdef";
  std::string token;
  for (unsigned char b : bytes) {
    token += kHex[b >> 4];
    token += kHex[b & 15];
  }
  int64_t now = Now();
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    it = it->second.expires_ms <= now ? sessions_.erase(it) : std::next(it);
  }
  if (sessions_.size() >= kMaxReviewSessions) {
    auto oldest = sessions_.begin();
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
      if (it->second.expires_ms < oldest->second.expires_ms) oldest = it;
    }
    sessions_.erase(oldest);
  }
  sessions_[token] = {user, now + kReviewSessionMs};
  return token;
}

std::optional<std::string> ReviewSessions::UserOf(const std::string& token) {
  if (token.empty()) return std::nullopt;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(token);
  if (it == sessions_.end()) return std::nullopt;
  if (it->second.expires_ms <= Now()) {
    sessions_.erase(it);
    return std::nullopt;
  }
  return it->second.user;
}

void ReviewSessions::Close(const std::string& token) {
  std::lock_guard<std::mutex> lock(mu_);
  sessions_.erase(token);
}

std::string CookieValue(const std::string& header, const std::string& name) {
  size_t pos = 0;
  while (pos < header.size()) {
    size_t end = header.find(';', pos);
    if (end == std::string::npos) end = header.size();
    size_t start = header.find_first_not_of(' ', pos);
    if (start < end) {
      std::string pair = header.substr(start, end - start);
      size_t eq = pair.find('=');
      if (eq != std::string::npos && pair.compare(0, eq, name) == 0) return pair.substr(eq + 1);
    }
    pos = end + 1;
  }
  return "";
}

}  // namespace accord::server
