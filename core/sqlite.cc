#include "core/sqlite.h"

#include <mutex>
#include <thread>

namespace accord {

Status SqliteStatus(sqlite3* db, int rc, std::string_view what) {
  if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) return Status::Ok();
  std::string message = std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Unavailable(message);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Corruption(message);
    case SQLITE_CONSTRAINT:
      return InvalidArgument(message);
    default:
      return IoError(message);
  }
}

Statement::~Statement() {
  sqlite3_finalize(stmt_);
}

Statement& Statement::Bind(int index, std::string_view text) {
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::BindUncopied(int index, std::string_view text) {
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
  return *this;
}

Statement& Statement::Bind(int index, int64_t number) {
  sqlite3_bind_int64(stmt_, index, number);
  return *this;
}

Statement& Statement::BindOptional(int index, const std::optional<std::string>& text_or_null) {
  return text_or_null ? Bind(index, std::string_view(*text_or_null)) : BindNull(index);
}

Statement& Statement::BindBlob(int index, std::string_view bytes) {
  sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::BindBlobOrNull(int index, std::string_view bytes) {
  return bytes.empty() ? BindNull(index) : BindBlob(index, bytes);
}

Statement& Statement::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

Result<bool> Statement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Status st = SqliteStatus(db_, rc, std::string("running ") + sqlite3_sql(stmt_));
  sqlite3_reset(stmt_);
  return st;
}

Status Statement::Run() {
  Result<bool> row = Step();
  Reset();  // on failure too: no binding outlives the call (BindUncopied)
  return row.ok() ? Status::Ok() : row.status();
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::string Statement::Text(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  int size = sqlite3_column_bytes(stmt_, column);
  return text ? std::string(reinterpret_cast<const char*>(text), size) : std::string();
}

std::string Statement::Blob(int column) const {
  const void* data = sqlite3_column_blob(stmt_, column);
  int size = sqlite3_column_bytes(stmt_, column);
  return data ? std::string(static_cast<const char*>(data), static_cast<size_t>(size))
              : std::string();
}

std::optional<std::string> Statement::OptionalText(int column) const {
  if (IsNull(column)) return std::nullopt;
  return Text(column);
}

int64_t Statement::Int(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

bool Statement::IsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

bool Statement::IsBlob(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_BLOB;
}

Database::~Database() {
  cache_.clear();  // finalize statements before closing
  sqlite3_close_v2(db_);
}

int Database::WaitWhileBusy(void* self, int attempt) {
  // SQLite's own back-off sleeps up to 100 ms between tries; a bundle apply
  // frees the write lock for a millisecond or two between chunks, so waiters
  // mostly slept through the gaps. Short steps catch them.
  auto& since = static_cast<Database*>(self)->busy_since_;
  auto now = std::chrono::steady_clock::now();
  if (attempt == 0) since = now;
  if (now - since >= kBusyTimeout) return 0;  // give up: SQLITE_BUSY
  std::this_thread::sleep_for(std::chrono::microseconds(attempt < 1000 ? 500 : 2000));
  return 1;
}

namespace {

// SQLite counts every allocation it makes, under a process-wide mutex, for
// sqlite3_memory_used() and the soft heap limit, neither of which Accord uses:
// two mutex calls per allocation, ~3 % of a sync's instructions. Off before the
// first connection (sqlite3_config must precede sqlite3_initialize).
void ConfigureSqliteOnce() {
  static std::once_flag once;
  std::call_once(once, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

}  // namespace

Result<std::unique_ptr<Database>> Database::Open(const std::string& path, bool create) {
  ConfigureSqliteOnce();
  sqlite3* raw = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status st = SqliteStatus(raw, rc, "opening " + path);
    sqlite3_close_v2(raw);
    return st;
  }
  std::unique_ptr<Database> db(new Database(raw));
  // Writers from several processes wait for each other instead of failing.
  sqlite3_busy_handler(raw, &Database::WaitWhileBusy, db.get());
  sqlite3_extended_result_codes(raw, 1);
  RETURN_IF_ERROR(db->Exec("PRAGMA journal_mode=WAL"));
  // NORMAL is durable across application crashes in WAL mode; a power cut may
  // lose the last commits but never corrupts the database.
  RETURN_IF_ERROR(db->Exec("PRAGMA synchronous=NORMAL"));
  // Deleted and overwritten content is zeroed, wherever it was: a purged
  // record (docs/sharing.md, "Leaving a scope") leaves no copy in the file's
  // free pages or the unused space of its pages, including copies that page
  // splits and updates left behind long before the purge.
  RETURN_IF_ERROR(db->Exec("PRAGMA secure_delete=ON"));
  return db;
}

Result<std::unique_ptr<Database>> Database::CreateScratch(const std::string& path) {
  ConfigureSqliteOnce();
  sqlite3* raw = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status st = SqliteStatus(raw, rc, "creating " + path);
    sqlite3_close_v2(raw);
    return st;
  }
  std::unique_ptr<Database> db(new Database(raw));
  sqlite3_extended_result_codes(raw, 1);
  RETURN_IF_ERROR(db->Exec("PRAGMA journal_mode=MEMORY"));
  RETURN_IF_ERROR(db->Exec("PRAGMA synchronous=OFF"));
  RETURN_IF_ERROR(db->Exec("PRAGMA secure_delete=ON"));  // as in Open
  return db;
}

Status Database::Exec(std::string_view sql) {
  char* error = nullptr;
  std::string owned(sql);
  int rc = sqlite3_exec(db_, owned.c_str(), nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    std::string message = error ? error : sqlite3_errstr(rc);
    sqlite3_free(error);
    return SqliteStatus(nullptr, rc, "executing SQL (" + message + ")");
  }
  return Status::Ok();
}

Result<Statement*> Database::Prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) {
    it->second->Reset();
    return it->second.get();
  }
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return SqliteStatus(db_, rc, "preparing " + sql);
  auto owned = std::make_unique<Statement>(db_, stmt);
  Statement* raw = owned.get();
  cache_.emplace(sql, std::move(owned));
  return raw;
}

Result<std::unique_ptr<Transaction>> Transaction::Begin(Database& db, Mode mode) {
  // A transaction already open on this connection (an uncommitted
  // Store::RemoteBatch) would swallow this one: refuse rather than nest.
  if (!sqlite3_get_autocommit(db.handle())) {
    return FailedPrecondition(
        "a transaction is already open on this database connection (a remote batch not yet "
        "committed?): one transaction at a time per store");
  }
  // IMMEDIATE takes the write lock up front, so two writers queue on the busy
  // timeout instead of deadlocking on a read-to-write upgrade.
  RETURN_IF_ERROR(db.Exec(mode == Mode::kWrite ? "BEGIN IMMEDIATE" : "BEGIN"));
  return std::unique_ptr<Transaction>(new Transaction(db));
}

Transaction::~Transaction() {
  if (open_) (void)db_.Exec("ROLLBACK");
}

Status Transaction::Commit() {
  RETURN_IF_ERROR(db_.Exec("COMMIT"));
  open_ = false;
  return Status::Ok();
}

}  // namespace accord
