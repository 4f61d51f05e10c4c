// The WAL is copied into the database file on a thread of its own while a
// connection applies remote batches (core/wal_checkpointer.h).
#include "core/wal_checkpointer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "core/sqlite.h"
#include "core/store.h"
#include "test_support.h"

namespace accord {
namespace {

using testing::NewStore;
using testing::TempDir;

// Polls (up to 30 s) until the checkpointer has run `at_least` times.
bool WaitForRuns(const WalCheckpointer& checkpointer, int64_t at_least) {
  for (int i = 0; i < 3000 && checkpointer.runs() < at_least; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return checkpointer.runs() >= at_least;
}

// A Khmer phrase from a case file, long enough that every row takes a page.
std::string LongKhmerNote(int i) {
  std::string text = "ការតាមដានក្រុមគ្រួសារ ករណីលេខ " + std::to_string(i) + " ";
  while (text.size() < 4500) text += "ការបញ្ជាក់សញ្ជាតិ និងការធ្វើមាតុភូមិនិវត្តន៍ ";
  return text;
}

std::unique_ptr<Database> NotesDatabase(const std::string& path) {
  auto db = Database::Open(path, /*create=*/true);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_TRUE((*db)->Exec("CREATE TABLE notes(text TEXT)").ok());
  return std::move(db).value();
}

// The checkpointer of `path`, every `frames` frames, woken by `db`'s commits
// (null when it could not start: the test fails).
std::shared_ptr<WalCheckpointer> AttachedCheckpointer(const std::string& path, Database& db,
                                                      int frames) {
  auto checkpointer = WalCheckpointer::For(path, frames);
  EXPECT_TRUE(checkpointer.ok()) << checkpointer.status().ToString();
  if (!checkpointer.ok()) return nullptr;
  (*checkpointer)->Attach(db.handle());
  return *checkpointer;
}

void WriteNotes(Database& db, int from, int count) {
  for (int i = from; i < from + count; ++i) {
    auto insert = db.Prepare("INSERT INTO notes(text) VALUES(?)");
    ASSERT_TRUE(insert.ok());
    ASSERT_TRUE((*insert)->Bind(1, LongKhmerNote(i)).Run().ok());  // one commit each
  }
}

TEST(WalCheckpointerTest, CommittedFramesReachTheFileWhileTheWriterKeepsItsConnection) {
  TempDir dir;
  const std::string path = dir.File("accord.db");
  auto db = NotesDatabase(path);
  auto checkpointer = AttachedCheckpointer(path, *db, 50);
  ASSERT_NE(checkpointer, nullptr);
  const auto file_before = std::filesystem::file_size(path);
  // 120 commits of a page or two each: past the interval, below SQLite's own
  // autocheckpoint (1,000 frames), which the hook replaces anyway.
  WriteNotes(*db, 0, 120);
  // Only the thread can copy the notes into the file: the writer never
  // checkpoints and stays open. Each run copies what was committed when it
  // started; at most an interval's worth (50 frames) stays in the WAL.
  const auto copied_enough = file_before + 100 * 4096;
  for (int i = 0; i < 3000 && std::filesystem::file_size(path) <= copied_enough; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GT(std::filesystem::file_size(path), copied_enough);
  EXPECT_GE(checkpointer->runs(), 1);
  WalCheckpointer::Detach(db->handle());
}

TEST(WalCheckpointerTest, ACheckpointWaitsWhileHeldOff) {
  TempDir dir;
  const std::string path = dir.File("accord.db");
  auto db = NotesDatabase(path);
  auto checkpointer = AttachedCheckpointer(path, *db, 20);
  ASSERT_NE(checkpointer, nullptr);
  {
    auto hold = checkpointer->HoldOff();
    WriteNotes(*db, 0, 40);  // wakes the thread, which waits for the hold
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_EQ(checkpointer->runs(), 0);
    // A TRUNCATE checkpoint on the writer's own connection meets no running
    // checkpoint, so it empties the WAL.
    int log = 0, copied = 0;
    EXPECT_EQ(
        sqlite3_wal_checkpoint_v2(db->handle(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, &log, &copied),
        SQLITE_OK);
    EXPECT_EQ(std::filesystem::file_size(path + "-wal"), 0u);
  }
  EXPECT_TRUE(WaitForRuns(*checkpointer, 1));
  WalCheckpointer::Detach(db->handle());
}

TEST(WalCheckpointerTest, OneCheckpointerPerFileWhileAnyConnectionUsesIt) {
  TempDir dir;
  const std::string path = dir.File("accord.db");
  auto db = NotesDatabase(path);
  {
    auto first = WalCheckpointer::For(path, 100);
    auto second = WalCheckpointer::For(path, 100);
    ASSERT_TRUE(first.ok() && second.ok());
    EXPECT_EQ(first->get(), second->get());
    EXPECT_EQ(WalCheckpointer::Running(path).get(), first->get());
    EXPECT_EQ(WalCheckpointer::Running(dir.File("other.db")), nullptr);
  }
  // Released by its last user: a later one starts another.
  EXPECT_EQ(WalCheckpointer::Running(path), nullptr);
}

TEST(WalCheckpointerTest, AStoreThatAppliedARemoteBatchClosesWithNothingLeftInTheWal) {
  TempDir dir;
  const std::string path = dir.File("KH-NCCT.db");
  {
    auto store = NewStore(dir, "KH-NCCT");
    auto batch = store->BeginRemoteBatch("TH-MSDHS");
    ASSERT_TRUE(batch.ok()) << batch.status().ToString();
    ASSERT_TRUE((*batch)->Commit().ok());
    // The store's connection hands its checkpoints to the process's thread.
    EXPECT_NE(WalCheckpointer::Running(path), nullptr);
  }
  // Released with the store, before its connection closed: that connection,
  // the last, copied the WAL into the file and removed it.
  EXPECT_EQ(WalCheckpointer::Running(path), nullptr);
  EXPECT_FALSE(std::filesystem::exists(path + "-wal"));
  auto reopened = Store::Open(path);
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
}

}  // namespace
}  // namespace accord
