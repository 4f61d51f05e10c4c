// A node that holds every write of a deployment, for checking sharing scopes
// (issue 11): what each office ends with must be exactly the everything-node's
// dump filtered to the records that office's party may hold.
//
// It takes every office's states with the unfiltered read a backup makes
// (PageReader without a party) and the proofs a sync checks, never through
// sync or bundles: what it holds does not depend on the code under test
// filtering correctly. Collecting from an office right after each of its
// writes, while the write is still live there, gives it every version any
// office made, superseded ones included.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "accord_sync.pb.h"
#include "core/store.h"
#include "sync/identity.h"
#include "sync/signed_changes.h"
#include "tests/dump_lines.h"
#include "tests/store_peek.h"
#include "tests/test_support.h"

namespace accord::testing {

class EverythingNode {
 public:
  // `verifier`: the deployment's CA, as the offices check states against it.
  EverythingNode(const std::string& path, const sync::PeerVerifier& verifier)
      : verifier_(verifier) {
    auto store = Store::Create(path, "EVERYTHING");
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }

  Store& store() { return *store_; }

  // Takes every live state `office` holds past this node's cursor there,
  // proven as a sync would prove them. Seals the office's new writes first,
  // as its next sync would.
  void CollectFrom(Store& office, const sync::NodeSigner& office_signer) {
    ASSERT_TRUE(sync::SealPendingWrites(office, office_signer).ok());
    auto peer = store_->GetPeer(office.node_id());
    ASSERT_TRUE(peer.ok()) << peer.status().ToString();
    uint64_t cursor = peer->inbound_cursor;
    const PageReader backup{store_->node_id(), std::nullopt};
    while (true) {
      auto page = office.ReadChanges(cursor, 500, VersionVector(), backup);
      ASSERT_TRUE(page.ok()) << page.status().ToString();
      wire::SignedChanges changes;
      ASSERT_TRUE(sync::ProveStates(office, page->states, VersionVector(), nullptr, &changes).ok());
      auto checked = sync::CheckSignedChanges(*store_, verifier_, changes, office.node_id());
      ASSERT_TRUE(checked.ok()) << checked.status().ToString();
      EXPECT_TRUE(checked->refused.empty())
          << office.node_id() << ": " << checked->refused.front().reason;
      auto batch = store_->BeginRemoteBatch(office.node_id());
      ASSERT_TRUE(batch.ok()) << batch.status().ToString();
      ASSERT_TRUE(sync::AddChecked(**batch, *checked).ok());
      ASSERT_TRUE((*batch)->SetCursor(page->next_cursor).ok());
      auto applied = (*batch)->Commit();
      ASSERT_TRUE(applied.ok()) << applied.status().ToString();
      EXPECT_TRUE(applied->refused.empty())
          << office.node_id() << ": " << applied->refused.front().reason;
      cursor = page->next_cursor;
      if (page->done) return;
    }
  }

  // This node's dump, cut to the records whose scope, judged here on every
  // write, allows `party`: what an office of that party must hold, byte for
  // byte.
  std::string FilteredDump(const std::string& party) {
    DumpLines all = DumpLines::Parse(DumpOf(*store_));
    DumpLines allowed;
    for (const auto& [id, line] : all.records) {
      auto scope = store_->ScopeOf(id);
      EXPECT_TRUE(scope.ok()) << id << ": " << scope.status().ToString();
      if (scope.ok() && scope->Allows(party)) allowed.records.emplace(id, line);
    }
    return allowed.Join();
  }

  // Whether this node holds a version of (record, field) that `origin` wrote
  // with `value`, live or superseded.
  bool HoldsWrite(const std::string& origin, const std::string& record, const std::string& field,
                  const std::optional<std::string>& value) {
    auto stmt = PeekDb(*store_).Prepare(
        "SELECT count(*) FROM versions WHERE record_id = ? AND field = ? AND origin = ? AND "
        "value IS ?");
    EXPECT_TRUE(stmt.ok());
    (*stmt)->Bind(1, record).Bind(2, field).Bind(3, origin).BindOptional(4, value);
    bool found = *(*stmt)->Step() && (*stmt)->Int(0) > 0;
    (*stmt)->Reset();
    return found;
  }

  // No write lost: every version in the offices' own histories (each
  // office keeps every write it made) is here, live or superseded, and the
  // live versions of each field here are exactly the writes no other write
  // has seen. Returns how many writes the offices made.
  size_t ExpectHoldsEveryWrite(const std::vector<Store*>& offices) {
    size_t writes = 0;
    std::map<std::pair<std::string, std::string>, std::vector<VersionVector>> made;
    for (Store* office : offices) {
      auto stmt = PeekDb(*office).Prepare(
          "SELECT record_id, field, value, vv FROM versions WHERE origin = ?");
      EXPECT_TRUE(stmt.ok());
      (*stmt)->Bind(1, office->node_id());
      while (*(*stmt)->Step()) {
        ++writes;
        std::string record = (*stmt)->Text(0), field = (*stmt)->Text(1);
        auto vv = VersionVector::FromText((*stmt)->Text(3)).value();
        EXPECT_TRUE(HoldsVersion(record, field, vv.ToText(), (*stmt)->OptionalText(2)))
            << office->node_id() << "'s write of " << record << "." << field << " {" << vv.ToText()
            << "}";
        made[{record, field}].push_back(std::move(vv));
      }
      (*stmt)->Reset();
    }
    for (const auto& [key, versions] : made) {
      std::set<std::string> undominated;
      for (const auto& v : versions) {
        bool seen = false;
        for (const auto& w : versions) seen = seen || v.Compare(w) == Order::kBefore;
        if (!seen) undominated.insert(v.ToText());
      }
      auto live = PeekDb(*store_).Prepare(
          "SELECT vv FROM versions WHERE record_id = ? AND field = ? AND state > 0");
      (*live)->Bind(1, key.first).Bind(2, key.second);
      std::set<std::string> held;
      while (*(*live)->Step()) held.insert((*live)->Text(0));
      (*live)->Reset();
      EXPECT_EQ(held, undominated) << key.first << "." << key.second;
    }
    return writes;
  }

 private:
  bool HoldsVersion(const std::string& record, const std::string& field, const std::string& vv,
                    const std::optional<std::string>& value) {
    auto stmt = PeekDb(*store_).Prepare(
        "SELECT count(*) FROM versions WHERE record_id = ? AND field = ? AND vv = ? AND "
        "value IS ?");
    EXPECT_TRUE(stmt.ok());
    (*stmt)->Bind(1, record).Bind(2, field).Bind(3, vv).BindOptional(4, value);
    bool found = *(*stmt)->Step() && (*stmt)->Int(0) > 0;
    (*stmt)->Reset();
    return found;
  }

  const sync::PeerVerifier& verifier_;
  std::unique_ptr<Store> store_;
};

}  // namespace accord::testing
