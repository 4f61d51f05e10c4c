// Shared helpers for tests: temporary node directories, stores with a
// controllable clock, and an in-process transport that can inject faults.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/store.h"
#include "sync/identity.h"
#include "sync/sync_service.h"
#include "sync/sync_session.h"
#include "sync/transport.h"

namespace accord::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "accord-test-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  std::string operator/(const std::string& name) const { return File(name); }

 private:
  std::string path_;
};

// A clock every node of a test shares, advancing 1 ms per reading so that
// writes have distinct, deterministic times.
struct FakeClock {
  std::shared_ptr<std::atomic<int64_t>> now = std::make_shared<std::atomic<int64_t>>(1700000000000);
  std::function<int64_t()> Fn() const {
    auto n = now;
    return [n] { return n->fetch_add(1); };
  }
};

inline std::unique_ptr<Store> NewStore(const TempDir& dir, const std::string& node_id,
                                       const FakeClock& clock = FakeClock()) {
  auto store = Store::Create(dir.File(node_id + ".db"), node_id, StoreOptions{clock.Fn()});
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return std::move(store).value();
}

inline std::string DumpOf(Store& store) {
  std::ostringstream out;
  Status st = store.Dump(out);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return out.str();
}

// One deployment shared by every test of a binary: a CA, and a certificate
// and key per node id made on first use (keys take milliseconds; tests make
// hundreds of stores). Every node seals its writes and checks its peers'
// with these, as deployed nodes do with their own.
class TestDeployment {
 public:
  static TestDeployment& Get() {
    static TestDeployment deployment;
    return deployment;
  }

  // This node's key and the shared trust. Thread-safe.
  sync::Credentials For(const std::string& node) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = signers_.find(node);
    if (it == signers_.end()) {
      std::string dir = dir_.File(node);
      Status made =
          sync::MakeNodeCertificate(dir_.File("ca"), node, dir, sync::PartyFromNodeId(node));
      EXPECT_TRUE(made.ok()) << made.ToString();
      auto signer = sync::NodeSigner::Load(dir + "/node.pem", dir + "/node.key");
      EXPECT_TRUE(signer.ok()) << signer.status().ToString();
      it = signers_.emplace(node, std::make_unique<sync::NodeSigner>(std::move(signer).value()))
               .first;
    }
    return {it->second.get(), verifier_.get()};
  }
  std::string ca_pem() const { return dir_.File("ca/ca.pem"); }

 private:
  TestDeployment() {
    Status made = sync::MakeDeploymentCa(dir_.File("ca"), "Accord test deployment");
    EXPECT_TRUE(made.ok()) << made.ToString();
    auto verifier = sync::PeerVerifier::Load(ca_pem(), "");
    EXPECT_TRUE(verifier.ok()) << verifier.status().ToString();
    verifier_ = std::make_unique<sync::PeerVerifier>(std::move(verifier).value());
  }
  TempDir dir_;
  std::mutex mu_;
  std::unique_ptr<sync::PeerVerifier> verifier_;
  std::map<std::string, std::unique_ptr<sync::NodeSigner>> signers_;
};

inline sync::Credentials CredentialsFor(const Store& store) {
  return TestDeployment::Get().For(store.node_id());
}

// A sync between two stores of the test deployment.
inline Result<sync::SyncSummary> SyncWith(Store& client, sync::Transport& transport,
                                          const sync::SyncOptions& options = {}) {
  return sync::RunSync(client, transport, CredentialsFor(client), options);
}

// The three offices most tests need: two capitals and a border office, on
// one shared clock.
struct ThreeOffices {
  TempDir dir;
  FakeClock clock;
  std::unique_ptr<Store> kh = NewStore(dir, "KH-NCCT", clock);
  std::unique_ptr<Store> th = NewStore(dir, "TH-MSDHS", clock);
  std::unique_ptr<Store> border = NewStore(dir, "KH-POIPET", clock);
};

// Hands requests straight to a peer's SyncService. `fault` may cut a call
// before the peer sees it or after the peer applied it but before the reply
// arrives: the two ways a link drops mid-page.
class InProcessTransport : public sync::Transport {
 public:
  enum class Fault { kNone, kDropRequest, kDropReply };

  InProcessTransport(Store& server, std::string client_node)
      : service_(server, CredentialsFor(server)),
        client_node_(std::move(client_node)),
        server_node_(server.node_id()) {}

  std::function<Fault()> fault;
  int calls = 0;
  size_t bytes_sent = 0;
  size_t bytes_received = 0;

  Result<std::string> RoundTrip(std::string_view op, const std::string& request) override {
    ++calls;
    Fault f = fault ? fault() : Fault::kNone;
    if (f == Fault::kDropRequest) return Unavailable("injected: request lost");
    bytes_sent += request.size();
    sync::ServiceReply reply = service_.Handle(op, request, client_node_);
    if (f == Fault::kDropReply) return Unavailable("injected: reply lost");
    bytes_received += reply.body.size();
    return reply.body;
  }
  // The test chose the server's store: that is the proof of who answers.
  std::string AuthenticatedPeer() const override { return server_node_; }

 private:
  sync::SyncService service_;
  std::string client_node_;
  std::string server_node_;
};

// Wraps any transport (HTTPS included) with the same two faults.
class FaultyTransport : public sync::Transport {
 public:
  using Fault = InProcessTransport::Fault;
  FaultyTransport(sync::Transport& inner, std::function<Fault()> fault)
      : inner_(inner), fault_(std::move(fault)) {}

  Result<std::string> RoundTrip(std::string_view op, const std::string& request) override {
    Fault f = fault_ ? fault_() : Fault::kNone;
    if (f == Fault::kDropRequest) return Unavailable("injected: request lost");
    auto reply = inner_.RoundTrip(op, request);
    if (f == Fault::kDropReply && reply.ok()) return Unavailable("injected: reply lost");
    return reply;
  }
  std::string AuthenticatedPeer() const override { return inner_.AuthenticatedPeer(); }

 private:
  sync::Transport& inner_;
  std::function<Fault()> fault_;
};

// A case whose subject agreed it may cross the border, as an office records
// it when it opens the case: `direction` names both parties ("KH-TH") and
// consent is given and recorded. Without these a case stays with the party
// of the office that opened it (docs/sharing.md). `fields` come first.
constexpr size_t kConsentFields = 4;  // the states SharedCase adds
inline std::vector<FieldWrite> SharedCase(const std::string& direction,
                                          std::vector<FieldWrite> fields) {
  fields.push_back({"direction", direction});
  fields.push_back({"consent", std::string("given")});
  fields.push_back({"consent_recorded_by", std::string("case manager")});
  fields.push_back({"consent_recorded_on", std::string("2026-01-15")});
  return fields;
}

// A sync the test expects to succeed, in process.
inline void SyncOk(Store& client, Store& server) {
  InProcessTransport transport(server, client.node_id());
  auto summary = SyncWith(client, transport);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
}

// A write the test expects to succeed.
inline void PutOk(Store& store, RecordWrite write) {
  auto id = store.Put(write);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
}

// SQL that takes a database of this build back to layout 11 (before
// tombstone collection), for tests that open an older layout.
// Bytes that look like a scanned document: a PDF header, `marker`, then
// varied bytes (xorshift) that zstd cannot shrink to nothing, `size` in all.
inline std::string ScanBytes(size_t size, const std::string& marker = "") {
  std::string bytes = "%PDF-1.4\n" + (marker.empty() ? "" : marker + "\n");
  uint32_t x = 2463534242u;
  while (bytes.size() < size) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    bytes += static_cast<char>(x & 0xff);
  }
  bytes.resize(size);
  return bytes;
}

inline constexpr char kBackToLayout11[] =
    "ALTER TABLE purge_orders DROP COLUMN sequence; DROP TABLE purge_acks; "
    "DROP TABLE purge_ack_peers; DROP TABLE known_nodes; DROP TABLE purge_collected; "
    "DROP TABLE collected_purge_orders; PRAGMA user_version = 11; ";

}  // namespace accord::testing
