// The capital's server on a free loopback port, offices' transports, and
// raw libcurl requests for clients HttpsTransport would never be.
#pragma once

#include <curl/curl.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "client/https_transport.h"
#include "net/request_signing.h"
#include "server/https_server.h"
#include "server/log.h"
#include "server/loopback_port.h"
#include "tests/pki_fixture.h"

namespace accord::testing {

using namespace std::chrono_literals;

// What a raw libcurl request got; for clients HttpsTransport would never be
// (no certificate, forged headers, plain HTTP to the staff page).
struct RawReply {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string body;
  std::string error;
  std::map<std::string, std::string> headers;  // names lowercased
  std::string Header(std::string name) const {
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

inline size_t Append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

inline size_t AppendHeader(char* data, size_t size, size_t n, void* out) {
  std::string line(data, size * n);
  size_t colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t start = line.find_first_not_of(' ', colon + 1);
    size_t end = line.find_last_not_of("\r\n");
    (*static_cast<std::map<std::string, std::string>*>(out))[name] =
        start == std::string::npos || end < start ? "" : line.substr(start, end - start + 1);
  }
  return size * n;
}

// A request signed as HttpsTransport signs (request signing v2), for clients
// it would never be: forged, relayed, replayed.
struct SignedRequest {
  SignedRequest(std::string op_, std::string body_, std::string node_, std::string server_,
                std::string session_ = net::kNoSession, uint64_t sequence_ = 0)
      : op(std::move(op_)),
        body(std::move(body_)),
        node(std::move(node_)),
        server(std::move(server_)),
        session(std::move(session_)),
        sequence(sequence_) {}

  std::string op;
  std::string body;
  std::string node;    // X-Accord-Node
  std::string server;  // X-Accord-Server
  std::string session;
  uint64_t sequence;
  std::string cert_pem;  // X-Accord-Cert; "" = the signer's

  // The headers, signed with `signer`'s key.
  std::vector<std::string> Headers(const sync::NodeSigner& signer) const {
    net::RequestBinding binding{op, node, server, session, sequence};
    auto signature = signer.Sign(net::RequestSigningInput(binding, body).value());
    EXPECT_TRUE(signature.ok()) << signature.status().ToString();
    return {std::string(net::kHeaderNode) + ": " + node,
            std::string(net::kHeaderServer) + ": " + server,
            std::string(net::kHeaderSession) + ": " + session,
            std::string(net::kHeaderSequence) + ": " + std::to_string(sequence),
            std::string(net::kHeaderCert) + ": " +
                sync::Base64Encode(cert_pem.empty() ? signer.cert_pem() : cert_pem),
            std::string(net::kHeaderSignature) + ": " + sync::Base64Encode(signature.value()),
            "Expect:"};
  }
};

inline RawReply RawRequest(const std::string& url, const std::string& method,
                           const std::string& body, const std::vector<std::string>& headers,
                           const std::string& ca = "", const std::string& cert = "",
                           const std::string& key = "") {
  RawReply r;
  char err[CURL_ERROR_SIZE] = {};
  CURL* c = curl_easy_init();
  curl_slist* list = nullptr;
  for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROXY, "");
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (method == "POST") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
  }
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &Append);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &AppendHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &r.headers);
  if (!ca.empty()) {
    curl_easy_setopt(c, CURLOPT_CAINFO, ca.c_str());
    curl_easy_setopt(c, CURLOPT_CAPATH, nullptr);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!cert.empty()) {
    curl_easy_setopt(c, CURLOPT_SSLCERT, cert.c_str());
    curl_easy_setopt(c, CURLOPT_SSLKEY, key.c_str());
  }
  r.code = curl_easy_perform(c);
  r.error = err;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  curl_slist_free_all(list);
  curl_easy_cleanup(c);
  return r;
}

inline int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class HttpsTransportTest : public PkiFixture {
 protected:
  void SetUp() override {
    PkiFixture::SetUp();
    Enrol("CAPITAL");
    Enrol("KH-POIPET");
    Enrol("TH-ARANYA");
    server::SetLogSink([this](std::string_view line) {
      std::lock_guard<std::mutex> lock(log_mu_);
      log_.emplace_back(line);
    });
  }
  void TearDown() override {
    server_.reset();
    server::SetLogSink(nullptr);
    if (HasFailure()) {
      for (const auto& line : log_) std::fprintf(stderr, "server log: %s\n", line.c_str());
    }
  }

  server::ServerOptions Options() {
    server::ServerOptions o;
    o.ca_path = ca_pem();
    o.cert_path = cert("CAPITAL");
    o.key_path = key("CAPITAL");
    o.revoked_path = revoked_path();
    o.threads = 4;
    return o;
  }

  // Echoes "<op>|<node>|<body>" so tests see what the handler was given.
  static sync::ServiceReply Echo(std::string_view op, std::string_view body,
                                 const std::string& node) {
    return {Code::kOk, std::string(op) + "|" + node + "|" + std::string(body)};
  }

  // Starts on a free port, trying again if another process takes it first.
  void StartServer(server::ServerOptions o, server::SyncHandler handler = Echo) {
    for (int attempt = 0; attempt < 5; ++attempt) {
      if (attempt > 0 || o.port == 8443) {
        auto port = server::PickFreeLoopbackPort();
        ASSERT_TRUE(port.ok());
        o.port = *port;
      }
      auto s = server::HttpsServer::Start(o, handler, [] { return std::string("{\"ok\":true}"); });
      if (s.ok()) {
        server_ = std::move(s).value();
        port_ = o.port;
        return;
      }
      ASSERT_EQ(s.status().code(), Code::kUnavailable) << s.status().ToString();
    }
    FAIL() << "no free port";
  }

  client::HttpsTransportOptions ClientOptions(const std::string& node) {
    client::HttpsTransportOptions o;
    o.base_url = "https://127.0.0.1:" + std::to_string(port_);
    o.ca_path = ca_pem();
    o.cert_path = cert(node);
    o.key_path = key(node);
    o.sleep = [this](std::chrono::milliseconds d) { sleeps_.push_back(d); };
    return o;
  }

  std::unique_ptr<client::HttpsTransport> Transport(const client::HttpsTransportOptions& o) {
    auto t = client::HttpsTransport::Create(o);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? std::move(t).value() : nullptr;
  }

  std::string Url(const std::string& path) {
    return "https://127.0.0.1:" + std::to_string(port_) + path;
  }

  // Server counters move on the server's threads; give them a moment.
  static bool Eventually(const std::function<bool()>& condition) {
    for (int i = 0; i < 200 && !condition(); ++i) std::this_thread::sleep_for(10ms);
    return condition();
  }

  sync::NodeSigner Signer(const std::string& node) {
    auto signer = sync::NodeSigner::Load(cert(node), key(node));
    EXPECT_TRUE(signer.ok()) << signer.status().ToString();
    return std::move(signer).value();
  }

  // Sends `request` signed by `signer_node` over a TLS connection with
  // `connection_node`'s certificate (by default the signer's).
  RawReply SendSigned(const SignedRequest& request, const std::string& signer_node,
                      std::string connection_node = "") {
    if (connection_node.empty()) connection_node = signer_node;
    return RawRequest(Url(net::SyncPath(request.op)), "POST", request.body,
                      request.Headers(Signer(signer_node)), ca_pem(), cert(connection_node),
                      key(connection_node));
  }

  // A hello from `node`, signed and sent by hand; the session it opened.
  std::string RawHello(const std::string& node) {
    RawReply r = SendSigned({"hello", "hi", node, server_->node_id()}, node);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(net::IsSessionId(r.Header(net::kHeaderSession))) << r.Header(net::kHeaderSession);
    return r.Header(net::kHeaderSession);
  }

  bool Logged(const std::string& fragment) {
    std::lock_guard<std::mutex> lock(log_mu_);
    return std::any_of(log_.begin(), log_.end(),
                       [&](const std::string& l) { return l.find(fragment) != std::string::npos; });
  }

  std::unique_ptr<server::HttpsServer> server_;
  int port_ = 8443;
  std::vector<std::chrono::milliseconds> sleeps_;
  std::mutex log_mu_;
  std::vector<std::string> log_;
};

}  // namespace accord::testing
