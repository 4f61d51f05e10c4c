#include "core/store.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <random>

#include "core/migrations.h"
#include "core/node_id.h"
#include "core/peer_book.h"
#include "core/wal_checkpointer.h"

namespace accord {

namespace {

int64_t SystemClockMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<std::string> ReadMeta(Database& db, const std::string& key) {
  ASSIGN_OR_RETURN(Statement * stmt, db.Prepare("SELECT value FROM meta WHERE key = ?"));
  stmt->Bind(1, key);
  ASSIGN_OR_RETURN(bool found, stmt->Step());
  if (!found) return NotFound("meta key '" + key + "' is missing");
  std::string value = stmt->Text(0);
  stmt->Reset();
  return value;
}

}  // namespace

const std::optional<std::string>* RecordView::Value(const std::string& field) const {
  auto it = fields.find(field);
  return it == fields.end() ? nullptr : &it->second.value;
}

Store::Store(std::unique_ptr<Database> db, std::string node_id, StoreOptions options)
    : db_(std::move(db)),
      peers_(new PeerBook(*db_)),
      node_id_(std::move(node_id)),
      options_(std::move(options)),
      // The built-in policy until Open reads which version the node holds.
      policy_(std::shared_ptr<const SharingPolicy>(), &SharingPolicy::Default()) {
  if (!options_.clock_ms) options_.clock_ms = SystemClockMs;
}

Store::~Store() {
  if (checkpointer_) WalCheckpointer::Detach(db_->handle());
}

Status Store::CheckpointInBackground() {
  const char* file = sqlite3_db_filename(db_->handle(), "main");
  // (A database with no file, in memory or temporary, has no WAL to copy.)
  auto checkpointer = file && *file ? WalCheckpointer::For(file, options_.checkpoint_frames)
                                    : Result<std::shared_ptr<WalCheckpointer>>(
                                          FailedPrecondition("the database has no file"));
  if (!checkpointer.ok()) {
    // No thread or no second connection: the commits checkpoint, every
    // 10,000 frames (~40 MiB) rather than SQLite's 1,000, which copied the
    // same index pages again and again (wal_checkpointer.h).
    return db_->Exec("PRAGMA wal_autocheckpoint=10000");
  }
  checkpointer_ = std::move(checkpointer).value();
  checkpointer_->Attach(db_->handle());
  return Status::Ok();
}

std::unique_lock<std::mutex> Store::HoldOffBackgroundCheckpoints() {
  std::shared_ptr<WalCheckpointer> running = checkpointer_;
  if (!running) {
    const char* file = sqlite3_db_filename(db_->handle(), "main");
    running = WalCheckpointer::Running(file ? file : "");
  }
  return running ? running->HoldOff() : std::unique_lock<std::mutex>();
}

int64_t Store::NowMs() const {
  return options_.clock_ms();
}

namespace {

Status SyncPath(const std::string& path, int flags, const char* what) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0)
    return IoError(std::string("cannot open ") + what + " " + path + ": " + strerror(errno));
  int rc = ::fsync(fd);
  int saved = errno;
  ::close(fd);
  if (rc != 0)
    return IoError(std::string("cannot sync ") + what + " " + path + ": " + strerror(saved));
  return Status::Ok();
}

// Moves `from` to `to` unless `to` exists (two inits racing: the second fails).
Status RenameNoReplace(const std::string& from, const std::string& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) {
    return Status::Ok();
  }
  if (errno == EEXIST) return FailedPrecondition("a node database already exists at " + to);
  if (errno != EINVAL && errno != ENOSYS) {
    return IoError("cannot move " + from + " to " + to + ": " + strerror(errno));
  }
  // The filesystem cannot refuse to replace: check, then rename.
  std::error_code ec;
  if (std::filesystem::exists(to, ec)) {
    return FailedPrecondition("a node database already exists at " + to);
  }
  std::filesystem::rename(from, to, ec);
  if (ec) return IoError("cannot move " + from + " to " + to + ": " + ec.message());
  return Status::Ok();
}

// Temporaries an init killed mid-way left beside `path`. (Two inits of one
// directory at once are not supported: the one whose file this removes fails.)
void RemoveStaleTemporaries(const std::filesystem::path& path) {
  std::error_code ec;
  std::string prefix = path.filename().string() + ".init-";
  std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().filename().string().rfind(prefix, 0) == 0) {
      std::filesystem::remove(entry.path(), ec);
    }
  }
}

Status WriteNewNode(Database& db, const std::string& node_id, const DataKey* data_key) {
  RETURN_IF_ERROR(MigrateDatabase(db));
  ASSIGN_OR_RETURN(auto txn, Transaction::Begin(db, Transaction::Mode::kWrite));
  ASSIGN_OR_RETURN(Statement * meta,
                   db.Prepare("INSERT INTO meta(key, value) VALUES('node_id', ?)"));
  RETURN_IF_ERROR(meta->Bind(1, node_id).Run());
  if (data_key) {
    // Encrypted from the first write: no personal value is ever stored clear.
    ASSIGN_OR_RETURN(Statement * key,
                     db.Prepare("INSERT INTO meta(key, value) VALUES('data_key_id', ?)"));
    RETURN_IF_ERROR(key->Bind(1, data_key->KeyId()).Run());
  }
  ASSIGN_OR_RETURN(Statement * counter,
                   db.Prepare("INSERT INTO knowledge(node, counter) VALUES(?, 0)"));
  RETURN_IF_ERROR(counter->Bind(1, node_id).Run());
  return txn->Commit();
}

// Builds the node database under a temporary name beside `path`, closes and
// syncs it, and renames it into place: whatever moment a crash strikes, there
// is either no database at `path` (init can run again) or a whole one — never
// one that neither opens nor can be initialised again.
Status BuildNodeDatabase(const std::string& path, const std::string& node_id,
                         const DataKey* data_key) {
  std::filesystem::path target(path);
  RemoveStaleTemporaries(target);
  std::random_device random;
  std::string tmp = path + ".init-" + std::to_string(::getpid()) + "-" + std::to_string(random());
  Status built = [&]() -> Status {
    {
      ASSIGN_OR_RETURN(auto db, Database::CreateScratch(tmp));
      RETURN_IF_ERROR(WriteNewNode(*db, node_id, data_key));
    }  // closed: everything is in the one file
    RETURN_IF_ERROR(SyncPath(tmp, O_RDONLY, "the new database"));
    RETURN_IF_ERROR(RenameNoReplace(tmp, path));
    std::string dir = target.has_parent_path() ? target.parent_path().string() : ".";
    return SyncPath(dir, O_RDONLY | O_DIRECTORY, "the directory");
  }();
  if (!built.ok()) {
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
  }
  return built;
}

}  // namespace

Result<std::unique_ptr<Store>> Store::Create(const std::string& path, const std::string& node_id,
                                             StoreOptions options) {
  if (!IsValidNodeId(node_id)) {
    return InvalidArgument("node id '" + node_id +
                           "' is not valid: use letters, digits and '-', at most 32 characters");
  }
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    return FailedPrecondition("a node database already exists at " + path);
  }
  RETURN_IF_ERROR(BuildNodeDatabase(path, node_id, options.data_key.get()));
  return Open(path, std::move(options));
}

Result<std::unique_ptr<Store>> Store::Open(const std::string& path, StoreOptions options) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return NotFound("no node database at " + path + " (run `accord init --node-id ID` first)");
  }
  ASSIGN_OR_RETURN(auto db, Database::Open(path, /*create=*/false));
  RETURN_IF_ERROR(MigrateDatabase(*db));
  ASSIGN_OR_RETURN(std::string node_id, ReadMeta(*db, "node_id"));
  auto key_id = ReadMeta(*db, "data_key_id");
  if (!key_id.ok() && key_id.status().code() != Code::kNotFound) return key_id.status();
  CellCipher cipher;
  if (key_id.ok()) {
    if (options.data_key && options.data_key->KeyId() != *key_id) {
      return PermissionDenied("the key given is not this node's data key (key id " +
                              options.data_key->KeyId() + ", the node's is " + *key_id +
                              "): nothing was changed");
    }
    auto marked = ReadMeta(*db, "personal_types");
    if (!marked.ok() && marked.status().code() != Code::kNotFound) return marked.status();
    cipher = CellCipher(*key_id, options.data_key, SplitTypeList(marked.ok() ? *marked : ""));
  } else if (options.data_key) {
    return FailedPrecondition("this node's data is not encrypted: run `accord encrypt` first");
  }
  std::unique_ptr<Store> store(new Store(std::move(db), node_id, std::move(options)));
  store->cipher_ = std::move(cipher);
  // A node directory holds one accord.db and its attachments; tests keep
  // several databases in one folder, each with its own files beside it.
  std::filesystem::path db_path(path);
  std::string files_dir =
      db_path.filename() == "accord.db"
          ? (db_path.has_parent_path() ? db_path.parent_path().string() : ".") + "/attachments"
          : path + ".attachments";
  store->files_ = std::make_unique<AttachmentFiles>(std::move(files_dir), &store->cipher_);
  RETURN_IF_ERROR(store->LoadRevocationLock());
  RETURN_IF_ERROR(store->RefreshPolicy());
  return store;
}

Result<std::optional<std::string>> Store::RecordType(std::string_view record_id) {
  ASSIGN_OR_RETURN(Statement * stmt, db_->Prepare("SELECT type FROM records WHERE id = ?"));
  stmt->Bind(1, record_id);
  ASSIGN_OR_RETURN(bool found, stmt->Step());
  std::optional<std::string> type;
  if (found) type = stmt->Text(0);
  stmt->Reset();
  return type;
}

Result<std::vector<StoredVersion>> Store::LiveVersions(std::string_view record_id,
                                                       std::string_view field) {
  ASSIGN_OR_RETURN(Statement * stmt,
                   db_->Prepare("SELECT seq, value, vv, origin, origin_time, note, state, author "
                                "FROM versions WHERE record_id = ? AND field = ? AND state > 0"));
  stmt->Bind(1, record_id).Bind(2, field);
  std::vector<StoredVersion> live;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    StoredVersion sv;
    sv.seq = stmt->Int(0);
    sv.version.record_id = std::string(record_id);
    sv.version.field = std::string(field);
    std::string vv = stmt->Text(2);
    CellRow cell{record_id, field, vv};
    auto value = cipher_.ReadValue(*stmt, 1, cell);
    auto note = cipher_.ReadNote(*stmt, 5, cell);
    auto version = VersionVector::FromText(vv);
    for (const Status& st : {value.status(), note.status(), version.status()}) {
      if (!st.ok()) {
        stmt->Reset();
        return st;
      }
    }
    sv.version.value = std::move(value).value();
    sv.version.version = std::move(version).value();
    sv.version.origin = stmt->Text(3);
    sv.version.origin_time_ms = stmt->Int(4);
    sv.version.note = std::move(note).value();
    sv.version.author = stmt->Text(7);
    sv.live = true;
    sv.winner = stmt->Int(6) == 2;
    live.push_back(std::move(sv));
  }
  stmt->Reset();
  return live;
}

Result<VersionVector> Store::Knowledge() {
  ASSIGN_OR_RETURN(Statement * stmt, db_->Prepare("SELECT node, counter FROM knowledge"));
  VersionVector knowledge;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    knowledge.Set(stmt->Text(0), static_cast<uint64_t>(stmt->Int(1)));
  }
  stmt->Reset();
  return knowledge;
}

Result<NodeStatus> Store::GetStatus() {
  ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_, Transaction::Mode::kRead));
  NodeStatus status;
  status.node_id = node_id_;
  ASSIGN_OR_RETURN(status.knowledge, Knowledge());
  ASSIGN_OR_RETURN(
      Statement * counts,
      db_->Prepare("SELECT type, deleted, count(*) FROM records GROUP BY type, deleted"));
  while (true) {
    ASSIGN_OR_RETURN(bool row, counts->Step());
    if (!row) break;
    if (counts->Int(1)) {
      status.deleted_records += counts->Int(2);
    } else {
      status.records_per_type[counts->Text(0)] = counts->Int(2);
    }
  }
  counts->Reset();
  ASSIGN_OR_RETURN(Statement * seq, db_->Prepare("SELECT coalesce(max(seq), 0) FROM versions"));
  ASSIGN_OR_RETURN(bool has_seq, seq->Step());
  status.last_seq = has_seq ? seq->Int(0) : 0;
  seq->Reset();
  ASSIGN_OR_RETURN(Statement * conflicts, db_->Prepare("SELECT count(*) FROM conflicts"));
  ASSIGN_OR_RETURN(bool has_conflicts, conflicts->Step());
  status.open_conflicts = has_conflicts ? conflicts->Int(0) : 0;
  conflicts->Reset();
  return status;
}

}  // namespace accord
