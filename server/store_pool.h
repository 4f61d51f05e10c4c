// A pool of store connections for the server's handler threads: SQLite
// connections are not shared between threads, and WAL lets readers and one
// writer work at once, so each concurrent request borrows its own.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/store.h"

namespace accord::server {

class StorePool {
 public:
  // `options` is what every connection opens with (the data key of an
  // encrypted node, docs/encryption.md).
  explicit StorePool(std::string database_path, StoreOptions options = {})
      : path_(std::move(database_path)), options_(std::move(options)) {}

  class Lease {
   public:
    Lease(StorePool* pool, std::unique_ptr<Store> store) : pool_(pool), store_(std::move(store)) {}
    Lease(Lease&&) = default;
    ~Lease() {
      if (store_) pool_->Return(std::move(store_));
    }
    Store& operator*() { return *store_; }
    Store* operator->() { return store_.get(); }

   private:
    StorePool* pool_;
    std::unique_ptr<Store> store_;
  };

  Result<Lease> Acquire();
  // Every connection opened from now on seals its local writes as they are
  // made (Store::SealWritesAsMade): a resolution made on the review page is
  // signed when it is written, as one made with `accord resolve`.
  // REQUIRES: called before the first Acquire.
  void SealWritesAsMade(Store::WriteSealer sealer) { sealer_ = std::move(sealer); }

 private:
  void Return(std::unique_ptr<Store> store);

  std::string path_;
  StoreOptions options_;
  Store::WriteSealer sealer_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Store>> idle_;
};

}  // namespace accord::server
