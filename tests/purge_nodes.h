// Offices over real HTTPS that purge a case with a victim's real name typed
// into it by mistake (docs/security.md, "Purge orders"): the markers searched
// for in every database file, and the steps the purge and tombstone tests share.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "sync/bundle.h"
#include "sync/purge_order.h"
#include "tests/https_nodes.h"

namespace accord::testing {

// A real name, in Khmer and Thai, typed into a case where only initials
// belong: the markers searched for in every file.
inline const std::string kKhmerName = "សុខ ស្រីនាង ភូមិអូរជ្រៅ";
inline const std::string kThaiName = "นางสาวสมหญิง ใจดี บ้านคลองลึก";
inline const std::string kCase = "case-KH-2026-031";
inline const std::string kPlan = "plan-kh-2026-reintegration";
inline const std::string kReason = "ឈ្មោះពិតរបស់ជនរងគ្រោះ បញ្ចូលដោយច្រឡំ (real name entered by mistake)";

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Whether any byte of the database file, its WAL or its shared memory
// (free pages included: the files are read whole) holds `marker`.
inline bool FilesHold(const std::string& db_path, const std::string& marker) {
  for (const char* suffix : {"", "-wal", "-shm"}) {
    if (ReadAll(db_path + suffix).find(marker) != std::string::npos) return true;
  }
  return false;
}

class PurgeTest : public HttpsNodesTest {
 protected:
  std::string DbPath(const Node& n) { return dir_ / (n.id + ".db"); }

  bool HoldsName(const Node& n) {
    return FilesHold(DbPath(n), kKhmerName) || FilesHold(DbPath(n), kThaiName);
  }

  // What `accord purge` does: prepare (the right), sign, apply.
  PurgeOrder PurgeOn(Node& n, const std::string& id, const std::string& reason) {
    auto order = n.store->PreparePurge(id, reason);
    EXPECT_TRUE(order.ok()) << order.status().ToString();
    Status signed_ok = sync::SignPurgeOrder(*Credentials(n.id).signer, *order);
    EXPECT_TRUE(signed_ok.ok()) << signed_ok.ToString();
    auto outcome = n.store->ApplyPurgeOrder(*order, "", Credentials(n.id).signer->party());
    EXPECT_TRUE(outcome.ok()) << outcome.status().ToString();
    if (outcome.ok()) {
      EXPECT_TRUE(outcome->warning.empty()) << outcome->warning;
    }
    return *order;
  }

  Result<sync::BundleApplyResult> Bundle(Node& from, Node& to) {
    auto sender = Credentials(from.id);
    auto receiver = Credentials(to.id);
    EXPECT_TRUE(
        sync::LearnPeerParty(*from.store, *sender.verifier, receiver.signer->cert_pem(), to.id)
            .ok());
    std::string path = dir_ / (from.id + "-for-" + to.id + std::to_string(++bundles_) + ".bundle");
    sync::BundleCreateOptions options;
    options.receiver = to.id;
    options.verifier = sender.verifier;
    options.receiver_cert_pem = receiver.signer->cert_pem();
    auto created = sync::CreateBundle(*from.store, *sender.signer, path, options);
    if (!created.ok()) return created.status();
    return sync::ApplyBundle(*to.store, *receiver.verifier, path, receiver.signer);
  }

  void WriteCaseAndPlan(Node& n) {
    // One write transaction each, sealed together into one unit when the
    // node first syncs: the purged case shares it with the plan.
    Put(n, {"case",
            kCase,
            {{"reference", "KH-2026-031"},
             {"direction", "TH-KH"},
             {"initials", kKhmerName},
             {"notes", "ผู้เสียหายชื่อ " + kThaiName + " ถูกส่งกลับทางด่านปอยเปต"}}});
    Put(n, {"plan", kPlan, {{"title", "ផែនការស្តារនីតិសម្បទា ២០២៦"}}});
  }

  int bundles_ = 0;
};

}  // namespace accord::testing
