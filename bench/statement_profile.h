// Where a write's time goes inside SQLite: every statement a connection runs,
// timed from its first step to its reset (sqlite3_trace_v2), summed by SQL
// text; and the WAL: pages appended per commit and the automatic checkpoints,
// which SQLite runs after a commit's statement has finished (so outside its
// time). SQLite's own profile clock ticks in milliseconds, too coarse for
// statements of a few microseconds, so the timing here is our steady clock.
// Tracing costs a little per statement: use it in a pass of its own, not in
// the pass whose figures are reported.
#pragma once

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace accord::bench {

class StatementProfile {
 public:
  struct Entry {
    std::string sql;
    long calls = 0;
    double seconds = 0;
  };

  explicit StatementProfile(sqlite3* db) : db_(db) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, "PRAGMA wal_autocheckpoint", -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      checkpoint_pages_ = sqlite3_column_int(stmt, 0);
    }
    sqlite3_finalize(stmt);
    sqlite3_trace_v2(db_, SQLITE_TRACE_STMT | SQLITE_TRACE_PROFILE, &StatementProfile::OnTrace,
                     this);
    sqlite3_wal_hook(db_, &StatementProfile::OnWalCommit, this);
  }
  ~StatementProfile() {
    sqlite3_trace_v2(db_, 0, nullptr, nullptr);
    sqlite3_wal_autocheckpoint(db_, checkpoint_pages_);  // restores SQLite's own hook
  }
  StatementProfile(const StatementProfile&) = delete;
  StatementProfile& operator=(const StatementProfile&) = delete;

  long TotalCalls() const {
    long n = 0;
    for (const auto& [sql, e] : by_sql_) n += e.calls;
    return n;
  }
  double TotalSeconds() const {
    double s = 0;
    for (const auto& [sql, e] : by_sql_) s += e.seconds;
    return s;
  }
  long commits() const { return commits_; }
  long wal_pages() const { return wal_pages_; }

  // Most expensive first.
  std::vector<Entry> Entries() const {
    std::vector<Entry> out;
    for (const auto& [sql, e] : by_sql_) out.push_back(e);
    std::sort(out.begin(), out.end(),
              [](const Entry& a, const Entry& b) { return a.seconds > b.seconds; });
    return out;
  }

 private:
  static int OnTrace(unsigned type, void* self_ptr, void* p, void*) {
    auto* self = static_cast<StatementProfile*>(self_ptr);
    auto* stmt = static_cast<sqlite3_stmt*>(p);
    auto now = std::chrono::steady_clock::now();
    if (type == SQLITE_TRACE_STMT) {
      // Also fired for each trigger program; keep the statement's first start.
      self->started_.try_emplace(stmt, now);
    } else if (type == SQLITE_TRACE_PROFILE) {
      auto it = self->started_.find(stmt);
      if (it == self->started_.end()) return 0;
      self->EntryFor(stmt).calls++;
      self->EntryFor(stmt).seconds += std::chrono::duration<double>(now - it->second).count();
      self->started_.erase(it);
    }
    return 0;
  }

  // Cached statements keep their address, so the SQL text is looked up once per statement.
  Entry& EntryFor(sqlite3_stmt* stmt) {
    const char* sql = sqlite3_sql(stmt);
    auto it = entry_of_.find(stmt);
    if (it != entry_of_.end() && std::strcmp(it->second->sql.c_str(), sql) == 0) return *it->second;
    Entry& e = by_sql_[sql];
    if (e.sql.empty()) e.sql = sql;
    entry_of_[stmt] = &e;
    return e;
  }

  // Does what SQLite's default hook does (a passive checkpoint once the WAL
  // holds wal_autocheckpoint pages), timed, and counts the pages each commit appended.
  static int OnWalCommit(void* self_ptr, sqlite3* db, const char* name, int pages) {
    auto* self = static_cast<StatementProfile*>(self_ptr);
    self->commits_++;
    self->wal_pages_ += pages >= self->last_wal_pages_ ? pages - self->last_wal_pages_ : pages;
    self->last_wal_pages_ = pages;
    if (self->checkpoint_pages_ > 0 && pages >= self->checkpoint_pages_) {
      auto start = std::chrono::steady_clock::now();
      sqlite3_wal_checkpoint(db, name);
      Entry& e = self->by_sql_["(automatic WAL checkpoint after a commit)"];
      e.sql = "(automatic WAL checkpoint after a commit)";
      e.calls++;
      e.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    return SQLITE_OK;
  }

  int checkpoint_pages_ = 1000;  // SQLITE_DEFAULT_WAL_AUTOCHECKPOINT unless changed
  long commits_ = 0;
  long wal_pages_ = 0;
  int last_wal_pages_ = 0;
  std::unordered_map<sqlite3_stmt*, Entry*> entry_of_;

  sqlite3* db_;
  std::unordered_map<sqlite3_stmt*, std::chrono::steady_clock::time_point> started_;
  std::map<std::string, Entry> by_sql_;
};

}  // namespace accord::bench
