// Who wins the conflicts two offices make: the share of provisional winners
// over many concurrent edits, whatever carries the writes between them
// (in-process sync, a bundle, HTTPS). Issue 9: a node whose clock ran ahead
// won every conflict, since the later write time won.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/store.h"
#include "tests/test_support.h"

namespace accord::testing {

// `first` and `second` exchange what they hold (both ways).
using Exchange = std::function<void(Store& first, Store& second)>;

struct ConflictShare {
  int first_wins = 0;
  int second_wins = 0;
  int conflicts = 0;  // open on `first`; the same number on `second`
};

inline std::string ClockCaseId(int i) {
  char id[32];
  std::snprintf(id, sizeof id, "case-KH-2026-%03d", i);
  return id;
}

// `first` opens `n` cases of victims returned from Thailand who agreed
// their case be shared with it (so both offices may hold them); once `second` holds them both edit
// each case's notes without syncing, in an order drawn from `seed` (each edit its own transaction,
// so the offices' counters interleave as an office's day would); then they exchange. Counts whose
// value each office shows, after checking that both show the same one and keep every conflict open.
inline ConflictShare EditConcurrently(Store& first, Store& second, int n, uint32_t seed,
                                      const Exchange& exchange) {
  ConflictShare share;
  for (int i = 0; i < n; ++i) {
    auto id = first.Put({"case", ClockCaseId(i),
                         SharedCase("TH-KH", {{"reference", "KH-2026-" + std::to_string(100 + i)},
                                              {"notes", "បានទទួលករណីនៅច្រកព្រំដែនប៉ោយប៉ែត"}})});
    EXPECT_TRUE(id.ok()) << id.status().ToString();
  }
  exchange(first, second);
  std::vector<std::pair<Store*, int>> edits;
  for (int i = 0; i < n; ++i) {
    edits.push_back({&first, i});
    edits.push_back({&second, i});
  }
  std::mt19937 rng(seed);
  std::shuffle(edits.begin(), edits.end(), rng);
  for (const auto& [office, i] : edits) {
    std::string notes = office == &first ? "ជនរងគ្រោះត្រូវបានបញ្ជូនទៅមណ្ឌលស្នាក់នៅបណ្តោះអាសន្ន"
                                         : "ผู้เสียหายได้รับการส่งตัวไปยังสถานคุ้มครอง";
    auto id = office->Put({"case", ClockCaseId(i), {{"notes", notes}}});
    EXPECT_TRUE(id.ok()) << id.status().ToString();
  }
  exchange(first, second);
  for (int i = 0; i < n; ++i) {
    auto on_first = first.Get(ClockCaseId(i));
    auto on_second = second.Get(ClockCaseId(i));
    if (!on_first.ok() || !on_second.ok()) {
      ADD_FAILURE() << ClockCaseId(i) << " missing";
      continue;
    }
    const std::string& winner = on_first->fields.at("notes").origin;
    EXPECT_EQ(on_second->fields.at("notes").origin, winner) << ClockCaseId(i);
    EXPECT_EQ(on_first->conflicts.count("notes"), 1u) << ClockCaseId(i);
    EXPECT_EQ(on_second->conflicts.count("notes"), 1u) << ClockCaseId(i);
    if (winner == first.node_id()) ++share.first_wins;
    if (winner == second.node_id()) ++share.second_wins;
  }
  auto status = first.GetStatus();
  EXPECT_TRUE(status.ok());
  share.conflicts = status.ok() ? static_cast<int>(status->open_conflicts) : -1;
  EXPECT_EQ(second.GetStatus()->open_conflicts, share.conflicts);
  return share;
}

}  // namespace accord::testing
