// Real HTTPS over 127.0.0.1: the capital serves sync, offices connect with
// their certificates. Covers who gets in (mutual TLS + signed requests), the
// body limit, retries, the staff page listener and a clean shutdown.
// Replays, sessions and clocks: replay_test.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <future>

#include "core/sha256.h"
#include "net/request_signing.h"
#include "tests/https_fixture.h"

namespace accord {
namespace {

using ::testing::HasSubstr;
using testing::HttpsTransportTest;
using testing::RawReply;
using testing::RawRequest;
using testing::SignedRequest;
using namespace std::chrono_literals;

TEST_F(HttpsTransportTest, OfficeSyncsOverOneKeptAliveConnection) {
  StartServer(Options());
  auto poipet = Transport(ClientOptions("KH-POIPET"));
  ASSERT_TRUE(poipet);
  auto hello = poipet->RoundTrip(sync::kOpHello, "hi");
  ASSERT_TRUE(hello.ok()) << hello.status().ToString();
  EXPECT_EQ(*hello, "hello|KH-POIPET|hi");
  std::string frame("\x00\x01minutes\xff", 10);
  auto reply = poipet->RoundTrip(sync::kOpPush, frame);
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(*reply, "push|KH-POIPET|" + frame);
  EXPECT_EQ(poipet->bytes_sent(), 2 + frame.size());
  EXPECT_EQ(poipet->bytes_received(), hello->size() + reply->size());
  EXPECT_TRUE(Eventually([&] { return Logged("KH-POIPET POST /sync/v1/push -> 200"); }));

  // Latency of small requests once the connection is up.
  std::vector<double> ms;
  std::string small(100, 'x');
  for (int i = 0; i < 300; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    ASSERT_TRUE(poipet->RoundTrip(sync::kOpPull, small).ok());
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  std::printf("small signed POST over kept-alive mutual TLS: p50 %.2f ms, p99 %.2f ms\n",
              ms[ms.size() / 2], ms[ms.size() * 99 / 100]);
  EXPECT_EQ(server_->handshake_failures(), 0u);
  EXPECT_EQ(poipet->attempts(), 302u);
  EXPECT_TRUE(sleeps_.empty());
}

TEST_F(HttpsTransportTest, LargePageUnderTheLimitGoesThrough) {
  StartServer(Options());
  auto poipet = Transport(ClientOptions("KH-POIPET"));
  ASSERT_TRUE(poipet);
  ASSERT_TRUE(poipet->RoundTrip(sync::kOpHello, "hi").ok());
  std::string page(10 << 20, '\0');
  for (size_t i = 0; i < page.size(); ++i) page[i] = static_cast<char>(i * 131);
  auto t0 = std::chrono::steady_clock::now();
  auto reply = poipet->RoundTrip(sync::kOpPush, page);
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->size(), page.size() + std::string("push|KH-POIPET|").size());
  EXPECT_TRUE(std::equal(page.begin(), page.end(), reply->end() - page.size()));
  std::printf("10 MiB push echoed (20 MiB moved) in %.2f s: %.0f MB/s\n", s, 20.97 / s);
}

TEST_F(HttpsTransportTest, CertificateFromAnotherDeploymentIsRefusedAtHandshake) {
  StartServer(Options());
  EnrolElsewhere("KH-POIPET");
  auto o = ClientOptions("KH-POIPET");
  o.cert_path = node_dir("other-KH-POIPET") + "/node.pem";
  o.key_path = node_dir("other-KH-POIPET") + "/node.key";
  auto impostor = Transport(o);
  ASSERT_TRUE(impostor);
  auto reply = impostor->RoundTrip(sync::kOpHello, "hi");
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), Code::kPermissionDenied) << reply.status().ToString();
  EXPECT_THAT(reply.status().message(), HasSubstr("refused our certificate"));
  EXPECT_EQ(impostor->attempts(), 1u) << "a refusal is not retried";
  // Two handshakes, both refused: the one that learns which node answers
  // (under TLS 1.3 a client sees its side of the handshake succeed before
  // the server's refusal arrives), then the request's.
  EXPECT_TRUE(Eventually([&] { return server_->handshake_failures() == 2; }));
  EXPECT_EQ(server_->requests(), 0u);
}

TEST_F(HttpsTransportTest, ClientWithoutCertificateIsRefused) {
  StartServer(Options());
  RawReply r = RawRequest(Url("/sync/v1/hello"), "POST", "hi", {}, ca_pem());
  EXPECT_NE(r.code, CURLE_OK);
  EXPECT_NE(r.status, 200);
  EXPECT_TRUE(Eventually([&] { return server_->handshake_failures() == 1; }));
  EXPECT_EQ(server_->requests(), 0u);
}

TEST_F(HttpsTransportTest, OfficeClaimingAnotherOfficesIdGets401) {
  StartServer(Options());
  auto aranya = Signer("TH-ARANYA");
  auto poipet = Signer("KH-POIPET");
  // A live session of Poipet's, so that what is refused below is the forgery.
  SignedRequest push{"push", "push me", "KH-POIPET", "CAPITAL", RawHello("KH-POIPET"), 1};
  // Aranya's own certificate in the header, claiming to be Poipet...
  push.cert_pem = aranya.cert_pem();
  RawReply own = SendSigned(push, "TH-ARANYA");
  EXPECT_EQ(own.status, 401);
  EXPECT_EQ(own.body, "node id KH-POIPET claimed but certificate names TH-ARANYA");
  // ...or Poipet's (certificates are not secret), signed with Aranya's key.
  push.cert_pem = poipet.cert_pem();
  RawReply copied = SendSigned(push, "TH-ARANYA");
  EXPECT_EQ(copied.status, 401);
  EXPECT_EQ(copied.body, "signature does not match");
  // Unsigned requests are refused too, before their body is used.
  RawReply unsigned_req = RawRequest(Url("/sync/v1/push"), "POST", push.body, {"Expect:"}, ca_pem(),
                                     cert("TH-ARANYA"), key("TH-ARANYA"));
  EXPECT_EQ(unsigned_req.status, 401);
  EXPECT_THAT(unsigned_req.body, HasSubstr("missing X-Accord-Node"));
  // A signature over other bytes than the body sent (here: the v1 input).
  push.cert_pem.clear();
  std::vector<std::string> headers = push.Headers(poipet);
  headers[5] = std::string(net::kHeaderSignature) + ": " +
               sync::Base64Encode(*poipet.Sign("accord-req-v1\npush\nKH-POIPET\n1700000000000\n" +
                                               Sha256Hex(push.body).value()));
  RawReply v1 = RawRequest(Url("/sync/v1/push"), "POST", push.body, headers, ca_pem(),
                           cert("KH-POIPET"), key("KH-POIPET"));
  EXPECT_EQ(v1.status, 401);
  EXPECT_EQ(v1.body, "signature does not match");
  EXPECT_EQ(server_->rejected_auth(), 4u);
  // None of them used up Poipet's request 1.
  EXPECT_EQ(SendSigned(push, "KH-POIPET").status, 200);
}

TEST_F(HttpsTransportTest, HeadersThatDoNotFitTheOperationAreRefused) {
  StartServer(Options());
  std::string session = RawHello("KH-POIPET");
  auto expect_refused = [&](const SignedRequest& r, const std::string& why) {
    RawReply reply = SendSigned(r, "KH-POIPET");
    EXPECT_EQ(reply.status, 401) << why;
    EXPECT_THAT(reply.body, HasSubstr(why));
  };
  expect_refused({"hello", "hi", "KH-POIPET", "CAPITAL", session, 0},
                 "a hello opens a session: it carries X-Accord-Session \"-\"");
  expect_refused({"hello", "hi", "KH-POIPET", "CAPITAL", "-", 3}, "X-Accord-Sequence 0");
  expect_refused({"pull", "x", "KH-POIPET", "CAPITAL", session, 0},
                 "requests in a session count from 1");
  expect_refused({"pull", "x", "KH-POIPET", "CAPITAL", "not-a-session", 1},
                 "not a session this protocol issues");
  expect_refused({"pull", "x", "KH-POIPET", "capital!", session, 1},
                 "X-Accord-Server \"capital!\" is not a valid node id");
  RawReply no_session = SendSigned({"pull", "x", "KH-POIPET", "CAPITAL", "-", 1}, "KH-POIPET");
  EXPECT_EQ(no_session.status, 401);
  EXPECT_THAT(no_session.body, HasSubstr("a sync starts with hello"));
  EXPECT_EQ(no_session.Header(net::kHeaderSession), "-") << "the client may say hello";
  // Every reply, refusals included, carries the server's clock.
  EXPECT_TRUE(net::ParseDecimal(no_session.Header(net::kHeaderServerTime)).has_value());
  EXPECT_EQ(SendSigned({"pull", "x", "KH-POIPET", "CAPITAL", session, 1}, "KH-POIPET").status, 200);
}

TEST_F(HttpsTransportTest, OversizePageGets413AndServerKeepsServing) {
  auto o = Options();
  o.max_body_bytes = 1 << 20;
  StartServer(o);
  auto poipet = Transport(ClientOptions("KH-POIPET"));
  ASSERT_TRUE(poipet->RoundTrip(sync::kOpHello, "hi").ok());
  // Over the limit: the server drains the rest, says 413, keeps the connection.
  auto reply = poipet->RoundTrip(sync::kOpPush, std::string(size_t{3} << 20, 'p'));
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), Code::kInvalidArgument) << reply.status().ToString();
  EXPECT_THAT(reply.status().message(), HasSubstr("exceeds this server's limit of 1.0 MiB"));
  EXPECT_EQ(poipet->attempts(), 2u) << "the hello, then the page, not retried";
  auto next = poipet->RoundTrip(sync::kOpPush, "small page");
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(*next, "push|KH-POIPET|small page");

  // Far over (beyond the drain allowance): cut off unread. The client sees
  // the 413 or, racing the close, a reset; either way the server goes on.
  auto o1 = ClientOptions("KH-POIPET");
  o1.max_attempts = 1;
  auto huge = Transport(o1)->RoundTrip(sync::kOpPush, std::string(size_t{64} << 20, 'p'));
  ASSERT_FALSE(huge.ok());
  EXPECT_TRUE(huge.status().code() == Code::kInvalidArgument ||
              huge.status().code() == Code::kUnavailable)
      << huge.status().ToString();
  EXPECT_TRUE(Logged("413 in=0 out=71"));
  EXPECT_TRUE(Logged("(connection closed)"));
  next = poipet->RoundTrip(sync::kOpPush, "small page");
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(server_->rejected_too_large(), 2u);
}

// A hostile capital (a certificate holder) answers a pull with 40 MB: the
// office stops reading at its limit instead of holding whatever comes, does
// not retry, and its next request goes through. Before, the whole body was
// collected before any frame limit applied.
TEST_F(HttpsTransportTest, AReplyLargerThanAnyFrameIsCutOffNotRetried) {
  StartServer(Options(), [](std::string_view op, std::string_view, const std::string&) {
    if (op == sync::kOpPull) return sync::ServiceReply{Code::kOk, std::string(40u << 20, 'r')};
    return sync::ServiceReply{Code::kOk, "ទំព័រតូច"};
  });
  auto o = ClientOptions("KH-POIPET");
  o.max_reply_bytes = size_t{8} << 20;
  auto poipet = Transport(o);
  ASSERT_TRUE(poipet->RoundTrip(sync::kOpHello, "").ok());
  auto page = poipet->RoundTrip(sync::kOpPull, "");
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.status().code(), Code::kCorruption) << page.status().ToString();
  EXPECT_THAT(page.status().message(), HasSubstr("the reply exceeds 8388608 bytes"));
  EXPECT_EQ(poipet->attempts(), 2u) << "the hello, then the pull, not retried";
  EXPECT_LE(poipet->bytes_received(), (size_t{8} << 20) + (size_t{1} << 20));
  auto next = poipet->RoundTrip(sync::kOpPush, "x");
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(*next, "ទំព័រតូច");
}

TEST_F(HttpsTransportTest, RetriesUntilTheCapitalIsUp) {
  auto port = server::PickFreeLoopbackPort();
  ASSERT_TRUE(port.ok());
  port_ = *port;
  auto o = ClientOptions("KH-POIPET");
  o.sleep = [&](std::chrono::milliseconds d) {
    sleeps_.push_back(d);
    if (sleeps_.size() == 2) {  // the capital comes up during the second wait
      auto so = Options();
      so.port = port_;
      StartServer(so);
    }
  };
  auto poipet = Transport(o);
  auto reply = poipet->RoundTrip(sync::kOpHello, "hi");
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(*reply, "hello|KH-POIPET|hi");
  EXPECT_EQ(poipet->attempts(), 3u);
  EXPECT_EQ(sleeps_, (std::vector<std::chrono::milliseconds>{200ms, 400ms}));
}

TEST_F(HttpsTransportTest, GivesUpAfterMaxAttemptsWithUnavailable) {
  auto port = server::PickFreeLoopbackPort();
  ASSERT_TRUE(port.ok());
  port_ = *port;
  auto o = ClientOptions("KH-POIPET");
  o.max_attempts = 3;
  auto poipet = Transport(o);
  auto reply = poipet->RoundTrip(sync::kOpHello, "hi");
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), Code::kUnavailable);
  EXPECT_THAT(reply.status().message(), HasSubstr("after 3 attempts"));
  EXPECT_EQ(sleeps_, (std::vector<std::chrono::milliseconds>{200ms, 400ms}));
}

TEST_F(HttpsTransportTest, BusyServerIsRetriedEngineErrorsAreReturned) {
  int hellos = 0, pulls = 0;
  StartServer(Options(), [&](std::string_view op, std::string_view, const std::string&) {
    if (op == sync::kOpHello) {
      return ++hellos == 1 ? sync::ServiceReply{Code::kOk, "welcome"}
                           : sync::ServiceReply{Code::kUnavailable, "store busy frame"};
    }
    if (op == sync::kOpPull)
      return sync::ServiceReply{++pulls < 3 ? Code::kUnavailable : Code::kOk, "page"};
    return sync::ServiceReply{Code::kFailedPrecondition, "ErrorReply frame"};
  });
  auto poipet = Transport(ClientOptions("KH-POIPET"));
  ASSERT_TRUE(poipet->RoundTrip(sync::kOpHello, "").ok());
  // Each retry is signed anew with the session's next number.
  auto page = poipet->RoundTrip(sync::kOpPull, "");
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ(*page, "page");
  EXPECT_EQ(sleeps_.size(), 2u);
  // A protobuf reply with an error status is the engine's to decode.
  auto error = poipet->RoundTrip(sync::kOpPush, "x");
  ASSERT_TRUE(error.ok());
  EXPECT_EQ(*error, "ErrorReply frame");
  // Busy to the end: unavailable, not a frame taken for an answer.
  auto busy = poipet->RoundTrip(sync::kOpHello, "");
  EXPECT_EQ(busy.status().code(), Code::kUnavailable) << busy.status().ToString();
  EXPECT_THAT(busy.status().message(), HasSubstr("after 5 attempts"));
}

TEST_F(HttpsTransportTest, RevokedOfficeIsRefusedEvenOnAnOpenConnection) {
  StartServer(Options());
  auto aranya = Transport(ClientOptions("TH-ARANYA"));
  ASSERT_TRUE(aranya->RoundTrip(sync::kOpHello, "hi").ok());

  testing::WriteText(revoked_path(), "TH-ARANYA  # laptop stolen\n");
  ASSERT_TRUE(server_->ReloadRevocations().ok());
  auto same_connection = aranya->RoundTrip(sync::kOpHello, "hi");
  EXPECT_EQ(same_connection.status().code(), Code::kPermissionDenied);
  EXPECT_THAT(same_connection.status().message(), HasSubstr("node TH-ARANYA is revoked"));

  auto pinned = ClientOptions("TH-ARANYA");
  pinned.expected_server_node = "CAPITAL";  // no handshake to learn the server first
  auto new_connection = Transport(pinned)->RoundTrip(sync::kOpHello, "hi");
  EXPECT_EQ(new_connection.status().code(), Code::kPermissionDenied);
  EXPECT_TRUE(Eventually([&] { return server_->handshake_failures() == 1; }));
  EXPECT_TRUE(Transport(ClientOptions("KH-POIPET"))->RoundTrip(sync::kOpHello, "hi").ok());
}

TEST_F(HttpsTransportTest, OfficeRefusesAServerThatIsNotTheExpectedNode) {
  StartServer(Options());
  auto o = ClientOptions("KH-POIPET");
  o.expected_server_node = "KH-PHNOMPENH";
  auto reply = Transport(o)->RoundTrip(sync::kOpHello, "secret minutes");
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), Code::kPermissionDenied);
  EXPECT_THAT(reply.status().message(), HasSubstr("not node KH-PHNOMPENH"));
  EXPECT_EQ(server_->requests(), 0u) << "nothing was sent to the wrong server";
  o.expected_server_node = "CAPITAL";
  auto capital = Transport(o);
  EXPECT_TRUE(capital->RoundTrip(sync::kOpHello, "minutes").ok());
  EXPECT_EQ(capital->server_node(), "CAPITAL");
}

TEST_F(HttpsTransportTest, UnknownPathsAndMethods) {
  StartServer(Options());
  auto poipet = Transport(ClientOptions("KH-POIPET"));
  auto reply = poipet->RoundTrip("teleport", "x");
  EXPECT_EQ(reply.status().code(), Code::kNotFound) << reply.status().ToString();
  RawReply get = RawRequest(Url("/sync/v1/pull"), "GET", "", {}, ca_pem(), cert("KH-POIPET"),
                            key("KH-POIPET"));
  EXPECT_EQ(get.status, 405);
  RawReply status =
      RawRequest(Url("/status"), "GET", "", {}, ca_pem(), cert("KH-POIPET"), key("KH-POIPET"));
  EXPECT_EQ(status.status, 200);
  EXPECT_EQ(status.body, "{\"ok\":true}");
  RawReply nothing =
      RawRequest(Url("/etc/passwd"), "GET", "", {}, ca_pem(), cert("KH-POIPET"), key("KH-POIPET"));
  EXPECT_EQ(nothing.status, 404);
}

TEST_F(HttpsTransportTest, StaffPageIsServedOnLoopbackOnly) {
  auto ui_port = server::PickFreeLoopbackPort();
  ASSERT_TRUE(ui_port.ok());
  auto o = Options();
  o.ui_port = *ui_port;
  StartServer(o);
  server_->AddRoute("GET", "/", [](const server::HttpRequest& r) {
    auto q = server::ParseFormEncoded(r.query);
    return server::HttpResponse{200, "text/plain", "page " + r.path + " type=" + q["type"], {}};
  });
  server_->AddRoute("POST", "/api/", [](const server::HttpRequest& r) {
    return server::HttpResponse{200, "application/json", "resolved " + r.body, {}};
  });
  std::string base = "http://127.0.0.1:" + std::to_string(*ui_port);
  RawReply page = RawRequest(base + "/api/conflicts?type=case%20file&x=1", "GET", "", {});
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.body, "page /api/conflicts type=case file");
  RawReply resolve = RawRequest(base + "/api/conflicts/7/resolve", "POST", "{\"take\":\"A\"}",
                                {"Origin: " + base});
  EXPECT_EQ(resolve.body, "resolved {\"take\":\"A\"}");
  RawReply wrong_method = RawRequest(base + "/api/x", "DELETE", "", {});
  EXPECT_EQ(wrong_method.status, 405);
  RawReply cross_site =
      RawRequest(base + "/api/conflicts/7/resolve", "POST", "{}", {"Origin: https://evil.example"});
  EXPECT_EQ(cross_site.status, 403);
  RawReply rebinding = RawRequest(base + "/", "GET", "", {"Host: evil.example:80"});
  EXPECT_EQ(rebinding.status, 403);
  // The staff pages never appear on the nodes' port.
  RawReply on_tls = RawRequest(Url("/api/conflicts"), "GET", "", {}, ca_pem(), cert("KH-POIPET"),
                               key("KH-POIPET"));
  EXPECT_EQ(on_tls.status, 404);
}

// `accord serve` gives the review page's routes with the options: the very
// first request, sent the moment Start returns, finds them (no 404 window
// between the port opening and the routes going in).
TEST_F(HttpsTransportTest, StaffRoutesGivenAtStartAnswerTheFirstRequest) {
  auto ui_port = server::PickFreeLoopbackPort();
  ASSERT_TRUE(ui_port.ok());
  auto o = Options();
  o.ui_port = *ui_port;
  o.ui_routes.push_back({"GET", "/", [](const server::HttpRequest& r) {
                           return server::HttpResponse{200, "text/plain", "ទំព័រ " + r.path, {}};
                         }});
  StartServer(o);
  std::string base = "http://127.0.0.1:" + std::to_string(*ui_port);
  RawReply page = RawRequest(base + "/conflicts", "GET", "", {});
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.body, "ទំព័រ /conflicts");
  // Routes added while serving join them.
  server_->AddRoute("POST", "/api/", [](const server::HttpRequest& r) {
    return server::HttpResponse{200, "application/json", "resolved " + r.body, {}};
  });
  RawReply resolve =
      RawRequest(base + "/api/conflicts/7/resolve", "POST", "{}", {"Origin: " + base});
  EXPECT_EQ(resolve.body, "resolved {}");
  EXPECT_EQ(RawRequest(base + "/conflicts", "GET", "", {}).status, 200);
}

TEST_F(HttpsTransportTest, StopLetsTheRequestInFlightFinish) {
  std::promise<void> entered;
  std::atomic<bool> finished{false};
  StartServer(Options(), [&](std::string_view op, std::string_view body, const std::string& n) {
    if (op == sync::kOpPush) {
      entered.set_value();
      std::this_thread::sleep_for(300ms);  // applying a page
      finished = true;
    }
    return Echo(op, body, n);
  });
  auto poipet = Transport(ClientOptions("KH-POIPET"));
  ASSERT_TRUE(poipet->RoundTrip(sync::kOpHello, "hi").ok());
  auto pending = std::async(std::launch::async, [&] { return poipet->RoundTrip("push", "page"); });
  entered.get_future().wait();
  server_->Stop();
  EXPECT_TRUE(finished);
  auto reply = pending.get();
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(*reply, "push|KH-POIPET|page");

  auto o = ClientOptions("KH-POIPET");
  o.max_attempts = 1;
  EXPECT_EQ(Transport(o)->RoundTrip("hello", "late").status().code(), Code::kUnavailable);
}

}  // namespace
}  // namespace accord
