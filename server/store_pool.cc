#include "server/store_pool.h"

namespace accord::server {

Result<StorePool::Lease> StorePool::Acquire() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!idle_.empty()) {
      std::unique_ptr<Store> store = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(store));
    }
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Store> store, Store::Open(path_, options_));
  if (sealer_) store->SealWritesAsMade(sealer_);
  return Lease(this, std::move(store));
}

void StorePool::Return(std::unique_ptr<Store> store) {
  std::lock_guard<std::mutex> lock(mutex_);
  idle_.push_back(std::move(store));
}

}  // namespace accord::server
