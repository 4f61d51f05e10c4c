// Offices over real HTTPS on 127.0.0.1: each runs the server `accord serve`
// runs (mutual TLS, signed requests, a store pool) and syncs as a client
// through libcurl. Shared by the HTTPS sync tests and the attack tests.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "client/https_transport.h"
#include "server/https_server.h"
#include "server/loopback_port.h"
#include "server/store_pool.h"
#include "sync/sync_service.h"
#include "sync/sync_session.h"
#include "tests/pki_fixture.h"
#include "tests/test_support.h"

namespace accord::testing {

// One office: its store (the officer's writes, and the client side of sync)
// and its HTTPS endpoint, which opens its own connections to the same file.
struct Node {
  std::string id;
  std::unique_ptr<Store> store;
  std::unique_ptr<server::StorePool> pool;
  std::unique_ptr<server::HttpsServer> server;
  int port = 0;
};

class HttpsNodesTest : public PkiFixture {
 protected:
  // `clock` dates the office's own writes; null: the tests' shared clock.
  Node& AddNode(const std::string& id, std::function<int64_t()> clock = nullptr) {
    Enrol(id);
    auto node = std::make_unique<Node>();
    node->id = id;
    std::string path = dir_ / (id + ".db");
    auto store = Store::Create(path, id, StoreOptions{clock ? std::move(clock) : clock_.Fn()});
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    node->store = std::move(store).value();
    node->pool = std::make_unique<server::StorePool>(path);
    server::StorePool* pool = node->pool.get();
    auto handler = [this, pool, id](std::string_view op, std::string_view body,
                                    const std::string& peer) {
      auto lease = pool->Acquire();
      if (!lease.ok()) return sync::ServiceReply{Code::kUnavailable, ""};
      sync::ServiceOptions service_options;
      service_options.log = [this, id](std::string_view line) {
        std::lock_guard<std::mutex> lock(service_log_mu_);
        service_log_.push_back(id + ": " + std::string(line));
      };
      sync::SyncService service(**lease, Credentials(id), service_options);
      return service.Handle(op, body, peer);
    };
    server::ServerOptions options;
    options.ca_path = ca_pem();
    options.cert_path = cert(id);
    options.key_path = key(id);
    options.revoked_path = revoked_path();
    options.crl_path = crl_path();
    options.threads = 4;
    for (int attempt = 0; attempt < 5 && !node->server; ++attempt) {
      auto port = server::PickFreeLoopbackPort();
      EXPECT_TRUE(port.ok());
      options.port = *port;
      auto started = server::HttpsServer::Start(options, handler, nullptr);
      if (started.ok()) {
        node->server = std::move(started).value();
        node->port = options.port;
      }
    }
    EXPECT_TRUE(node->server) << "no free loopback port for " << id;
    nodes_.push_back(std::move(node));
    return *nodes_.back();
  }

  std::unique_ptr<client::HttpsTransport> TransportTo(const Node& client, const Node& server) {
    client::HttpsTransportOptions o;
    o.base_url = "https://127.0.0.1:" + std::to_string(server.port);
    o.ca_path = ca_pem();
    o.cert_path = cert(client.id);
    o.key_path = key(client.id);
    o.expected_server_node = server.id;
    o.max_attempts = 2;
    o.first_backoff = std::chrono::milliseconds(10);
    auto t = client::HttpsTransport::Create(o);
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return std::move(t).value();
  }

  // `cut()` is asked before each round trip whether to lose its reply.
  Result<sync::SyncSummary> Sync(Node& client, Node& server, std::function<bool()> cut = nullptr,
                                 uint32_t page_size = 1000) {
    auto https = TransportTo(client, server);
    FaultyTransport transport(*https, [cut] {
      return cut && cut() ? FaultyTransport::Fault::kDropReply : FaultyTransport::Fault::kNone;
    });
    sync::SyncOptions options;
    options.page_size = page_size;
    options.expected_peer = server.id;
    return sync::RunSync(*client.store, transport, Credentials(client.id), options);
  }

  void SyncOk(Node& client, Node& server) {
    auto summary = Sync(client, server);
    ASSERT_TRUE(summary.ok()) << client.id << " with " << server.id << ": "
                              << summary.status().ToString();
  }

  // Whether some office's sync service logged a line holding `fragment`
  // (what it refused or did not believe, prefixed with its node id).
  bool ServiceLogged(const std::string& fragment) {
    std::lock_guard<std::mutex> lock(service_log_mu_);
    for (const auto& line : service_log_) {
      if (line.find(fragment) != std::string::npos) return true;
    }
    return false;
  }

  Node* ByStore(const Store& store) {
    for (auto& n : nodes_) {
      if (n->store.get() == &store) return n.get();
    }
    return nullptr;
  }

  // Before the nodes: their servers log until they stop.
  std::mutex service_log_mu_;
  std::vector<std::string> service_log_;
  FakeClock clock_;
  std::vector<std::unique_ptr<Node>> nodes_;
};

inline void Put(Node& node, RecordWrite write) {
  auto id = node.store->Put(write);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
}

// The field's provisional value on `node`, if the record and field exist.
inline std::optional<std::string> Current(Node& node, const std::string& id,
                                          const std::string& field) {
  auto record = node.store->Get(id);
  if (!record.ok()) return std::nullopt;
  const std::optional<std::string>* value = record->Value(field);
  return value ? *value : std::nullopt;
}

}  // namespace accord::testing
