// Test-only access to a Store's SQLite connection: tests (and benchmarks)
// check what the public interface does not show — raw rows of the change log,
// the conflicts table, the per-type SQL views, integrity — without the Store
// exposing its database to production code.
#pragma once

#include "core/sqlite.h"
#include "core/store.h"

namespace accord::testing {

class StoreTestAccess {
 public:
  static Database& db(Store& store) { return *store.db_; }
};

// The store's own connection. REQUIRES: no RemoteBatch open on `store`.
inline Database& PeekDb(Store& store) {
  return StoreTestAccess::db(store);
}

}  // namespace accord::testing
