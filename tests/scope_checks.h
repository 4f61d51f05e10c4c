// Invariants of sharing scopes (docs/sharing.md) that hold after every
// exchange, not only once offices have converged: what was just delivered,
// and what must never have been.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/store.h"
#include "tests/store_peek.h"

namespace accord::testing {

// Every live version a store holds: (record, field) -> vectors.
inline std::map<std::pair<std::string, std::string>, std::vector<VersionVector>> LiveVersionsOf(
    Store& store, bool live_only = true) {
  std::map<std::pair<std::string, std::string>, std::vector<VersionVector>> versions;
  auto stmt =
      PeekDb(store).Prepare(live_only ? "SELECT record_id, field, vv FROM versions WHERE state > 0"
                                      : "SELECT record_id, field, vv FROM versions");
  EXPECT_TRUE(stmt.ok());
  while (*(*stmt)->Step()) {
    versions[{(*stmt)->Text(0), (*stmt)->Text(1)}].push_back(
        VersionVector::FromText((*stmt)->Text(2)).value());
  }
  (*stmt)->Reset();
  return versions;
}

// The records `store` holds whose scope, as it judges it, allows `party`.
inline std::set<std::string> RecordsAllowed(Store& store, const std::string& party) {
  std::set<std::string> allowed;
  auto stmt = PeekDb(store).Prepare("SELECT id FROM records");
  EXPECT_TRUE(stmt.ok());
  std::vector<std::string> ids;
  while (*(*stmt)->Step()) ids.push_back((*stmt)->Text(0));
  (*stmt)->Reset();
  for (const auto& id : ids) {
    auto scope = store.ScopeOf(id);
    EXPECT_TRUE(scope.ok()) << id << ": " << scope.status().ToString();
    if (scope.ok() && scope->Allows(party)) allowed.insert(id);
  }
  return allowed;
}

// After a complete exchange from `from` to `to` (a sync, either way; a
// bundle applied): `to` holds every live version `from` holds of the records
// `to_party` may hold, as `from` judges their scope (it decides what to
// send), or a version that has seen it. A sender that wrongly believed `to`
// held something leaves a hole here, even if another path fills it later.
// `allowed_before`, when given, limits the check to records allowed before
// the exchange: a sync pulls before it pushes, so what its push brings into
// the puller's scope at the other end comes with the next exchange.
inline void ExpectDelivered(Store& from, Store& to, const std::string& to_party,
                            const std::string& how,
                            const std::set<std::string>* allowed_before = nullptr) {
  auto sent = LiveVersionsOf(from);
  auto held = LiveVersionsOf(to, /*live_only=*/false);
  std::map<std::string, bool> allowed;
  int missing = 0;
  for (const auto& [key, versions] : sent) {
    const std::string& record = key.first;
    if (!allowed.count(record)) {
      auto scope = from.ScopeOf(record);
      ASSERT_TRUE(scope.ok()) << record << ": " << scope.status().ToString();
      allowed[record] =
          scope->Allows(to_party) && (!allowed_before || allowed_before->count(record));
    }
    if (!allowed[record]) continue;
    auto there = held.find(key);
    for (const auto& v : versions) {
      bool seen = false;
      if (there != held.end()) {
        for (const auto& w : there->second) seen = seen || v.DominatedByOrEqual(w);
      }
      if (!seen && ++missing <= 3) {
        ADD_FAILURE() << how << ": " << to.node_id() << " lacks " << record << "." << key.second
                      << " {" << v.ToText() << "} that " << from.node_id() << " holds";
      }
    }
  }
}

// `store` holds no record that `party` may not hold, judged at `everything`
// (a node holding every write). Sound while scopes only widen: withdrawn
// consent (a purge) would have to be waited for.
inline void ExpectNothingOutOfScope(Store& store, const std::string& party, Store& everything,
                                    const std::string& how) {
  auto stmt = PeekDb(store).Prepare("SELECT id FROM records");
  ASSERT_TRUE(stmt.ok());
  std::vector<std::string> ids;
  while (*(*stmt)->Step()) ids.push_back((*stmt)->Text(0));
  (*stmt)->Reset();
  for (const auto& id : ids) {
    auto scope = everything.ScopeOf(id);
    ASSERT_TRUE(scope.ok()) << id << ": " << scope.status().ToString();
    EXPECT_TRUE(scope->Allows(party))
        << how << ": " << store.node_id() << " holds " << id << " (" << scope->reason << ")";
  }
}

}  // namespace accord::testing
