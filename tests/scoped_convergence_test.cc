// Issue 11's randomized convergence run with sharing scopes, over real HTTPS
// and by bundle files: Cambodia's KH-NCCT and KH-POIPET, Thailand's TH-MSDHS
// and TH-ARANYA, Viet Nam's VN-MOLISA. Offices write a Cambodia–Thailand and
// a Cambodia–Viet Nam plan, meetings and minutes, and open cases whose
// consent is given, refused or not asked (and given later), edit apart into
// conflicts and resolve some (tests/scoped_office_work.h); pairs exchange
// at random, some syncs and bundle applies cut short.
//
// After every exchange: neither office holds a record its party may not,
// and a complete exchange delivered everything the sender held that the
// receiver may hold (tests/scope_checks.h). After a quiet phase: every
// office holds exactly what its party may, byte for byte the dump of a node
// that holds everything (tests/everything_node.h) filtered to that party,
// and no write is lost. Consent is never withdrawn here: see
// OfficeWork::GiveConsent.
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "sync/bundle.h"
#include "tests/everything_node.h"
#include "tests/https_nodes.h"
#include "tests/scope_checks.h"
#include "tests/scoped_office_work.h"

namespace accord {
namespace {

using testing::Node;

// How the quiet phase exchanges: the random phase always mixes both.
enum class Quiet { kHttps, kBundles, kMixed };

struct Run {
  uint32_t seed;
  Quiet quiet;
  const char* name;
};

void PrintTo(const Run& run, std::ostream* out) {
  *out << run.name << " seed " << run.seed;
}

class ScopedConvergenceTest : public testing::HttpsNodesTest,
                              public ::testing::WithParamInterface<Run> {
 protected:
  void SetUp() override {
    HttpsNodesTest::SetUp();
    for (const char* id : {"KH-NCCT", "KH-POIPET", "TH-MSDHS", "TH-ARANYA", "VN-MOLISA"}) {
      offices_.push_back(&AddNode(id));
    }
    everything_ = std::make_unique<testing::EverythingNode>(dir_ / "everything.db",
                                                            *Credentials("KH-NCCT").verifier);
    rng_.seed(GetParam().seed);
  }

  size_t Pick(size_t n) { return static_cast<size_t>(rng_() % n); }
  static std::string PartyOf(const Node& office) { return testing::OfficeWork::PartyOf(office); }

  // ---- Exchanges.
  // Over HTTPS; with `faults`, a reply may be lost (the next sync resumes).
  bool SyncPair(Node& client, Node& server, bool faults) {
    auto summary = Sync(
        client, server, [this, faults] { return faults && Pick(4) == 0; }, Pick(2) ? 16 : 1000);
    ++syncs_;
    if (!summary.ok()) {
      ++cut_;
      EXPECT_TRUE(faults) << client.id << " with " << server.id << ": "
                          << summary.status().ToString();
      EXPECT_EQ(summary.status().code(), Code::kUnavailable) << summary.status().ToString();
      return false;
    }
    conflicts_made_ += summary->new_conflicts + summary->peer_new_conflicts;
    // Honest offices: nothing either side sends is refused.
    EXPECT_TRUE(summary->refused_here.empty()) << summary->refused_here.front().reason;
    EXPECT_TRUE(summary->refused_by_peer.empty()) << summary->refused_by_peer.front().reason;
    EXPECT_TRUE(summary->disbelieved.empty()) << summary->disbelieved.front();
    return true;
  }

  // A file carried from `from` to `to`; with `faults`, the apply stops after
  // its first chunk and is run again. Now and then an acknowledgement goes back.
  void CarryBundle(Node& from, Node& to, bool faults) {
    const sync::Credentials sender = Credentials(from.id), receiver = Credentials(to.id);
    auto party = from.store->PartyOf(to.id);
    ASSERT_TRUE(party.ok());
    if (!party->has_value()) {
      // `accord bundle create --receiver-cert`: the two never synced.
      ASSERT_TRUE(
          sync::LearnPeerParty(*from.store, *sender.verifier, receiver.signer->cert_pem(), to.id)
              .ok());
    }
    std::string path = dir_ / ("bundle-" + std::to_string(++bundles_) + ".accord-bundle");
    sync::BundleCreateOptions options;
    options.receiver = to.id;
    options.chunk_states = 25;
    options.verifier = sender.verifier;
    options.receiver_cert_pem = receiver.signer->cert_pem();
    auto created = sync::CreateBundle(*from.store, *sender.signer, path, options);
    ASSERT_TRUE(created.ok()) << from.id << " for " << to.id << ": " << created.status().ToString();
    if (faults && created->chunks > 1) {
      ++cut_;
      auto cut = sync::ApplyBundle(*to.store, *receiver.verifier, path, receiver.signer, {},
                                   [](uint64_t) { return true; });
      ASSERT_EQ(cut.status().code(), Code::kUnavailable) << cut.status().ToString();
    }
    auto applied = sync::ApplyBundle(*to.store, *receiver.verifier, path, receiver.signer);
    ASSERT_TRUE(applied.ok()) << from.id << " to " << to.id << ": " << applied.status().ToString();
    EXPECT_TRUE(applied->applied.refused.empty()) << applied->applied.refused.front().reason;
    EXPECT_TRUE(applied->applied.disbelieved.empty()) << applied->applied.disbelieved.front();
    conflicts_made_ += applied->applied.new_conflicts;
    if (Pick(3) == 0) {
      std::string ack = path + ".ack";
      ASSERT_TRUE(sync::CreateAck(*to.store, *receiver.signer, ack, from.id).ok());
      ASSERT_TRUE(sync::ApplyBundle(*from.store, *sender.verifier, ack).ok());
    }
  }

  // `a` and `b` exchange; once the exchange is complete, each holds what it
  // was owed and nothing it may not hold.
  void Exchange(Node& a, Node& b, bool by_bundle, bool faults) {
    std::string how = (by_bundle ? "bundle " : "sync ") + a.id + " -> " + b.id;
    // What the server may send the client before the sync's push changes it.
    std::set<std::string> allowed_before;
    if (!by_bundle) allowed_before = testing::RecordsAllowed(*b.store, PartyOf(a));
    bool complete = true;
    if (by_bundle) {
      CarryBundle(a, b, faults);
    } else {
      complete = SyncPair(a, b, faults);
    }
    if (::testing::Test::HasFatalFailure()) return;
    if (complete) {
      testing::ExpectDelivered(*a.store, *b.store, PartyOf(b), how);
      if (!by_bundle) {
        testing::ExpectDelivered(*b.store, *a.store, PartyOf(a), how, &allowed_before);
      }
    }
    for (Node* n : {&a, &b}) {
      testing::ExpectNothingOutOfScope(*n->store, PartyOf(*n), everything_->store(), how);
    }
  }

  std::vector<std::string> Dumps() {
    std::vector<std::string> dumps;
    for (Node* n : offices_) dumps.push_back(testing::DumpOf(*n->store));
    return dumps;
  }

  // Every ordered pair exchanges, pass after pass, until two passes in a row
  // change no office's dump. Returns the passes it took.
  int Quiesce(Quiet how) {
    int still = 0;
    auto before = Dumps();
    for (int pass = 1; pass <= 10; ++pass) {
      for (Node* a : offices_) {
        for (Node* b : offices_) {
          if (a == b) continue;
          bool by_bundle = how == Quiet::kBundles || (how == Quiet::kMixed && Pick(2));
          Exchange(*a, *b, by_bundle, false);
          if (::testing::Test::HasFatalFailure()) return pass;
        }
      }
      auto after = Dumps();  // also the next pass's "before": nothing runs in between
      still = after == before ? still + 1 : 0;
      if (still == 2) return pass;
      before = std::move(after);
    }
    ADD_FAILURE() << "the offices still exchange changes after 10 passes";
    return 10;
  }

  std::vector<Node*> offices_;
  std::unique_ptr<testing::EverythingNode> everything_;
  std::mt19937 rng_;
  int bundles_ = 0;
  int syncs_ = 0;
  int cut_ = 0;                // syncs and bundle applies cut short
  size_t conflicts_made_ = 0;  // found by syncs and bundle applies
};

constexpr int kSteps = 400;

TEST_P(ScopedConvergenceTest, EveryOfficeEndsWithExactlyItsScopeAndNoWriteIsLost) {
  testing::OfficeWork work(offices_, rng_, [this](Node& office) {
    everything_->CollectFrom(*office.store, *Credentials(office.id).signer);
  });
  work.Begin();
  for (int step = 0; step < kSteps && !HasFatalFailure(); ++step) {
    Node& office = *offices_[Pick(offices_.size())];
    if (Pick(3) > 0) {
      work.Act(office);
      continue;
    }
    Node& other = *offices_[Pick(offices_.size())];
    if (&other != &office) Exchange(office, other, Pick(2) == 0, Pick(5) == 0);
  }
  ASSERT_FALSE(HasFatalFailure());
  int passes = Quiesce(GetParam().quiet);
  ASSERT_FALSE(HasFatalFailure());

  // Each office holds exactly the records its party may, each byte for byte
  // as the everything-node holds it: values, vectors, conflicts, tombstones.
  for (Node* office : offices_) {
    std::string want = everything_->FilteredDump(PartyOf(*office));
    std::string got = testing::DumpOf(*office->store);
    EXPECT_TRUE(want == got) << office->id << " (party " << PartyOf(*office)
                             << ") differs from the everything-node's filtered dump:"
                             << testing::DumpDifference(want, got);
  }

  // No write lost: each value an officer wrote is at the everything-node
  // as that office wrote it, and so is every version in each office's own
  // history; its live versions are exactly the writes no other has seen.
  // Whatever an office lacks, it lacks by scope alone.
  for (const auto& w : work.written) {
    EXPECT_TRUE(everything_->HoldsWrite(w.office, w.record, w.field, w.value))
        << w.office << " wrote " << w.record << "." << w.field << " = "
        << w.value.value_or("(cleared)");
  }
  std::vector<Store*> stores;
  for (Node* n : offices_) stores.push_back(n->store.get());
  EXPECT_GE(everything_->ExpectHoldsEveryWrite(stores), work.written.size());

  // The run exercised the policy both ways: every office was kept from
  // some records, cases crossed borders (consent given at opening or
  // later), and offices edited apart into conflicts.
  auto all = testing::DumpLines::Parse(testing::DumpOf(everything_->store()));
  std::string held;
  for (Node* office : offices_) {
    auto records = testing::DumpLines::Parse(testing::DumpOf(*office->store)).records.size();
    auto cases = testing::OfficeWork::HeldOf(*office, work.cases()).size();
    EXPECT_GT(all.records.size(), records) << office->id << " was kept from nothing";
    if (PartyOf(*office) != "KH") {
      EXPECT_GT(cases, 0u) << office->id << " received no case";
    }
    held +=
        " " + office->id + " " + std::to_string(records) + " (" + std::to_string(cases) + " cases)";
  }
  auto open = everything_->store().ListConflicts({});
  ASSERT_TRUE(open.ok());
  EXPECT_GT(conflicts_made_, 0u) << "no conflict was made";
  EXPECT_GT(work.given_later, 0) << "no consent was given later";

  std::string summary =
      std::to_string(all.records.size()) + " records, " + std::to_string(work.cases().size()) +
      " cases (consent given later " + std::to_string(work.given_later) + "), " +
      std::to_string(work.written.size()) + " writes; " + std::to_string(syncs_) + " syncs and " +
      std::to_string(bundles_) + " bundles (" + std::to_string(cut_) + " cut short), quiet after " +
      std::to_string(passes) + " passes; " + std::to_string(conflicts_made_) + " conflicts made, " +
      std::to_string(work.resolved) + " resolved, " + std::to_string(open->total) +
      " open; held:" + held;
  RecordProperty("run", summary);
  std::printf("%s\n", summary.c_str());
}

INSTANTIATE_TEST_SUITE_P(Seeds, ScopedConvergenceTest,
                         ::testing::Values(Run{11, Quiet::kHttps, "QuietOverHttps"},
                                           Run{12, Quiet::kBundles, "QuietByBundle"},
                                           Run{13, Quiet::kMixed, "QuietMixed"}),
                         [](const ::testing::TestParamInfo<Run>& run) {
                           return std::string(run.param.name) + "Seed" +
                                  std::to_string(run.param.seed);
                         });

}  // namespace
}  // namespace accord
