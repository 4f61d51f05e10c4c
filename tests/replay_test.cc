// Requests bound to one server and one moment, without trusting clocks
// (issue 9, item 5; request signing v2). Real HTTPS on 127.0.0.1 between
// offices with real stores: a request an eavesdropper captured is refused a
// second time and by every other server; a session belongs to the node it
// was issued to; a capital that restarts mid-sync costs one more hello; and
// an office whose clock is hours off syncs all the same and is told so.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>

#include "client/clock_skew.h"
#include "server/store_pool.h"
#include "sync/sync_service.h"
#include "sync/sync_session.h"
#include "tests/cli_support.h"
#include "tests/https_fixture.h"
#include "tests/test_support.h"

namespace accord {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::RawReply;
using testing::RawRequest;
using testing::SignedRequest;
using namespace std::chrono_literals;

constexpr int64_t kMinute = 60 * 1000;
constexpr int64_t kHour = 60 * kMinute;

// One office: its store (its staff's writes, and the client side of sync)
// and its server, which serves the same database through a pool.
struct Office {
  std::string id;
  std::unique_ptr<Store> store;
  std::unique_ptr<server::StorePool> pool;
  std::unique_ptr<server::HttpsServer> server;
  int port = 0;
  std::shared_ptr<std::atomic<int>> handled = std::make_shared<std::atomic<int>>(0);
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port); }
};

// A request exactly as HttpsTransport put it on the wire.
struct Captured {
  std::string path;
  std::vector<std::string> headers;
  std::string body;
};

class ReplayTest : public testing::HttpsTransportTest {
 protected:
  void SetUp() override {
    HttpsTransportTest::SetUp();
    Enrol("KH-NCCT");
    Enrol("TH-MSDHS");
  }
  void TearDown() override {
    for (auto& o : offices_) o->server.reset();
    HttpsTransportTest::TearDown();
  }

  // `store_clock` dates the office's writes; null: the tests' shared clock.
  Office& AddOffice(const std::string& id, std::function<int64_t()> store_clock = nullptr) {
    auto office = std::make_unique<Office>();
    office->id = id;
    std::string path = dir_ / (id + ".db");
    auto store =
        Store::Create(path, id, StoreOptions{store_clock ? std::move(store_clock) : clock_.Fn()});
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    office->store = std::move(store).value();
    office->pool = std::make_unique<server::StorePool>(path);
    offices_.push_back(std::move(office));
    return *offices_.back();
  }

  // Starts (or restarts) `office`'s server; on a free port unless given one.
  void Serve(Office& office, int port = 0, server::ServerOptions options = {}) {
    options.ca_path = ca_pem();
    options.cert_path = cert(office.id);
    options.key_path = key(office.id);
    options.revoked_path = revoked_path();
    options.threads = 4;
    server::StorePool* pool = office.pool.get();
    auto handled = office.handled;
    auto handler = [this, pool, handled, id = office.id](std::string_view op, std::string_view body,
                                                         const std::string& peer) {
      ++*handled;
      auto lease = pool->Acquire();
      if (!lease.ok()) return sync::ServiceReply{Code::kUnavailable, ""};
      sync::SyncService service(**lease, Credentials(id));
      return service.Handle(op, body, peer);
    };
    for (int attempt = 0; attempt < 5 && !office.server; ++attempt) {
      options.port = port != 0 ? port : *server::PickFreeLoopbackPort();
      auto started = server::HttpsServer::Start(options, handler, nullptr);
      if (started.ok()) {
        office.server = std::move(started).value();
        office.port = options.port;
      }
    }
    ASSERT_TRUE(office.server) << "cannot serve " << office.id;
  }

  client::HttpsTransportOptions OptionsTo(const std::string& client, const Office& server) {
    client::HttpsTransportOptions o = ClientOptions(client);
    o.base_url = server.url();
    o.max_attempts = 3;
    return o;
  }

  void Put(Office& office, const std::string& id, const std::string& title) {
    auto put = office.store->Put({"plan", id, {{"title", title}}});
    ASSERT_TRUE(put.ok()) << put.status().ToString();
  }

  // Sends a captured request again, byte for byte, over a connection with
  // `connection_node`'s certificate.
  RawReply Replay(const Captured& c, const Office& to, const std::string& connection_node) {
    return RawRequest(to.url() + c.path, "POST", c.body, c.headers, ca_pem(), cert(connection_node),
                      key(connection_node));
  }

  testing::FakeClock clock_;
  std::vector<std::unique_ptr<Office>> offices_;
};

// Poipet syncs with the Cambodian capital while someone records every byte
// it sends (as a proxy that terminates TLS, or a stolen capture file, would).
class CapturedSyncTest : public ReplayTest {
 protected:
  void SetUp() override {
    ReplayTest::SetUp();
    kh_ = &AddOffice("KH-NCCT");
    th_ = &AddOffice("TH-MSDHS");
    poipet_ = &AddOffice("KH-POIPET");
    Serve(*kh_);
    Serve(*th_);
    Put(*kh_, "plan-kh", "Plan of Action 2026");
    Put(*poipet_, "plan-border", "Border screening");
    auto o = OptionsTo("KH-POIPET", *kh_);
    o.on_send = [this](const std::string& path, const std::vector<std::string>& headers,
                       const std::string& body) {
      captured_.push_back({path, headers, body});
    };
    auto transport = Transport(o);
    auto summary = sync::RunSync(*poipet_->store, *transport, Credentials("KH-POIPET"));
    ASSERT_TRUE(summary.ok()) << summary.status().ToString();
    ASSERT_EQ(summary->states_sent, 1u);
    for (const Captured& c : captured_) {
      if (c.path == "/sync/v1/push") push_ = &c;
      if (c.path == "/sync/v1/hello") hello_ = &c;
    }
    ASSERT_TRUE(push_ && hello_);
    kh_before_ = testing::DumpOf(*kh_->store);
    kh_handled_ = *kh_->handled;
  }

  Office* kh_ = nullptr;
  Office* th_ = nullptr;
  Office* poipet_ = nullptr;
  std::vector<Captured> captured_;
  const Captured* push_ = nullptr;
  const Captured* hello_ = nullptr;
  std::string kh_before_;
  int kh_handled_ = 0;
};

TEST_F(CapturedSyncTest, ACapturedPushSentAgainIsRefusedAndChangesNothing) {
  uint64_t refused = kh_->server->rejected_auth();
  // Over Poipet's own connection: the strongest replay short of its key.
  RawReply again = Replay(*push_, *kh_, "KH-POIPET");
  EXPECT_EQ(again.status, 401);
  EXPECT_THAT(again.body, HasSubstr("was already used"));
  EXPECT_THAT(again.body, HasSubstr("a replayed request is refused"));
  EXPECT_EQ(again.Header(net::kHeaderSession), "") << "not a refusal a new hello mends";
  // Every request of the sync, replayed in order: none reaches the engine.
  for (const Captured& c : captured_) {
    if (&c == hello_) continue;
    EXPECT_EQ(Replay(c, *kh_, "KH-POIPET").status, 401) << c.path;
  }
  EXPECT_EQ(*kh_->handled, kh_handled_);
  EXPECT_EQ(testing::DumpOf(*kh_->store), kh_before_);
  EXPECT_EQ(kh_->server->rejected_auth(), refused + 1 + (captured_.size() - 1));
  EXPECT_TRUE(Eventually([&] { return Logged("was already used"); }));
}

TEST_F(CapturedSyncTest, ACapturedHelloSentAgainOpensASessionNobodyElseCanUse) {
  // A hello reads, and opens a session only the key's holder can sign for.
  RawReply hello = Replay(*hello_, *kh_, "KH-POIPET");
  ASSERT_EQ(hello.status, 200);
  std::string session = hello.Header(net::kHeaderSession);
  ASSERT_TRUE(net::IsSessionId(session));
  EXPECT_EQ(testing::DumpOf(*kh_->store), kh_before_);
  // The captured push still names the old session and number: refused.
  EXPECT_EQ(Replay(*push_, *kh_, "KH-POIPET").status, 401);
  // Re-addressed to the new session, its signature no longer matches.
  std::vector<std::string> moved = push_->headers;
  for (auto& h : moved) {
    if (h.rfind(std::string(net::kHeaderSession) + ":", 0) == 0) {
      h = std::string(net::kHeaderSession) + ": " + session;
    }
    if (h.rfind(std::string(net::kHeaderSequence) + ":", 0) == 0) {
      h = std::string(net::kHeaderSequence) + ": 1";
    }
  }
  RawReply forged = Replay({push_->path, moved, push_->body}, *kh_, "KH-POIPET");
  EXPECT_EQ(forged.status, 401);
  EXPECT_EQ(forged.body, "signature does not match");
  // Replayed fifty times more, hellos leave at most a few sessions per node.
  for (int i = 0; i < 50; ++i) ASSERT_EQ(Replay(*hello_, *kh_, "KH-POIPET").status, 200);
  EXPECT_LE(kh_->server->sessions(), server::SessionLimits{}.per_node);
}

TEST_F(CapturedSyncTest, ACapturedRequestSentToAnotherCapitalIsRefusedNamingItsServer) {
  std::string th_before = testing::DumpOf(*th_->store);
  for (const Captured& c : captured_) {
    RawReply elsewhere = Replay(c, *th_, "KH-POIPET");
    EXPECT_EQ(elsewhere.status, 401) << c.path;
    EXPECT_EQ(elsewhere.body, "request meant for KH-NCCT, this is TH-MSDHS") << c.path;
  }
  EXPECT_EQ(*th_->handled, 0) << "not even the hello reached the Thai engine";
  EXPECT_EQ(th_->server->sessions(), 0u);
  EXPECT_EQ(testing::DumpOf(*th_->store), th_before);
}

TEST_F(ReplayTest, ASessionIssuedToAnotherOfficeIsRefused) {
  StartServer(Options());
  std::string aranyas = RawHello("TH-ARANYA");
  RawReply borrowed = SendSigned({"pull", "x", "KH-POIPET", "CAPITAL", aranyas, 1}, "KH-POIPET");
  EXPECT_EQ(borrowed.status, 401);
  EXPECT_EQ(borrowed.body,
            "session " + net::ShortSession(aranyas) + " was not issued to KH-POIPET by CAPITAL");
  // Aranya's session is untouched by the attempt: its request 1 is served.
  RawReply own = SendSigned({"pull", "x", "TH-ARANYA", "CAPITAL", aranyas, 1}, "TH-ARANYA");
  EXPECT_EQ(own.status, 200);
  EXPECT_EQ(own.body, "pull|TH-ARANYA|x");
  // And a session no server issued is unknown: the client may say hello.
  RawReply made_up = SendSigned(
      {"pull", "x", "KH-POIPET", "CAPITAL", "0123456789abcdef0123456789abcdef", 1}, "KH-POIPET");
  EXPECT_EQ(made_up.status, 401);
  EXPECT_THAT(made_up.body, HasSubstr("is unknown to CAPITAL"));
  EXPECT_EQ(made_up.Header(net::kHeaderSession), "-");
}

TEST_F(ReplayTest, RequestsOfOneSessionMustCountUp) {
  StartServer(Options());
  std::string session = RawHello("KH-POIPET");
  auto pull = [&](uint64_t n) {
    return SendSigned({"pull", "page " + std::to_string(n), "KH-POIPET", "CAPITAL", session, n},
                      "KH-POIPET");
  };
  EXPECT_EQ(pull(1).status, 200);
  EXPECT_EQ(pull(5).status, 200) << "a gap is a retried or lost request: fine";
  RawReply late = pull(3);
  EXPECT_EQ(late.status, 401) << "an older number after a newer one is a replay";
  EXPECT_THAT(late.body, HasSubstr("request 3 of session"));
  EXPECT_THAT(late.body, HasSubstr("(last accepted: 5)"));
  EXPECT_EQ(pull(5).status, 401);
  EXPECT_EQ(pull(6).status, 200);
}

// Border laptops often have wrong clocks; with request signing v1 such an
// office could not sync at all (401, "minutes behind this server's clock").
void ExpectSyncsAndIsToldItsClock(Office& capital, Office& office,
                                  client::HttpsTransport& transport,
                                  const sync::Credentials& credentials, int64_t offset_ms,
                                  const std::string& warning) {
  auto summary = sync::RunSync(*office.store, transport, credentials);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->states_sent, 1u);
  EXPECT_EQ(summary->states_received, 1u);
  EXPECT_EQ(testing::DumpOf(*office.store), testing::DumpOf(*capital.store));
  ASSERT_TRUE(transport.clock_skew_ms().has_value());
  EXPECT_NEAR(static_cast<double>(*transport.clock_skew_ms()), static_cast<double>(-offset_ms),
              5000.0);
  EXPECT_EQ(client::ClockSkewWarning(*transport.clock_skew_ms(), transport.server_node()), warning);
}

TEST_F(ReplayTest, AnOfficeWhoseClockIsHoursBehindSyncsAndIsToldSo) {
  // Half a minute past the mark: the measured skew is off by half a round trip.
  const int64_t offset = -(3 * kHour + 12 * kMinute + 30 * 1000);
  auto wrong_clock = [] { return testing::NowMs() + offset; };
  Office& kh = AddOffice("KH-NCCT");
  Office& poipet = AddOffice("KH-POIPET", wrong_clock);
  Serve(kh);
  Put(kh, "plan-kh", "Plan of Action 2026");
  Put(poipet, "case-border", "Screening at the border");
  auto o = OptionsTo("KH-POIPET", kh);
  o.clock_ms = wrong_clock;
  auto transport = Transport(o);
  ExpectSyncsAndIsToldItsClock(
      kh, poipet, *transport, Credentials("KH-POIPET"), offset,
      "this node's clock is 3 h 12 min behind KH-NCCT's: fix it; record times come from it");
  EXPECT_EQ(kh.server->rejected_auth(), 0u);
}

TEST_F(ReplayTest, AnOfficeWhoseClockIsADayAheadSyncsAndIsToldSo) {
  const int64_t offset = 26 * kHour + 5 * kMinute;
  auto wrong_clock = [] { return testing::NowMs() + offset; };
  Office& kh = AddOffice("KH-NCCT");
  Office& poipet = AddOffice("KH-POIPET", wrong_clock);
  Serve(kh);
  Put(kh, "plan-kh", "Plan of Action 2026");
  Put(poipet, "case-border", "Screening at the border");
  auto o = OptionsTo("KH-POIPET", kh);
  o.clock_ms = wrong_clock;
  auto transport = Transport(o);
  ExpectSyncsAndIsToldItsClock(
      kh, poipet, *transport, Credentials("KH-POIPET"), offset,
      "this node's clock is 1 d 2 h ahead of KH-NCCT's: fix it; record times come from it");
}

TEST(ClockSkewWarningTest, SaysNothingWithinFiveMinutesAndHowFarBeyond) {
  EXPECT_EQ(client::ClockSkewWarning(0, "KH-NCCT"), "");
  EXPECT_EQ(client::ClockSkewWarning(5 * kMinute, "KH-NCCT"), "");
  EXPECT_EQ(client::ClockSkewWarning(-5 * kMinute, "KH-NCCT"), "");
  EXPECT_EQ(client::ClockSkewWarning(5 * kMinute + 1, "TH-MSDHS"),
            "this node's clock is 5 min behind TH-MSDHS's: fix it; record times come from it");
  EXPECT_EQ(client::ClockSkewWarning(-(7 * kMinute + 59999), "TH-MSDHS"),
            "this node's clock is 7 min ahead of TH-MSDHS's: fix it; record times come from it");
  EXPECT_EQ(client::DescribeDuration(3 * kHour), "3 h");
  EXPECT_EQ(client::DescribeDuration(-(3 * kHour + 12 * kMinute)), "3 h 12 min");
  EXPECT_EQ(client::DescribeDuration(49 * kHour + 59 * kMinute), "2 d 1 h");
  EXPECT_EQ(client::DescribeDuration(48 * kHour), "2 d");
}

// `accord sync`, the binary, against a capital whose clock is 3 h 12 min
// ahead of this machine's (the server's clock seam, so the office's own
// clock, and everything it writes, stays real).
TEST_F(ReplayTest, AccordSyncWarnsWhenThisNodesClockIsOff) {
  Office& kh = AddOffice("KH-NCCT");
  Put(kh, "plan-kh", "Plan of Action 2026");
  server::ServerOptions fast;
  fast.clock_ms = [] { return testing::NowMs() + 3 * kHour + 12 * kMinute + 30000; };
  Serve(kh, 0, fast);
  std::string node = dir_ / "poipet-node";
  ASSERT_EQ(testing::Accord(node, {"init", "--node-id", "KH-POIPET"}).code, 0);
  ASSERT_EQ(testing::Accord(node, {"put", "plan", "--id", "plan-border", "title=Border"}).code, 0);
  std::vector<std::string> tls = {"--ca",  ca_pem(),        "--cert", cert("KH-POIPET"),
                                  "--key", key("KH-POIPET")};
  std::vector<std::string> args = {"sync", kh.url()};
  args.insert(args.end(), tls.begin(), tls.end());
  auto synced = testing::Accord(node, args);
  ASSERT_EQ(synced.code, 0) << synced.out;
  EXPECT_THAT(synced.out, HasSubstr("synced with KH-NCCT"));
  EXPECT_THAT(synced.out, HasSubstr("warning: this node's clock is 3 h 12 min behind KH-NCCT's: "
                                    "fix it; record times come from it"));
  args.push_back("--json");
  auto json_run = testing::Accord(node, args);
  ASSERT_EQ(json_run.code, 0) << json_run.out;
  auto summary = nlohmann::json::parse(json_run.out);
  ASSERT_TRUE(summary["clock_skew_ms"].is_number_integer()) << json_run.out;
  EXPECT_NEAR(summary["clock_skew_ms"].get<double>(),
              static_cast<double>(3 * kHour + 12 * kMinute + 30000), 5000.0);
  EXPECT_THAT(testing::DumpOf(*kh.store), HasSubstr("Border")) << "the office's plan arrived";
}

TEST_F(ReplayTest, AccordSyncSaysNothingOfAClockThatIsRight) {
  Office& kh = AddOffice("KH-NCCT");
  Serve(kh);
  std::string node = dir_ / "poipet-node";
  ASSERT_EQ(testing::Accord(node, {"init", "--node-id", "KH-POIPET"}).code, 0);
  auto synced = testing::Accord(node, {"sync", kh.url(), "--ca", ca_pem(), "--cert",
                                       cert("KH-POIPET"), "--key", key("KH-POIPET"), "--json"});
  ASSERT_EQ(synced.code, 0) << synced.out;
  auto summary = nlohmann::json::parse(synced.out);
  EXPECT_LT(std::abs(summary["clock_skew_ms"].get<int64_t>()), 5000);
  auto text = testing::Accord(node, {"sync", kh.url(), "--ca", ca_pem(), "--cert",
                                     cert("KH-POIPET"), "--key", key("KH-POIPET")});
  EXPECT_THAT(text.out, Not(HasSubstr("warning")));
}

// Restarts the capital once, right after the engine's hello came back: the
// session that hello opened dies with the process.
class RestartAfterHello : public sync::Transport {
 public:
  RestartAfterHello(sync::Transport& inner, std::function<void()> restart)
      : inner_(inner), restart_(std::move(restart)) {}
  Result<std::string> RoundTrip(std::string_view op, const std::string& request) override {
    auto reply = inner_.RoundTrip(op, request);
    if (op == sync::kOpHello && restart_) std::exchange(restart_, nullptr)();
    return reply;
  }

 private:
  sync::Transport& inner_;
  std::function<void()> restart_;
};

TEST_F(ReplayTest, TheCapitalRestartsBetweenHelloAndPullAndTheSyncCompletes) {
  Office& kh = AddOffice("KH-NCCT");
  Office& poipet = AddOffice("KH-POIPET");
  Serve(kh);
  for (int i = 0; i < 30; ++i) Put(kh, "plan-kh-" + std::to_string(i), "Plan " + std::to_string(i));
  Put(poipet, "plan-border", "Border screening");
  auto https = Transport(OptionsTo("KH-POIPET", kh));
  RestartAfterHello transport(*https, [&] {
    int port = kh.port;
    kh.server.reset();  // Stop()s: every session it issued is gone
    Serve(kh, port);
  });
  sync::SyncOptions options;
  options.page_size = 10;
  auto summary = sync::RunSync(*poipet.store, transport, Credentials("KH-POIPET"), options);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(https->rehellos(), 1u);
  EXPECT_EQ(summary->states_received, 30u);
  EXPECT_EQ(summary->states_sent, 1u);
  EXPECT_EQ(testing::DumpOf(*poipet.store), testing::DumpOf(*kh.store));
  EXPECT_EQ(kh.server->rejected_auth(), 1u) << "the pull in the dead session, once";
}

TEST_F(ReplayTest, ASessionLeftIdleIsForgottenAndTheTransportSaysHelloAgain) {
  auto o = Options();
  o.sessions.idle = 200ms;
  StartServer(o);
  auto poipet = Transport(ClientOptions("KH-POIPET"));
  ASSERT_TRUE(poipet->RoundTrip(sync::kOpHello, "hi").ok());
  ASSERT_TRUE(poipet->RoundTrip(sync::kOpPull, "page 1").ok());
  std::this_thread::sleep_for(300ms);
  auto reply = poipet->RoundTrip(sync::kOpPull, "page 2");
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(*reply, "pull|KH-POIPET|page 2");
  EXPECT_EQ(poipet->rehellos(), 1u);
  EXPECT_EQ(poipet->attempts(), 5u) << "hello, pull, refused pull, hello again, pull";
}

TEST_F(ReplayTest, ARequestBeforeAnyHelloIsRefusedAndNotRetried) {
  StartServer(Options());
  auto poipet = Transport(ClientOptions("KH-POIPET"));
  auto reply = poipet->RoundTrip(sync::kOpPull, "page");
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), Code::kPermissionDenied);
  EXPECT_THAT(reply.status().message(), HasSubstr("a sync starts with hello"));
  EXPECT_EQ(poipet->rehellos(), 0u) << "no hello of the engine's to say again";
}

TEST_F(ReplayTest, ThousandsOfHellosDoNotGrowTheSessionTable) {
  auto o = Options();
  o.sessions.per_node = 2;
  o.sessions.total = 3;
  StartServer(o);
  auto poipet = Transport(ClientOptions("KH-POIPET"));
  auto aranya = Transport(ClientOptions("TH-ARANYA"));
  size_t most = 0;
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(poipet->RoundTrip(sync::kOpHello, "hi").ok());
    ASSERT_TRUE(aranya->RoundTrip(sync::kOpHello, "hi").ok());
    most = std::max(most, server_->sessions());
  }
  EXPECT_EQ(most, 3u);
  EXPECT_EQ(server_->sessions(), 3u);
  // Each office's newest session survived the flood of its own and the other's.
  EXPECT_TRUE(poipet->RoundTrip(sync::kOpPull, "p").ok());
  EXPECT_TRUE(aranya->RoundTrip(sync::kOpPull, "a").ok());
  EXPECT_EQ(poipet->rehellos() + aranya->rehellos(), 0u);
}

}  // namespace
}  // namespace accord
