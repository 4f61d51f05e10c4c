// The randomized convergence run, independent of how nodes reach each other:
// random edits and deletes on random nodes, random pairwise syncs (some cut
// short), then a final full exchange. It asserts that every node's dump is
// byte-identical and that no write was lost: the live versions of each field
// are exactly the writes no other write dominates, and differing live values
// are an open conflict on every node.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "core/store.h"
#include "sync/sync_session.h"
#include "tests/store_peek.h"
#include "tests/test_support.h"

namespace accord::testing {

// Syncs `client` with `server`. `cut()` is asked before each round trip
// whether to lose the reply after the server handled the request (the worst
// place for a link to drop); the sync then fails with kUnavailable.
using SyncBetween = std::function<Result<sync::SyncSummary>(Store& client, Store& server,
                                                            std::function<bool()> cut)>;

struct WriteKey {
  std::string record, field;
  bool operator<(const WriteKey& o) const {
    return std::tie(record, field) < std::tie(o.record, o.field);
  }
};

// Every version any node ever wrote, from each node's own history; and the
// versions written by `also_from` (nodes outside `nodes`) that they hold.
inline std::map<WriteKey, std::vector<FieldVersion>> AllWrites(
    const std::vector<Store*>& nodes, const std::set<std::string>& also_from = {}) {
  std::map<WriteKey, std::vector<FieldVersion>> writes;
  for (auto& node : nodes) {
    std::set<std::string> origins = also_from;
    origins.insert(node->node_id());
    auto stmt = PeekDb(*node).Prepare(
        "SELECT record_id, field, value, vv, origin FROM versions WHERE origin = ?");
    for (const auto& origin : origins) {
      (*stmt)->Bind(1, origin);
      while (*(*stmt)->Step()) {
        FieldVersion v;
        v.record_id = (*stmt)->Text(0);
        v.field = (*stmt)->Text(1);
        v.value = (*stmt)->OptionalText(2);
        v.version = VersionVector::FromText((*stmt)->Text(3)).value();
        v.origin = (*stmt)->Text(4);
        writes[{v.record_id, v.field}].push_back(v);
      }
      (*stmt)->Reset();
    }
  }
  return writes;
}

// `also_from`: nodes left out of the check (a malicious one) whose writes
// the checked nodes hold count as writes too.
inline void ExpectNoWriteLost(const std::vector<Store*>& nodes,
                              const std::set<std::string>& also_from = {}) {
  auto writes = AllWrites(nodes, also_from);
  for (const auto& [key, versions] : writes) {
    std::set<std::string> maximal;
    std::set<std::optional<std::string>> values;
    for (const auto& v : versions) {
      bool dominated = false;
      for (const auto& w : versions) {
        if (v.version.Compare(w.version) == Order::kBefore) dominated = true;
      }
      if (!dominated) {
        maximal.insert(v.version.ToText());
        values.insert(v.value);
      }
    }
    for (auto& node : nodes) {
      auto live = PeekDb(*node).Prepare(
          "SELECT vv FROM versions WHERE record_id = ? AND field = ? AND state > 0");
      (*live)->Bind(1, key.record).Bind(2, key.field);
      std::set<std::string> held;
      while (*(*live)->Step()) held.insert((*live)->Text(0));
      (*live)->Reset();
      EXPECT_EQ(held, maximal) << node->node_id() << " " << key.record << "." << key.field;
      auto conflict =
          PeekDb(*node).Prepare("SELECT count(*) FROM conflicts WHERE record_id = ? AND field = ?");
      (*conflict)->Bind(1, key.record).Bind(2, key.field);
      ASSERT_TRUE(*(*conflict)->Step());
      if (key.field != kDeletedField) {
        EXPECT_EQ((*conflict)->Int(0), values.size() > 1 ? 1 : 0) << key.record << "." << key.field;
      }
      (*conflict)->Reset();
    }
  }
}

// `sync` connects any two of `nodes`. Record ids are r<seed>-<n>, so runs
// with different seeds can follow one another on the same nodes.
//
// With `honest` below nodes.size(), the nodes from that index on may
// misbehave in their syncs (`sync` decides how): a sync involving one may
// fail in any way; the final exchange and every check are among the first
// `honest` nodes, and the others' writes count only where an honest node
// holds them.
inline void RunConvergence(uint32_t seed, const std::vector<Store*>& nodes, int rounds,
                           const SyncBetween& sync, size_t honest = 0) {
  if (honest == 0) honest = nodes.size();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  const std::vector<std::string> names = {"alpha", "beta", "gamma"};
  const std::vector<std::string> kinds = {"government", "observer", "secretariat"};
  int record_serial = 0;
  for (int round = 0; round < rounds; ++round) {
    Store& node = *nodes[pick(nodes.size())];
    int action = static_cast<int>(pick(10));
    auto parties = node.List("party");
    ASSERT_TRUE(parties.ok());
    if (action < 2 || parties->empty()) {
      auto id = node.Put({"party",
                          "r" + std::to_string(seed) + "-" + std::to_string(record_serial++),
                          {{"code", "C"}, {"name", names[pick(3)]}}});
      ASSERT_TRUE(id.ok()) << id.status().ToString();
    } else if (action < 7) {
      const auto& target = (*parties)[pick(parties->size())];
      std::string field = pick(2) ? "name" : "kind";
      std::string value = field == "name" ? names[pick(3)] : kinds[pick(3)];
      auto id = node.Put({"party", target.id, {{field, value}}});
      ASSERT_TRUE(id.ok()) << id.status().ToString();
    } else if (action == 7) {
      ASSERT_TRUE(node.Delete((*parties)[pick(parties->size())].id).ok());
    } else {
      size_t a = pick(nodes.size()), b = pick(nodes.size());
      if (a == b) continue;
      // Some syncs are cut short; the next one between the pair resumes.
      auto result = sync(*nodes[a], *nodes[b], [&] { return pick(6) == 0; });
      if (!result.ok() && a < honest && b < honest) {
        ASSERT_EQ(result.status().code(), Code::kUnavailable) << result.status().ToString();
      }
    }
  }
  // A final full exchange: a chain there and back reaches everyone.
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t i = 1; i < honest; ++i) {
      auto result = sync(*nodes[i], *nodes[0], [] { return false; });
      ASSERT_TRUE(result.ok()) << result.status().ToString();
    }
  }
  std::vector<Store*> checked(nodes.begin(), nodes.begin() + static_cast<ptrdiff_t>(honest));
  std::set<std::string> others;
  for (size_t i = honest; i < nodes.size(); ++i) others.insert(nodes[i]->node_id());
  std::string reference = DumpOf(*nodes[0]);
  for (auto& node : checked) EXPECT_EQ(DumpOf(*node), reference) << node->node_id();
  ExpectNoWriteLost(checked, others);
}

}  // namespace accord::testing
