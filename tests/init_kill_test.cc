// `accord init` killed (SIGKILL: a power cut, a closed laptop) at random
// moments. Regression: 39 kills in 200 left a node directory that neither
// opened ("meta key 'node_id' is missing") nor could be initialised again.
// Now the database appears whole or not at all.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <thread>

#include "tests/cli_support.h"
#include "tests/test_support.h"

namespace accord {
namespace {

using testing::Accord;
using testing::TempDir;

// Sanitizer builds start processes several times slower: fewer runs keep the
// test short, and the kill window follows how long an init takes.
// 100 runs meet the old failure (39 in 200) all but surely (1 - 0.8^100);
// the sanitized build's 20 (1 - 0.8^20, 0.988) add memory checks to a run
// the normal build already makes 100 times.
#if defined(ACCORD_SANITIZED)
constexpr int kRuns = 20;
#else
constexpr int kRuns = 100;
#endif

TEST(InitKillTest, AKilledInitLeavesADirectoryThatOpensOrInitialisesAgain) {
  TempDir dir;
  // Kill moments spread over a whole init: 0-30 ms (the report's setting), or
  // longer if one init takes longer here.
  auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(Accord(dir.File("timed"), {"init", "--node-id", "KH-POIPET"}).code, 0);
  auto one_init = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - start);
  int window_us = std::max(30000, static_cast<int>(one_init.count() * 12 / 10));
  std::mt19937 rng(20261125);
  int finished = 0, opens = 0, reinitialised = 0;
  for (int run = 0; run < kRuns; ++run) {
    std::string node = dir.File("node-" + std::to_string(run));
    int delay_us = static_cast<int>(rng() % (window_us + 1));
    pid_t init = testing::SpawnAccord(node, {"init", "--node-id", "KH-POIPET"});
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us));
    kill(init, SIGKILL);
    if (testing::WaitForExit(init) == 0) ++finished;  // done before the kill
    SCOPED_TRACE("run " + std::to_string(run) + ", killed after " + std::to_string(delay_us) +
                 " us");
    if (Accord(node, {"status"}).code == 0) {
      ++opens;
      continue;
    }
    ASSERT_EQ(Accord(node, {"init", "--node-id", "KH-POIPET"}).code, 0)
        << "the directory neither opens nor initialises";
    ASSERT_EQ(Accord(node, {"status"}).code, 0);
    ++reinitialised;
  }
  std::printf(
      "%d inits killed at 0-%d ms (one init took %lld ms): %d had finished, %d opened "
      "as left, %d needed (and took) init again, 0 unusable\n",
      kRuns, window_us / 1000, static_cast<long long>(one_init.count() / 1000), finished, opens,
      reinitialised);
  EXPECT_EQ(opens + reinitialised, kRuns);
}

}  // namespace
}  // namespace accord
