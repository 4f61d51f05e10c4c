// Copies a database's WAL into its file on a thread of its own.
//
// SQLite's autocheckpoint runs inside a commit: a connection applying a sync
// page after page stops every 1,000 frames to copy them (the copying of the
// same index pages again and again once cost a 1.8M-state bundle 14.3 s
// against 9.7 s), and with the interval raised the whole WAL is left for the
// close: 8,500 frames, 0.17 s at the end of a 100,000-state pull, while the
// officer waits (docs/PERFORMANCE.md, "Ninth round"). Here a PASSIVE
// checkpoint on a second connection copies the frames while the committing
// thread goes on (or waits on the network), and the close copies only the
// last few.
#pragma once

#include <sqlite3.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/status.h"

namespace accord {

class Database;

class WalCheckpointer {
 public:
  // The checkpointer of the database file at `path` for this process (one
  // thread and one connection however many connections use it), started on
  // first use: it checkpoints once `frames` frames were committed since the
  // last checkpoint (the first user's figure).
  static Result<std::shared_ptr<WalCheckpointer>> For(const std::string& path, int frames);
  // The one running for `path`, or null: none is started.
  static std::shared_ptr<WalCheckpointer> Running(const std::string& path);
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // Makes `db`'s commits wake this checkpointer instead of checkpointing
  // themselves (sqlite3_wal_hook replaces SQLite's autocheckpoint), until
  // Detach. REQUIRES: `db` is a connection to this checkpointer's file.
  void Attach(sqlite3* db);
  // Removes the hook: before the connection closes or this is released.
  static void Detach(sqlite3* db);

  // While held, no checkpoint runs here, and one running is waited for: a
  // TRUNCATE checkpoint on another connection fails at once (SQLITE_BUSY)
  // beside a running one, whatever its busy handler.
  std::unique_lock<std::mutex> HoldOff();

  // Checkpoints run so far (tests).
  int64_t runs() const;

 private:
  explicit WalCheckpointer(int frames) : frames_per_checkpoint_(frames) {}
  static int OnCommit(void* self, sqlite3* db, const char* schema, int wal_frames);
  void Committed(int wal_frames);
  void Run();

  const int frames_per_checkpoint_;
  std::string path_;                      // its key in the registry, once registered
  std::unique_ptr<Database> connection_;  // used by the thread only
  std::thread thread_;
  mutable std::mutex mu_;  // guards the fields below
  std::condition_variable wake_;
  bool pending_ = false;
  bool stopping_ = false;
  int wal_frames_ = 0;     // the WAL's frames after the last commit
  int frames_copied_ = 0;  // the WAL's frames the last checkpoint reached
  int64_t runs_ = 0;
  std::mutex checkpoint_mu_;  // held while a checkpoint runs (HoldOff)
};

}  // namespace accord
