// What the sharing tests share (tests/sharing_test.cc, tests/scope_exit_test.cc):
// five offices of three countries, and every byte a node received, so that
// a test can search it for what must never arrive.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sync/wire_codec.h"
#include "tests/test_support.h"

namespace accord::testing {

// Every byte a node received in a sync, decompressed.
class RecordingTransport : public sync::Transport {
 public:
  RecordingTransport(Store& server, const std::string& client) : inner_(server, client) {}
  Result<std::string> RoundTrip(std::string_view op, const std::string& request) override {
    auto sent = sync::DecodeFrame(request);
    if (sent.ok()) to_server += sent->SerializeAsString();
    auto reply = inner_.RoundTrip(op, request);
    if (reply.ok()) {
      auto got = sync::DecodeFrame(*reply);
      if (got.ok()) to_client += got->SerializeAsString();
    }
    return reply;
  }
  std::string to_server, to_client;

 private:
  InProcessTransport inner_;
};

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// KH-NCCT and KH-POIPET (Cambodia), TH-MSDHS and TH-ARANYA (Thailand),
// VN-MOPS (Viet Nam): one deployment, parties in their certificates.
struct FiveOffices {
  TempDir dir;
  FakeClock clock;
  std::unique_ptr<Store> kh = NewStore(dir, "KH-NCCT", clock);
  std::unique_ptr<Store> poipet = NewStore(dir, "KH-POIPET", clock);
  std::unique_ptr<Store> th = NewStore(dir, "TH-MSDHS", clock);
  std::unique_ptr<Store> aranya = NewStore(dir, "TH-ARANYA", clock);
  std::unique_ptr<Store> vn = NewStore(dir, "VN-MOPS", clock);
  std::vector<Store*> all() { return {kh.get(), poipet.get(), th.get(), aranya.get(), vn.get()}; }
  std::string DbPath(const Store& s) const { return dir.File(s.node_id() + ".db"); }
};

// `client` syncs with `server`; what either received is returned.
inline std::string RecordedSync(Store& client, Store& server) {
  RecordingTransport transport(server, client.node_id());
  auto summary = SyncWith(client, transport);
  EXPECT_TRUE(summary.ok()) << client.node_id() << " with " << server.node_id() << ": "
                            << summary.status().ToString();
  return transport.to_client + transport.to_server;
}

inline bool Holds(Store& store, const std::string& id) {
  return store.Get(id).ok();
}

// Each record's dump, as JSON text, by record id, from one dump of the store.
inline std::map<std::string, std::string> RecordDumps(Store& store) {
  std::map<std::string, std::string> by_id;
  auto doc = nlohmann::json::parse(DumpOf(store));
  for (const auto& r : doc["records"]) by_id.emplace(r["id"].get<std::string>(), r.dump());
  return by_id;
}

// The dump of one record, as JSON text, from a store's dump ("" if absent).
inline std::string RecordDump(Store& store, const std::string& id) {
  auto doc = nlohmann::json::parse(DumpOf(store));
  for (const auto& r : doc["records"]) {
    if (r["id"].get<std::string>() == id) return r.dump();
  }
  return "";
}

}  // namespace accord::testing
