// Review-page sign-ins (docs/users.md): a session cookie names a user who
// gave their password to POST /api/login. In memory only: a restart of
// `accord serve` signs everyone out.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace accord::server {

// The cookie: HttpOnly (no script reads it), SameSite=Strict (no other site
// sends it), expiring after kReviewSessionMs.
inline constexpr const char* kReviewCookie = "accord_review";
inline constexpr int64_t kReviewSessionMs = 30 * 60 * 1000;
inline constexpr size_t kMaxReviewSessions = 1000;

// Thread-safe: the server's handlers run on a pool.
class ReviewSessions {
 public:
  // `clock_ms`: ms since the Unix epoch; tests inject one.
  explicit ReviewSessions(std::function<int64_t()> clock_ms = {});

  // A new session for `user` (who just proved their password): its token,
  // 128 random bits in hex. The oldest session goes when there are too many.
  std::string Open(const std::string& user);
  // The user of a live session, or nullopt (unknown, expired).
  std::optional<std::string> UserOf(const std::string& token);
  void Close(const std::string& token);

 private:
  struct Session {
    std::string user;
    int64_t expires_ms = 0;
  };
  int64_t Now() const;
  std::function<int64_t()> clock_ms_;
  std::mutex mu_;
  std::map<std::string, Session> sessions_;
};

// The value of cookie `name` in a Cookie header ("" if absent).
std::string CookieValue(const std::string& header, const std::string& name);

}  // namespace accord::server
