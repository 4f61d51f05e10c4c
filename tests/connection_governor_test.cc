// The connection governor in front of cpprestsdk (server/connection_governor.h)
// with real sockets on 127.0.0.1: strangers that connect and trickle bytes,
// slow heads and bodies, oversize pages, forged internal headers, a node
// relaying another node's signed request, and a stop with a thousand stuck
// clients. Floods come from many loopback addresses (127.0.0.0/8), as an
// attacker's would from many hosts; offices connect from 127.0.0.1.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <dirent.h>
#include <atomic>
#include <future>
#include <set>
#include <thread>

#include "net/request_signing.h"
#include "server/connection_table.h"
#include "server/store_pool.h"
#include "sync/sync_service.h"
#include "sync/sync_session.h"
#include "tests/flood.h"
#include "tests/https_fixture.h"
#include "tests/raw_clients.h"
#include "tests/test_support.h"

namespace accord {
namespace {

using testing::ClosedWithin;
using testing::ConnectFrom;
using testing::Flood;
using ::testing::HasSubstr;
using testing::kSlowHello;
using ::testing::Not;
using testing::RawReply;
using testing::RawRequest;
using testing::Source;
using testing::StillOpen;
using testing::TlsClient;
using namespace std::chrono_literals;

class ConnectionGovernorTest : public testing::HttpsTransportTest {
 protected:
  int FreePort() {
    auto port = server::PickFreeLoopbackPort();
    EXPECT_TRUE(port.ok());
    return *port;
  }

  // The capital with a real store behind its sync handler.
  void StartCapitalWithStore(server::ServerOptions o) {
    pool_ = std::make_unique<server::StorePool>(dir_ / "CAPITAL.db");
    capital_ = testing::NewStore(dir_, "CAPITAL", clock_);
    server::StorePool* pool = pool_.get();
    StartServer(o,
                [this, pool](std::string_view op, std::string_view body, const std::string& peer) {
                  auto lease = pool->Acquire();
                  if (!lease.ok()) return sync::ServiceReply{Code::kUnavailable, ""};
                  sync::SyncService service(**lease, Credentials("CAPITAL"));
                  return service.Handle(op, body, peer);
                });
  }

  // Listening TCP ports of this process other than the public ones: the
  // internal cpprestsdk listeners.
  std::set<int> InternalPorts() {
    std::set<std::string> inodes;
    if (DIR* d = opendir("/proc/self/fd")) {
      while (dirent* e = readdir(d)) {
        char target[64] = {};
        std::string link = std::string("/proc/self/fd/") + e->d_name;
        if (readlink(link.c_str(), target, sizeof(target) - 1) > 0 &&
            std::string_view(target).rfind("socket:[", 0) == 0) {
          inodes.insert(std::string(target + 8, strlen(target) - 9));
        }
      }
      closedir(d);
    }
    std::set<int> ports;
    std::ifstream tcp("/proc/net/tcp");
    std::string line;
    std::getline(tcp, line);
    while (std::getline(tcp, line)) {
      std::istringstream in(line);
      std::string slot, local, remote, state, queues, timer, retr, uid, timeout, inode;
      in >> slot >> local >> remote >> state >> queues >> timer >> retr >> uid >> timeout >> inode;
      if (state != "0A" || inodes.count(inode) == 0) continue;
      int port = std::stoi(local.substr(local.find(':') + 1), nullptr, 16);
      if (port != port_ && port != server_->ui_port()) ports.insert(port);
    }
    return ports;
  }

  testing::FakeClock clock_;
  std::unique_ptr<server::StorePool> pool_;
  std::unique_ptr<Store> capital_;
};

TEST_F(ConnectionGovernorTest, SlowByteFloodWithoutCertificatesLeavesSyncAndReviewPageServing) {
  size_t fds = testing::RaiseDescriptorLimit();
  auto o = Options();
  o.ui_port = FreePort();
  StartCapitalWithStore(o);
  server_->AddRoute("GET", "/", [](const server::HttpRequest&) {
    return server::HttpResponse{200, "text/plain", "review page", {}};
  });
  // 2,000 strangers (fewer if this process may not open that many), 20 per
  // address, nine in ten on the nodes' port and the rest on the review page.
  size_t strangers = std::min<size_t>(2000, fds > 3500 ? 2000 : fds / 2);
  Flood flood({port_, port_, port_, port_, port_, port_, port_, port_, port_, o.ui_port}, strangers,
              20);
  std::this_thread::sleep_for(1s);  // the server has seen them all and trickles go on

  auto office = testing::NewStore(dir_, "KH-POIPET", clock_);
  for (int i = 0; i < 200; ++i) {
    auto put = office->Put({"party",
                            "party-" + std::to_string(i),
                            {{"code", "P" + std::to_string(i)}, {"name", "Office"}}});
    ASSERT_TRUE(put.ok()) << put.status().ToString();
  }
  auto transport = Transport(ClientOptions("KH-POIPET"));
  auto t0 = std::chrono::steady_clock::now();
  auto summary = sync::RunSync(*office, *transport, Credentials("KH-POIPET"), sync::SyncOptions{});
  double sync_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->states_sent, 400u);
  EXPECT_EQ(summary->peer_id, "CAPITAL");

  t0 = std::chrono::steady_clock::now();
  RawReply page = RawRequest("http://127.0.0.1:" + std::to_string(o.ui_port) + "/", "GET", "", {});
  double page_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(page.status, 200) << page.error;
  EXPECT_EQ(page.body, "review page");
  std::printf(
      "flood of %zu strangers (%zu connected at the last pass, %zu reconnects): signed sync of "
      "%llu "
      "states in %.3f s, review page in %.3f s; process (server and flood) VmRSS %.1f MiB, "
      "VmHWM %.1f MiB; server refused %llu connections, closed %llu strangers to make room\n",
      strangers, flood.open(), flood.reconnects(),
      static_cast<unsigned long long>(summary->states_sent), sync_s, page_s,
      testing::ProcessMiB("VmRSS"), testing::ProcessMiB("VmHWM"),
      static_cast<unsigned long long>(server_->refused_connections()),
      static_cast<unsigned long long>(server_->evicted_connections()));
  {
    std::lock_guard<std::mutex> lock(log_mu_);
    std::printf("server log lines during the flood: %zu (rate-limited per kind)\n", log_.size());
    EXPECT_LT(log_.size(), 200u);
  }
  if (strangers == 2000) {
    EXPECT_GT(server_->evicted_connections(), 0u) << "1,800 strangers on a port capped at 1,000";
  }
}

TEST_F(ConnectionGovernorTest, HandshakeTrickledByteByByteIsCutAtTheHandshakeTimeout) {
  auto o = Options();
  o.limits.handshake_timeout = 300ms;
  StartServer(o);
  int fd = ConnectFrom("127.0.0.1", port_);
  ASSERT_GE(fd, 0);
  auto t0 = std::chrono::steady_clock::now();
  bool closed = false;
  for (size_t i = 0; i < 30 && !closed; ++i) {
    testing::SendAll(fd, std::string_view(&kSlowHello[i % sizeof(kSlowHello)], 1));
    closed = ClosedWithin(fd, 100ms);
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ::close(fd);
  EXPECT_TRUE(closed) << "still open after 3 s of trickling";
  std::printf("trickled handshake closed after %.2f s (limit 0.3 s)\n", s);
  EXPECT_TRUE(Eventually([&] { return server_->timeouts() == 1; }));
  EXPECT_TRUE(Eventually(
      [&] { return Logged("sync port: TLS handshake not finished within 0.3 s from 127.0.0.1"); }));
}

TEST_F(ConnectionGovernorTest, SlowLorisHeadIsCutAtTheHeadTimeout) {
  auto o = Options();
  o.limits.head_timeout = 500ms;
  StartServer(o);
  auto node = TlsClient::Connect(port_, ca_pem(), cert("KH-POIPET"), key("KH-POIPET"));
  ASSERT_TRUE(node);
  std::string head = "POST /sync/v1/push HTTP/1.1\r\nHost: capital\r\nX-Accord-Node: KH-POIPET\r\n";
  auto t0 = std::chrono::steady_clock::now();
  std::string reply;
  bool closed = false;
  for (size_t i = 0; i < head.size() && !closed; ++i) {
    node->Write(head.substr(i, 1));
    closed = node->ReadUntilClosed(100ms, &reply);
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_TRUE(closed);
  EXPECT_LT(s, 5.0);
  std::printf("slow head closed after %.2f s (limit 0.5 s)\n", s);
  EXPECT_EQ(server_->requests(), 0u) << "nothing reached cpprestsdk";
  EXPECT_TRUE(Eventually(
      [&] { return Logged("sync port: request head not complete within 0.5 s from 127.0.0.1"); }));
}

TEST_F(ConnectionGovernorTest, SlowLorisBodyIsCutOnceUnderTheMinimumRate) {
  auto o = Options();
  o.ui_port = FreePort();
  o.limits.body_timeout = 500ms;
  o.limits.min_body_bytes_per_second = 1024;
  StartServer(o);
  server_->AddRoute("POST", "/api/", [](const server::HttpRequest& r) {
    return server::HttpResponse{200, "text/plain", "got " + r.body, {}};
  });
  int fd = ConnectFrom("127.0.0.1", o.ui_port);
  ASSERT_GE(fd, 0);
  std::string host = "127.0.0.1:" + std::to_string(o.ui_port);
  ASSERT_TRUE(testing::SendAll(
      fd, "POST /api/x HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: 100000\r\n\r\n"));
  auto t0 = std::chrono::steady_clock::now();
  std::string reply;
  bool closed = false;
  for (int i = 0; i < 50 && !closed; ++i) {  // 10 bytes/s
    testing::SendAll(fd, "x");
    closed = ClosedWithin(fd, 100ms, &reply);
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ::close(fd);
  EXPECT_TRUE(closed);
  EXPECT_THAT(reply, HasSubstr("408 Request Timeout"));
  EXPECT_THAT(reply, HasSubstr("at least 1024 bytes/s"));
  std::printf("slow body closed after %.2f s (grace 0.5 s, then 1024 bytes/s)\n", s);

  // A body that stops altogether is cut after body_timeout.
  fd = ConnectFrom("127.0.0.1", o.ui_port);
  ASSERT_TRUE(testing::SendAll(
      fd, "POST /api/x HTTP/1.1\r\nHost: " + host + "\r\nContent-Length: 10\r\n\r\nabc"));
  EXPECT_TRUE(ClosedWithin(fd, 3s));
  ::close(fd);
  EXPECT_TRUE(Eventually(
      [&] { return Logged("review page port: request body stalled for 0.5 s from 127.0.0.1"); }));
}

TEST_F(ConnectionGovernorTest, IdleKeptAliveConnectionIsClosedAfterTheIdleTimeout) {
  auto o = Options();
  o.limits.idle_timeout = 300ms;
  StartServer(o);
  auto node = TlsClient::Connect(port_, ca_pem(), cert("KH-POIPET"), key("KH-POIPET"));
  ASSERT_TRUE(node);
  ASSERT_TRUE(node->Write("GET /status HTTP/1.1\r\nHost: capital\r\n\r\n"));
  EXPECT_THAT(node->ReadReply(11), HasSubstr("{\"ok\":true}"));
  auto t0 = std::chrono::steady_clock::now();
  std::string more;
  EXPECT_TRUE(node->ReadUntilClosed(3s, &more));
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_GE(s, 0.2) << "closed before the idle timeout";
  EXPECT_EQ(more, "");
  std::printf("idle kept-alive connection closed after %.2f s (limit 0.3 s)\n", s);
}

TEST_F(ConnectionGovernorTest, ConnectionPastThePerAddressCapIsRefusedWhileTheOthersStayOpen) {
  auto o = Options();
  o.limits.max_connections_per_address = 5;
  StartServer(o);
  std::vector<int> held;
  for (int i = 0; i < 5; ++i) held.push_back(ConnectFrom("127.0.0.1", port_));
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(server_->refused_connections(), 0u);
  int sixth = ConnectFrom("127.0.0.1", port_);
  ASSERT_GE(sixth, 0);
  EXPECT_TRUE(ClosedWithin(sixth, 2s)) << "the sixth connection from 127.0.0.1 was kept";
  EXPECT_EQ(server_->refused_connections(), 1u);
  for (int fd : held) EXPECT_TRUE(StillOpen(fd));
  // Another address is not affected.
  int other = ConnectFrom("127.0.0.2", port_);
  std::this_thread::sleep_for(200ms);
  EXPECT_TRUE(StillOpen(other));
  EXPECT_EQ(server_->refused_connections(), 1u);
  EXPECT_TRUE(Logged("from 127.0.0.1: it already holds 5 (the per-address cap)"));
  for (int fd : held) ::close(fd);
  ::close(sixth);
  ::close(other);
}

TEST_F(ConnectionGovernorTest, PageOverTheLimitGets413AndNothingReachesTheHandler) {
  auto o = Options();
  o.max_body_bytes = 64 << 10;
  std::atomic<int> calls{0};
  StartServer(o, [&](std::string_view op, std::string_view body, const std::string& node) {
    ++calls;
    return Echo(op, body, node);
  });
  auto poipet = Transport(ClientOptions("KH-POIPET"));
  auto reply = poipet->RoundTrip(sync::kOpPush, std::string(200 << 10, 'p'));
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), Code::kInvalidArgument) << reply.status().ToString();
  EXPECT_THAT(reply.status().message(), HasSubstr("exceeds this server's limit of 0.1 MiB"));
  // Announced far over the limit with Expect: 100-continue: refused at once,
  // the client never has to send the body.
  auto node = TlsClient::Connect(port_, ca_pem(), cert("KH-POIPET"), key("KH-POIPET"));
  ASSERT_TRUE(node);
  node->Write(
      "POST /sync/v1/push HTTP/1.1\r\nHost: capital\r\nContent-Length: 1073741824\r\n"
      "Expect: 100-continue\r\n\r\n");
  std::string refusal;
  EXPECT_TRUE(node->ReadUntilClosed(3s, &refusal));
  EXPECT_THAT(refusal, HasSubstr("HTTP/1.1 413"));
  EXPECT_THAT(refusal, Not(HasSubstr("100 Continue")));
  EXPECT_EQ(calls, 0);
  EXPECT_EQ(server_->requests(), 0u) << "no byte of either reached cpprestsdk";
  EXPECT_EQ(server_->rejected_too_large(), 2u);
  // The office goes on with pages that fit.
  ASSERT_TRUE(poipet->RoundTrip(sync::kOpHello, "hi").ok());
  auto next = poipet->RoundTrip(sync::kOpPush, "small page");
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(calls, 2);
}

TEST_F(ConnectionGovernorTest, ChunkedUploadGets411AndExpectContinueDoesNotStall) {
  auto o = Options();
  o.ui_port = FreePort();
  StartServer(o);
  server_->AddRoute("POST", "/api/", [](const server::HttpRequest& r) {
    return server::HttpResponse{200, "text/plain", std::to_string(r.body.size()), {}};
  });
  std::string base = "http://127.0.0.1:" + std::to_string(o.ui_port);
  RawReply chunked = RawRequest(base + "/api/x", "POST", "x", {"Transfer-Encoding: chunked"});
  EXPECT_EQ(chunked.status, 411);
  auto t0 = std::chrono::steady_clock::now();
  RawReply expect =
      RawRequest(base + "/api/x", "POST", std::string(1000, 'e'), {"Expect: 100-continue"});
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(expect.status, 200);
  EXPECT_EQ(expect.body, "1000");
  std::printf("POST with Expect: 100-continue answered in %.3f s (curl waits 1 s for a 100)\n", s);
}

TEST_F(ConnectionGovernorTest, InternalPortsRefuseRequestsWithoutTheGovernorsSecret) {
  auto o = Options();
  o.ui_port = FreePort();
  StartServer(o);
  std::set<int> internal = InternalPorts();
  ASSERT_EQ(internal.size(), 2u) << "one internal listener per public port";
  for (int port : internal) {
    std::string base = "http://127.0.0.1:" + std::to_string(port);
    for (const auto& forged : std::vector<std::vector<std::string>>{
             {}, {"X-Accord-Internal-Secret: 00", "X-Accord-Internal-Node: KH-POIPET"}}) {
      RawReply status = RawRequest(base + "/status", "GET", "", forged);
      EXPECT_EQ(status.status, 403) << port;
      EXPECT_EQ(status.body, "this port only serves accord's own connection governor");
      RawReply push = RawRequest(base + "/sync/v1/push", "POST", "x", forged);
      EXPECT_EQ(push.status, 403);
    }
  }
  // Through the public ports the same requests are served.
  RawReply status =
      RawRequest(Url("/status"), "GET", "", {}, ca_pem(), cert("KH-POIPET"), key("KH-POIPET"));
  EXPECT_EQ(status.status, 200);
  EXPECT_TRUE(Logged("internal hop without the governor's secret"));
}

// Old behaviour: TRACE reached cpprestsdk, which answers it itself with the
// request head it was given: the governor's internal hop secret, to anyone on
// the machine (review page) or any certificate holder (sync port). HEAD left
// the reply body cpprestsdk sends anyway on a pooled internal connection,
// where the next client's request read it as its reply (502).
TEST_F(ConnectionGovernorTest, OnlyGetAndPostAreServedAndTraceShowsNoInternalHeader) {
  auto o = Options();
  o.ui_port = FreePort();
  StartServer(o);
  server_->AddRoute("GET", "/", [](const server::HttpRequest&) {
    return server::HttpResponse{200, "text/plain", "ទំព័រពិនិត្យ", {}};
  });
  std::string ui = "http://127.0.0.1:" + std::to_string(o.ui_port);
  const std::vector<std::string> methods = {"TRACE", "HEAD", "PUT", "DELETE", "OPTIONS"};
  for (const std::string& method : methods) {
    RawReply page = RawRequest(ui + "/", method, "", {});
    EXPECT_EQ(page.status, 405) << method << " on the review page";
    EXPECT_EQ(page.Header("Allow"), "GET, POST") << method;
    EXPECT_THAT(page.body, Not(HasSubstr("X-Accord-Internal"))) << method;
    RawReply sync =
        RawRequest(Url("/status"), method, "", {}, ca_pem(), cert("KH-POIPET"), key("KH-POIPET"));
    EXPECT_EQ(sync.status, 405) << method << " on the sync port";
    EXPECT_THAT(sync.body, Not(HasSubstr("X-Accord-Internal"))) << method;
  }
  // GETs on both ports still answer, whatever came before on the same
  // internal connections.
  for (int i = 0; i < 20; ++i) {
    RawReply page = RawRequest(ui + "/", "GET", "", {});
    EXPECT_EQ(page.status, 200);
    EXPECT_EQ(page.body, "ទំព័រពិនិត្យ");
    RawReply status =
        RawRequest(Url("/status"), "GET", "", {}, ca_pem(), cert("KH-POIPET"), key("KH-POIPET"));
    EXPECT_EQ(status.status, 200);
  }
}

TEST_F(ConnectionGovernorTest, ForgedInternalHeadersAreDroppedAndTheSignerMustOwnTheConnection) {
  auto o = Options();
  o.ui_port = FreePort();
  std::atomic<int> calls{0};
  StartServer(o, [&](std::string_view op, std::string_view body, const std::string& node) {
    ++calls;
    return Echo(op, body, node);
  });
  server_->AddRoute("GET", "/", [](const server::HttpRequest& r) {
    std::string names;
    for (const auto& [name, value] : r.headers) names += name + ";";
    return server::HttpResponse{200, "text/plain", r.remote + " " + names, {}};
  });
  RawReply page =
      RawRequest("http://127.0.0.1:" + std::to_string(o.ui_port) + "/", "GET", "",
                 {"X-Accord-Internal-Peer: 203.0.113.9", "x-accord-internal-node: CAP"});
  EXPECT_EQ(page.status, 200);
  EXPECT_THAT(page.body, ::testing::StartsWith("127.0.0.1 "));
  EXPECT_THAT(page.body, Not(HasSubstr("internal")));

  // Aranya sends, over its own connection, a request Poipet signed (in a
  // session Poipet opened), and claims Poipet's connection in the internal
  // header.
  std::string session = RawHello("KH-POIPET");
  ASSERT_EQ(calls, 1);
  std::string body = "push me";
  std::vector<std::string> signed_by_poipet =
      testing::SignedRequest{"push", body, "KH-POIPET", "CAPITAL", session, 1}.Headers(
          Signer("KH-POIPET"));
  signed_by_poipet.push_back("X-Accord-Internal-Node: KH-POIPET");
  RawReply relayed = RawRequest(Url("/sync/v1/push"), "POST", body, signed_by_poipet, ca_pem(),
                                cert("TH-ARANYA"), key("TH-ARANYA"));
  EXPECT_EQ(relayed.status, 401);
  EXPECT_EQ(relayed.body,
            "request signed by KH-POIPET but sent over a connection authenticated as TH-ARANYA");
  EXPECT_EQ(calls, 1);
  // The same request over Poipet's own connection is served.
  RawReply own = RawRequest(Url("/sync/v1/push"), "POST", body, signed_by_poipet, ca_pem(),
                            cert("KH-POIPET"), key("KH-POIPET"));
  EXPECT_EQ(own.status, 200);
  EXPECT_EQ(own.body, "push|KH-POIPET|push me");
}

TEST_F(ConnectionGovernorTest, BusyHandlerGets503WithRetryAfterAndSlowOneGets504) {
  auto o = Options();
  o.limits.max_requests_in_flight = 1;
  o.limits.handler_timeout = 400ms;
  std::promise<void> entered;
  std::atomic<bool> first{true};
  StartServer(o, [&](std::string_view op, std::string_view body, const std::string& node) {
    if (op == sync::kOpPush && first.exchange(false)) {
      entered.set_value();
      std::this_thread::sleep_for(1500ms);  // applying a huge page
    }
    return Echo(op, body, node);
  });
  auto o1 = ClientOptions("KH-POIPET");
  o1.max_attempts = 1;
  auto slow = std::async(std::launch::async, [&]() -> Result<std::string> {
    auto poipet = Transport(o1);
    RETURN_IF_ERROR(poipet->RoundTrip(sync::kOpHello, "hi").status());
    return poipet->RoundTrip(sync::kOpPush, "big page");
  });
  entered.get_future().wait();
  RawReply busy =
      RawRequest(Url("/status"), "GET", "", {}, ca_pem(), cert("TH-ARANYA"), key("TH-ARANYA"));
  EXPECT_EQ(busy.status, 503);
  EXPECT_THAT(busy.body, HasSubstr("server busy"));
  auto reply = slow.get();
  ASSERT_FALSE(reply.ok());
  EXPECT_THAT(reply.status().ToString(), HasSubstr("504"));
  EXPECT_TRUE(Logged("-> 504"));
  EXPECT_GE(server_->timeouts(), 1u);
}

// Old behaviour: the requests in flight were one pool for every node, so one
// certificate holder sending 32 slow bodies (above the minimum rate) took
// every slot, and every other office got 503 for as long as it kept them.
// Now one node holds at most max_requests_in_flight_per_node of them.
TEST_F(ConnectionGovernorTest, OneNodeSendingSlowBodiesCannotTakeEverySlot) {
  auto o = Options();
  o.limits.max_requests_in_flight = 6;
  o.limits.max_requests_in_flight_per_node = 4;
  StartServer(o);
  std::string host = "Host: 127.0.0.1:" + std::to_string(port_) + "\r\n";
  std::vector<std::unique_ptr<TlsClient>> slow;
  for (int i = 0; i < 4; ++i) {
    auto c = TlsClient::Connect(port_, ca_pem(), cert("TH-ARANYA"), key("TH-ARANYA"));
    ASSERT_TRUE(c);
    ASSERT_TRUE(c->Write("POST /sync/v1/push HTTP/1.1\r\n" + host +
                         "Content-Length: 100000\r\n\r\nแผนปฏิบัติการร่วม"));
    slow.push_back(std::move(c));
  }
  // Each has a slot: the node's fifth request is refused...
  bool refused = false;
  for (int attempt = 0; attempt < 50 && !refused; ++attempt) {
    RawReply fifth =
        RawRequest(Url("/status"), "GET", "", {}, ca_pem(), cert("TH-ARANYA"), key("TH-ARANYA"));
    refused = fifth.status == 503;
    if (refused) {
      EXPECT_THAT(fifth.body, HasSubstr("4 requests of TH-ARANYA in progress"));
      EXPECT_EQ(fifth.Header("Retry-After"), "1");
    } else {
      std::this_thread::sleep_for(20ms);  // the slow ones' heads still on their way
    }
  }
  EXPECT_TRUE(refused);
  // ...while another office is served.
  RawReply other =
      RawRequest(Url("/status"), "GET", "", {}, ca_pem(), cert("KH-POIPET"), key("KH-POIPET"));
  EXPECT_EQ(other.status, 200) << other.body;
  // Once the slow ones are gone, the node is served again.
  slow.clear();
  bool served = false;
  for (int attempt = 0; attempt < 100 && !served; ++attempt) {
    RawReply again =
        RawRequest(Url("/status"), "GET", "", {}, ca_pem(), cert("TH-ARANYA"), key("TH-ARANYA"));
    served = again.status == 200;
    if (!served) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(served);
}

TEST_F(ConnectionGovernorTest, StopReturnsWithinSecondsWithAThousandStuckClients) {
  testing::RaiseDescriptorLimit();
  auto o = Options();
  o.ui_port = FreePort();
  StartServer(o);
  std::vector<int> stuck;
  for (size_t i = 0; i < 1000; ++i) {
    int fd = ConnectFrom(Source(i / 25), i % 10 == 0 ? o.ui_port : port_);
    if (fd < 0) continue;
    testing::SendAll(fd, i % 10 == 0 ? "G" : std::string_view(kSlowHello, 1));
    stuck.push_back(fd);
  }
  std::this_thread::sleep_for(500ms);
  auto t0 = std::chrono::steady_clock::now();
  server_->Stop();
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("Stop() with %zu stuck clients returned in %.3f s\n", stuck.size(), s);
  EXPECT_LT(s, 30.0);
  EXPECT_EQ(stuck.size(), 1000u);
  size_t closed = 0;
  for (int fd : stuck) {
    closed += ClosedWithin(fd, 1s) ? 1 : 0;
    ::close(fd);
  }
  EXPECT_EQ(closed, stuck.size());
}

TEST(ConnectionTableTest, OldestStrangerGivesWayAndOneAddressCannotHoldMore) {
  server::ConnectionTable table(3, 2);
  using V = server::ConnectionTable::Verdict;
  EXPECT_EQ(table.Admit(1, "a").verdict, V::kAdmitted);
  EXPECT_EQ(table.Admit(2, "a").verdict, V::kAdmitted);
  EXPECT_EQ(table.Admit(3, "a").verdict, V::kRefusedAddressFull);
  table.SetEvictable(1, false);  // a proven node
  EXPECT_EQ(table.Admit(4, "b").verdict, V::kAdmitted);
  auto full = table.Admit(5, "c");  // at the cap: the oldest stranger (2) goes
  EXPECT_EQ(full.verdict, V::kAdmitted);
  EXPECT_EQ(full.evicted, 2u);
  EXPECT_EQ(table.CountFrom("a"), 1u);
  table.SetEvictable(4, false);
  table.SetEvictable(5, false);
  EXPECT_EQ(table.Admit(6, "d").verdict, V::kRefusedFull);
  table.Remove(2);  // already evicted: no-op
  table.Remove(1);
  EXPECT_EQ(table.Admit(7, "d").verdict, V::kAdmitted);
  EXPECT_EQ(table.size(), 3u);
}

}  // namespace
}  // namespace accord
