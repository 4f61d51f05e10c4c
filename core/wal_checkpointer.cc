#include "core/wal_checkpointer.h"

#include <algorithm>
#include <map>
#include <system_error>

#include "core/sqlite.h"

namespace accord {

namespace {

std::mutex registry_mu;
std::map<std::string, std::weak_ptr<WalCheckpointer>>& Registry() {
  static auto* registry = new std::map<std::string, std::weak_ptr<WalCheckpointer>>();
  return *registry;
}

}  // namespace

Result<std::shared_ptr<WalCheckpointer>> WalCheckpointer::For(const std::string& path, int frames) {
  std::lock_guard<std::mutex> lock(registry_mu);
  auto& registry = Registry();
  if (auto it = registry.find(path); it != registry.end()) {
    if (auto running = it->second.lock()) return running;
  }
  std::shared_ptr<WalCheckpointer> checkpointer(new WalCheckpointer(std::max(1, frames)));
  ASSIGN_OR_RETURN(checkpointer->connection_, Database::Open(path, /*create=*/false));
  try {
    checkpointer->thread_ = std::thread([raw = checkpointer.get()] { raw->Run(); });
  } catch (const std::system_error& e) {
    return Unavailable(std::string("no thread for the WAL checkpointer: ") + e.what());
  }
  checkpointer->path_ = path;
  registry[path] = checkpointer;
  return checkpointer;
}

std::shared_ptr<WalCheckpointer> WalCheckpointer::Running(const std::string& path) {
  std::lock_guard<std::mutex> lock(registry_mu);
  auto it = Registry().find(path);
  return it == Registry().end() ? nullptr : it->second.lock();
}

WalCheckpointer::~WalCheckpointer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
  connection_.reset();
  // (Never registered when For failed: it holds registry_mu then.)
  if (!path_.empty()) {
    std::lock_guard<std::mutex> lock(registry_mu);
    auto it = Registry().find(path_);
    if (it != Registry().end() && it->second.expired()) Registry().erase(it);
  }
}

void WalCheckpointer::Attach(sqlite3* db) {
  sqlite3_wal_hook(db, &WalCheckpointer::OnCommit, this);
}

void WalCheckpointer::Detach(sqlite3* db) {
  sqlite3_wal_hook(db, nullptr, nullptr);
}

std::unique_lock<std::mutex> WalCheckpointer::HoldOff() {
  return std::unique_lock<std::mutex>(checkpoint_mu_);
}

int64_t WalCheckpointer::runs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return runs_;
}

int WalCheckpointer::OnCommit(void* self, sqlite3*, const char* schema, int wal_frames) {
  if (std::string_view(schema) == "main")
    static_cast<WalCheckpointer*>(self)->Committed(wal_frames);
  return SQLITE_OK;
}

void WalCheckpointer::Committed(int wal_frames) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    wal_frames_ = wal_frames;
    if (wal_frames < frames_copied_) frames_copied_ = 0;  // the WAL started over
    if (pending_ || wal_frames - frames_copied_ < frames_per_checkpoint_) return;
    pending_ = true;
  }
  wake_.notify_one();
}

void WalCheckpointer::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    wake_.wait(lock, [this] { return pending_ || stopping_; });
    if (stopping_) return;
    const int copied_before = frames_copied_;
    lock.unlock();
    int wal_frames = 0, copied = 0;
    bool failed = false;
    {
      std::lock_guard<std::mutex> hold(checkpoint_mu_);
      // PASSIVE copies what no reader still needs and never waits; a frame
      // it leaves (a reader of an older snapshot, another process's
      // checkpoint) is copied by a later one or by the last connection's close.
      int rc = sqlite3_wal_checkpoint_v2(connection_->handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                         &wal_frames, &copied);
      failed = rc != SQLITE_OK;
      if (failed) copied = wal_frames;  // tried: wait for as many new frames again
    }
    lock.lock();
    frames_copied_ = copied > 0 ? copied : 0;
    ++runs_;
    // Commits made while it ran woke no one: when they left an interval's
    // worth behind, run again now rather than at the next commit, which
    // may never come (the sync's last page). Not when this run copied
    // nothing new (a reader holds the frames): the next commit retries.
    pending_ = !failed && frames_copied_ > copied_before &&
               wal_frames_ - frames_copied_ >= frames_per_checkpoint_;
  }
}

}  // namespace accord
