// A thin RAII layer over the SQLite C API: a connection with a cache of
// prepared statements, and transactions that roll back unless committed.
// All SQL in Accord lives in core/.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace accord {

class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Binds by 1-based index. Text is copied (SQLITE_TRANSIENT) so temporaries are safe.
  Statement& Bind(int index, std::string_view text);
  Statement& Bind(int index, int64_t number);
  // Text not copied (SQLITE_STATIC): for hot statements whose bytes outlive
  // the Run or Step that reads them (Run and Reset clear the binding).
  Statement& BindUncopied(int index, std::string_view text);
  Statement& BindOptional(int index, const std::optional<std::string>& text_or_null);
  Statement& BindNull(int index);
  // Bytes as a BLOB (copied); SQLite compares and returns them unchanged.
  Statement& BindBlob(int index, std::string_view bytes);
  // An empty string binds NULL: "no bytes yet".
  Statement& BindBlobOrNull(int index, std::string_view bytes);

  // Advances to the next row: true while there is one, false when done.
  Result<bool> Step();
  // Runs a statement that returns no rows.
  Status Run();
  // Clears bindings and rewinds so the cached statement can be reused.
  void Reset();

  std::string Text(int column) const;
  std::string Blob(int column) const;  // "" for NULL
  std::optional<std::string> OptionalText(int column) const;
  int64_t Int(int column) const;
  bool IsNull(int column) const;
  bool IsBlob(int column) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

class Database {
 public:
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Opens (creating when `create`) the database at `path`, in WAL mode; a
  // call that meets a lock held by another connection waits up to
  // kBusyTimeout, polling every 0.5 ms (2 ms after the first 1000 tries),
  // then fails with kUnavailable.
  static Result<std::unique_ptr<Database>> Open(const std::string& path, bool create);
  // Creates a database file that no other connection will open until it is
  // complete: journal in memory, no syncs (the caller syncs the closed file),
  // not in WAL mode, so closing it leaves the one file and nothing beside it.
  static Result<std::unique_ptr<Database>> CreateScratch(const std::string& path);

  Status Exec(std::string_view sql);
  // Returns a cached prepared statement, reset and ready to bind. The pointer
  // stays valid for the life of the Database; do not use one statement twice at once.
  Result<Statement*> Prepare(const std::string& sql);

  static constexpr std::chrono::milliseconds kBusyTimeout{15000};

  int64_t Changes() const { return sqlite3_changes64(db_); }
  sqlite3* handle() { return db_; }
  std::string ErrorMessage() const { return sqlite3_errmsg(db_); }

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  static int WaitWhileBusy(void* self, int attempt);
  sqlite3* db_;
  std::chrono::steady_clock::time_point busy_since_;
  std::map<std::string, std::unique_ptr<Statement>, std::less<>> cache_;
};

// Maps an SQLite result code to a Status; `what` says what was being done.
Status SqliteStatus(sqlite3* db, int rc, std::string_view what);

// BEGIN IMMEDIATE (write) or BEGIN (read) ... COMMIT; rolls back in the
// destructor unless Commit() succeeded, so an early error return applies nothing.
// REQUIRES: no transaction open on the connection (else kFailedPrecondition).
class Transaction {
 public:
  enum class Mode { kRead, kWrite };
  static Result<std::unique_ptr<Transaction>> Begin(Database& db, Mode mode);
  ~Transaction();
  Status Commit();

 private:
  explicit Transaction(Database& db) : db_(db) {}
  Database& db_;
  bool open_ = true;
};

}  // namespace accord
