// The server's sync sessions (server/session_table.h): what makes a replayed
// request useless, and the bounds that keep a flood of hellos from growing
// the table.
#include "server/session_table.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "net/request_signing.h"

namespace accord::server {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

// A steady clock the test moves by hand.
struct ManualClock {
  std::shared_ptr<std::chrono::steady_clock::time_point> now =
      std::make_shared<std::chrono::steady_clock::time_point>();
  SessionTable::Clock Fn() const {
    auto n = now;
    return [n] { return *n; };
  }
  void Advance(std::chrono::milliseconds d) { *now += d; }
};

TEST(SessionTableTest, ASessionServesItsNodeWithRisingNumbersOnly) {
  SessionTable table("KH-NCCT", {});
  auto session = table.Open("KH-POIPET");
  ASSERT_TRUE(session.ok());
  EXPECT_TRUE(net::IsSessionId(*session));
  EXPECT_TRUE(table.Check("KH-POIPET", *session, 1).ok());
  EXPECT_TRUE(table.Check("KH-POIPET", *session, 1).ok()) << "Check changes nothing";
  EXPECT_TRUE(table.Accept("KH-POIPET", *session, 1).ok());
  Status replayed = table.Accept("KH-POIPET", *session, 1);
  EXPECT_EQ(replayed.code(), Code::kPermissionDenied);
  EXPECT_THAT(replayed.message(), HasSubstr("was already used (last accepted: 1)"));
  EXPECT_TRUE(table.Accept("KH-POIPET", *session, 9).ok());
  EXPECT_EQ(table.Check("KH-POIPET", *session, 8).code(), Code::kPermissionDenied);
  Status other_node = table.Check("TH-ARANYA", *session, 10);
  EXPECT_EQ(other_node.code(), Code::kPermissionDenied);
  EXPECT_THAT(other_node.message(), HasSubstr("was not issued to TH-ARANYA by KH-NCCT"));
  Status unknown = table.Check("KH-POIPET", "0123456789abcdef0123456789abcdef", 1);
  EXPECT_EQ(unknown.code(), Code::kNotFound) << "the client may say hello again";
  EXPECT_THAT(unknown.message(), HasSubstr("say hello again"));
  EXPECT_EQ(table.Check("KH-POIPET", net::kNoSession, 1).code(), Code::kNotFound);
}

TEST(SessionTableTest, SessionsAreUnpredictableAndDistinct) {
  SessionTable table("KH-NCCT", {.per_node = 1000, .total = 1000});
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(table.Open("KH-POIPET").value());
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(SessionTableTest, ThousandsOfHellosStayWithinTheCapsAndTheOldestGo) {
  SessionTable table("KH-NCCT", {.per_node = 4, .total = 64});
  std::vector<std::string> opened;
  for (int i = 0; i < 10000; ++i) {
    opened.push_back(table.Open("NODE-" + std::to_string(i % 100)).value());
    ASSERT_LE(table.size(), 64u);
  }
  EXPECT_EQ(table.size(), 64u);
  EXPECT_EQ(table.evicted(), 10000u - 64u);
  // The 64 newest live; everything older was evicted.
  for (size_t i = 0; i < opened.size(); ++i) {
    std::string node = "NODE-" + std::to_string(i % 100);
    Code code = table.Check(node, opened[i], 1).code();
    EXPECT_EQ(code, i >= opened.size() - 64 ? Code::kOk : Code::kNotFound) << i;
  }
}

TEST(SessionTableTest, ANodesHellosReplaceOnlyItsOwnLeastRecentlyUsedSessions) {
  SessionTable table("KH-NCCT", {.per_node = 3, .total = 100});
  std::string aranya = table.Open("TH-ARANYA").value();
  std::string first = table.Open("KH-POIPET").value();
  std::string busy = table.Open("KH-POIPET").value();
  ASSERT_TRUE(table.Accept("KH-POIPET", first, 1).ok());  // `first` is now the more recent
  for (int i = 0; i < 2; ++i) table.Open("KH-POIPET").value();
  EXPECT_EQ(table.size(), 4u);
  EXPECT_EQ(table.Check("KH-POIPET", busy, 1).code(), Code::kNotFound);
  EXPECT_TRUE(table.Check("KH-POIPET", first, 2).ok());
  // A thousand replayed hellos of Poipet's cost Aranya nothing.
  for (int i = 0; i < 1000; ++i) table.Open("KH-POIPET").value();
  EXPECT_EQ(table.size(), 4u);
  EXPECT_TRUE(table.Check("TH-ARANYA", aranya, 1).ok());
}

TEST(SessionTableTest, AnIdleSessionExpiresAndAUsedOneLives) {
  ManualClock clock;
  SessionTable table("KH-NCCT", {.idle = 10min}, clock.Fn());
  std::string idle = table.Open("KH-POIPET").value();
  std::string used = table.Open("TH-ARANYA").value();
  clock.Advance(9min);
  ASSERT_TRUE(table.Accept("TH-ARANYA", used, 1).ok());
  clock.Advance(2min);
  Status expired = table.Check("KH-POIPET", idle, 1);
  EXPECT_EQ(expired.code(), Code::kNotFound);
  EXPECT_THAT(expired.message(), HasSubstr("unused for 10 min"));
  EXPECT_TRUE(table.Check("TH-ARANYA", used, 2).ok());
  table.Open("KH-POIPET").value();  // opening sweeps the idle ones away
  EXPECT_EQ(table.size(), 2u);
  EXPECT_EQ(table.expired(), 1u);
}

TEST(SessionTableTest, OfTwoCopiesOfARequestRacingOnlyOneIsAccepted) {
  SessionTable table("KH-NCCT", {});
  std::string session = table.Open("KH-POIPET").value();
  for (uint64_t sequence = 1; sequence <= 50; ++sequence) {
    std::atomic<int> accepted{0};
    std::vector<std::thread> copies;
    for (int i = 0; i < 4; ++i) {
      copies.emplace_back([&] { accepted += table.Accept("KH-POIPET", session, sequence).ok(); });
    }
    for (auto& t : copies) t.join();
    ASSERT_EQ(accepted, 1) << "request " << sequence;
  }
}

TEST(SessionTableTest, AFailingRandomSourceOpensNoSession) {
  SessionTable table("KH-NCCT", {}, nullptr, [](unsigned char*, size_t) { return false; });
  auto session = table.Open("KH-POIPET");
  EXPECT_EQ(session.status().code(), Code::kInternal);
  EXPECT_EQ(table.size(), 0u);
  // A generator that repeats itself is refused too.
  SessionTable stuck("KH-NCCT", {}, nullptr, [](unsigned char* out, size_t n) {
    std::fill(out, out + n, 7);
    return true;
  });
  ASSERT_TRUE(stuck.Open("KH-POIPET").ok());
  EXPECT_EQ(stuck.Open("TH-ARANYA").status().code(), Code::kInternal);
}

}  // namespace
}  // namespace accord::server
