// Issue 9, "Trust only what a peer can prove": the attacks that worked on a
// loopback deployment when the issue was filed, each run again over real
// HTTPS by a legitimate certificate holder (TH-MSDHS, its own certificate and
// key) against the Cambodian capital. Each is refused, the capital's database
// and knowledge are unchanged, it still syncs with a third office (Viet Nam)
// and with the attacker, and the border office the attack aimed at (Poi Pet)
// still gets its later edits in, as its own, with no conflict.
//
// The frames are built with tests/tamper.h. Each test says what the old
// behaviour did with the attack, and so which assertion it would fail.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>

#include "sync/bundle.h"
#include "tests/conflict_share.h"
#include "tests/https_nodes.h"
#include "tests/tamper.h"

namespace accord {
namespace {

using testing::Current;
using testing::DumpOf;
using ::testing::HasSubstr;
using testing::Node;
using testing::Put;

constexpr char kCase[] = "case-KH-2026-014";    // Poi Pet's case, the target
constexpr char kVnCase[] = "case-VN-2026-007";  // Viet Nam's, for the third link
constexpr uint64_t kMax63 = std::numeric_limits<int64_t>::max();
constexpr uint64_t kMax64 = std::numeric_limits<uint64_t>::max();

class HttpsAttackTest : public testing::HttpsNodesTest {
 protected:
  void SetUp() override {
    HttpsNodesTest::SetUp();
    kh_ = &AddNode("KH-NCCT");
    th_ = &AddNode("TH-MSDHS");
    poipet_ = &AddNode("KH-POIPET");
    vn_ = &AddNode("VN-MOLISA");
    Put(*kh_, {"plan", std::string("plan-khth-2026"), {{"title", "ផែនការសកម្មភាព ២០២៦"}}});
    // The victim agreed to have the case shared with Thailand, so TH-MSDHS
    // holds it (docs/sharing.md); the attacks forge a withdrawal.
    Put(*poipet_, {"case",
                   std::string(kCase),
                   {{"reference", "KH-2026-014"},
                    {"direction", "TH-KH"},
                    {"initials", "ស.ម."},
                    {"consent", "given"},
                    {"consent_recorded_by", "ចៅហ្វាយប៉ុស្តិ៍ប៉ោយប៉ែត"},
                    {"consent_recorded_on", "2026-03-02"},
                    {"notes", "ជនរងគ្រោះយល់ព្រមឱ្យចែករំលែកព័ត៌មានជាមួយប្រទេសថៃ"}}});
    Put(*th_,
        {"case", std::string("case-TH-2026-022"),
         testing::SharedCase("TH-KH", {{"reference", "TH-2026-022"},
                                       {"notes", "คัดกรองผู้เสียหายที่ศูนย์คุ้มครองคนไร้ที่พึ่งจังหวัดสระแก้ว"}})});
    Put(*vn_, {"case", std::string(kVnCase),
               // Returned from Thailand through Cambodia: all three may hold it.
               testing::SharedCase(
                   "TH-KH-VN",
                   {{"reference", "VN-2026-007"},
                    {"notes",
                     "Nạn nhân đã được tiếp nhận tại Trung tâm Bảo trợ xã hội tỉnh An Giang"}})});
    SyncOk(*poipet_, *kh_);
    SyncOk(*th_, *kh_);
    SyncOk(*vn_, *kh_);
    SyncOk(*th_, *kh_);  // TH-MSDHS holds everything, Viet Nam's case included
    before_ = DumpOf(*kh_->store);
    knowledge_before_ = kh_->store->Knowledge()->ToText();
    ASSERT_EQ(knowledge_before_, "KH-NCCT:1,KH-POIPET:1,TH-MSDHS:1,VN-MOLISA:1");
  }

  const sync::NodeSigner& Key(const std::string& node) { return *Credentials(node).signer; }

  // Sends `frame` to the capital as TH-MSDHS over HTTPS (hello, then push)
  // and returns what the capital said: its error, or why it refused states.
  std::string SendAsThailand(const std::string& frame) {
    auto transport = TransportTo(*th_, *kh_);
    wire::Envelope hello;
    hello.mutable_hello_request();
    EXPECT_TRUE(transport->RoundTrip(sync::kOpHello, testing::Encoded(hello, th_->id)).ok());
    auto reply = transport->RoundTrip(sync::kOpPush, frame);
    EXPECT_TRUE(reply.ok()) << reply.status().ToString();
    if (!reply.ok()) return "transport: " + reply.status().ToString();
    wire::Envelope answer = testing::Decoded(*reply);
    if (answer.has_error()) return "error: " + answer.error().message();
    std::string said;
    for (const auto& r : answer.push_reply().refused()) said += "refused: " + r.reason() + "\n";
    return said;
  }

  // A push page of `changes` from TH-MSDHS, last of its sync, vouching for
  // `knowledge`.
  std::string VouchingPage(const wire::SignedChanges& changes,
                           std::map<std::string, uint64_t> knowledge) {
    wire::Envelope envelope;
    auto* push = envelope.mutable_push_request();
    *push->mutable_signed_changes() = changes;
    testing::Vouch(push, std::move(knowledge));
    return testing::Encoded(envelope, th_->id);
  }

  // TH-MSDHS's copy of Poi Pet's case, as its accord would relay it.
  wire::SignedChanges RelayedCase() {
    return testing::PageFrom(*th_->store, Key("TH-MSDHS"), VersionVector());
  }

  Node* ById(const std::string& id) {
    for (auto& n : nodes_) {
      if (n->id == id) return n.get();
    }
    return nullptr;
  }

  // Every entry of `store`'s knowledge is at most what that office wrote.
  void ExpectKnowledgeWithinWhatWasWritten(Store& store) {
    VersionVector knowledge = store.Knowledge().value();
    for (const auto& [node, counter] : knowledge.entries()) {
      Node* origin = ById(node);
      ASSERT_NE(origin, nullptr) << store.node_id() << " knows of " << node << ", made up";
      EXPECT_LE(counter, origin->store->Knowledge()->Get(node)) << store.node_id() << ", " << node;
    }
  }

  // What must hold after any refused attack.
  void ExpectNothingChangedAndEveryLinkStillWorks() {
    EXPECT_EQ(DumpOf(*kh_->store), before_);
    EXPECT_EQ(kh_->store->Knowledge()->ToText(), knowledge_before_);
    // The capital still syncs with a third office, which learns nothing false.
    Put(*vn_, {"case",
               std::string(kVnCase),
               {{"step", "reintegration"}, {"notes", "Đã đoàn tụ gia đình tại huyện Tân Châu"}}});
    auto vn = Sync(*vn_, *kh_);
    ASSERT_TRUE(vn.ok()) << vn.status().ToString();
    EXPECT_TRUE(vn->refused_here.empty());
    EXPECT_TRUE(vn->refused_by_peer.empty());
    EXPECT_EQ(Current(*kh_, kVnCase, "step"), "reintegration");
    ExpectKnowledgeWithinWhatWasWritten(*vn_->store);
    // So does the attacker's own link.
    SyncOk(*th_, *kh_);
    // And Poi Pet's later edit of the targeted field goes in, as its own.
    Put(*poipet_,
        {"case",
         std::string(kCase),
         {{"consent", "overridden"}, {"consent_override_reason", "តាមដីកាតុលាការខេត្តបន្ទាយមានជ័យ"}}});
    auto border = Sync(*poipet_, *kh_);
    ASSERT_TRUE(border.ok()) << border.status().ToString();
    EXPECT_TRUE(border->refused_by_peer.empty()) << border->refused_by_peer[0].reason;
    auto held = kh_->store->Get(kCase);
    ASSERT_TRUE(held.ok());
    EXPECT_EQ(*held->fields.at("consent").value, "overridden");
    EXPECT_EQ(held->fields.at("consent").origin, "KH-POIPET");
    EXPECT_EQ(held->conflicts.count("consent"), 0u);
    EXPECT_EQ(kh_->store->GetStatus()->open_conflicts, 0);
    ExpectKnowledgeWithinWhatWasWritten(*kh_->store);
    EXPECT_EQ(DumpOf(*kh_->store), DumpOf(*poipet_->store));
  }

  // The forged consent: "refused", a withdrawal in the victim's name.
  wire::FieldState Withdrawn(const std::string& origin,
                             const std::vector<std::pair<std::string, uint64_t>>& vector,
                             int64_t time_ms = 1700000000000) {
    return testing::StateOf(kCase, "case", "consent", "refused", origin, vector, time_ms);
  }

  Node* kh_ = nullptr;
  Node* th_ = nullptr;
  Node* poipet_ = nullptr;
  Node* vn_ = nullptr;
  std::string before_;
  std::string knowledge_before_;
};

// ---- Forged origins.

// Old behaviour: applied as KH-POIPET's write (consent "refused", no
// conflict), then Poi Pet's real edit (counter 2 < 1000) was "already held"
// and its syncs failed. Here: the unit is signed with TH-MSDHS's key under
// KH-POIPET's name, and no certificate of KH-POIPET holds that key.
TEST_F(HttpsAttackTest, AWriteForgedInTheBorderOfficesNameIsRefused) {
  auto forged =
      testing::SealedAs({Withdrawn("KH-POIPET", {{"KH-POIPET", 1000}}),
                         testing::StateOf(kCase, "case", "notes", "受害人已同意与泰方共享个案资料",
                                          "KH-POIPET", {{"KH-POIPET", 1000}}, 1)},
                        Key("TH-MSDHS"));
  std::string said = SendAsThailand(testing::PushPage(forged, th_->id));
  EXPECT_THAT(said, HasSubstr("no certificate of KH-POIPET with key"));
  ExpectNothingChangedAndEveryLinkStillWorks();
}

// The same forgery offering TH-MSDHS's certificate as KH-POIPET's: the
// certificate names its real node.
TEST_F(HttpsAttackTest, AWriteForgedWithACertificatePassedOffAsTheBorderOfficesIsRefused) {
  auto forged = testing::SealedAs({Withdrawn("KH-POIPET", {{"KH-POIPET", 2}})}, Key("TH-MSDHS"), 0,
                                  "KH-POIPET");
  std::string said = SendAsThailand(testing::PushPage(forged, th_->id));
  EXPECT_THAT(said, HasSubstr("a certificate of TH-MSDHS cannot sign for KH-POIPET"));
  ExpectNothingChangedAndEveryLinkStillWorks();
}

// Poi Pet's own sealed consent ("given"), relayed at counter 1000, where
// it would dominate every later edit of Poi Pet's. Old behaviour: a relayed
// state was taken as it came. Renumbered alone, nothing proves it; with a
// seal renumbered to match and the proof made whole, Poi Pet's signature
// over that unit does not match.
TEST_F(HttpsAttackTest, ARenumberedWriteIsRefusedNamingTheUnitsSignature) {
  for (bool reseal : {false, true}) {
    wire::SignedChanges page = RelayedCase();
    testing::Renumber(&page, testing::FindState(page, kCase, "consent"), 1000, reseal);
    std::string said = SendAsThailand(testing::PushPage(page, th_->id));
    if (reseal) {
      EXPECT_EQ(said,
                "refused: the signature of KH-POIPET over unit KH-POIPET:1000#0 does not match: a "
                "state was altered, invented or renumbered\n");
    } else {
      EXPECT_THAT(said, HasSubstr("refused: no proof that KH-POIPET wrote it"));
    }
  }
  ExpectNothingChangedAndEveryLinkStillWorks();
}

// ---- Shadowing: a write of TH-MSDHS's own, validly signed, whose vector
// claims it saw write 1,000,000 of Poi Pet's. Old behaviour: it dominated
// (silently replaced) every edit Poi Pet made after it. Here no seal proves
// Poi Pet ever made write 1,000,000 — nor even write 2, not made yet.
TEST_F(HttpsAttackTest, AWriteClaimingToHaveSeenTheBorderOfficesFutureWritesIsRefused) {
  for (uint64_t future : {uint64_t{1000000}, uint64_t{2}}) {
    // Unit 1000 of TH-MSDHS's real write 1: signed by its own key, and no
    // seal of the real write is replaced.
    auto shadow = testing::SealedAs(
        {Withdrawn("TH-MSDHS", {{"KH-POIPET", future}, {"TH-MSDHS", 1}})}, Key("TH-MSDHS"), 1000);
    std::string said = SendAsThailand(testing::PushPage(shadow, th_->id));
    EXPECT_THAT(said, HasSubstr("claims TH-MSDHS saw write " + std::to_string(future) +
                                " of KH-POIPET, which no seal here proves (highest: 1)"));
  }
  ExpectNothingChangedAndEveryLinkStillWorks();
}

// ---- Claims without proof.

// Old behaviour: the capital's knowledge of Poi Pet became 2^63-1, so every
// office skipped Poi Pet's later writes for it, and its syncs with others
// failed. A node now believes a peer's knowledge of that peer's own writes
// only.
TEST_F(HttpsAttackTest, KnowledgeOfAnotherOfficeAtTheLargestCounterIsNotBelieved) {
  std::string said =
      SendAsThailand(VouchingPage(RelayedCase(), {{"KH-POIPET", kMax63}, {"TH-MSDHS", 1}}));
  EXPECT_EQ(said, "");
  EXPECT_TRUE(
      ServiceLogged("TH-MSDHS vouched for write 9223372036854775807 of KH-POIPET but "
                    "proved only 1"));
  ExpectNothingChangedAndEveryLinkStillWorks();
}

// TH-MSDHS says it made 1,000 writes (it made 1), and that the capital made
// 50 (it made 1). Old behaviour: both believed; the capital's own next 49
// writes would have been skipped by every office as already held.
TEST_F(HttpsAttackTest, AnOfficeClaimingMoreWritesThanWereMadeIsNotBelieved) {
  std::string said =
      SendAsThailand(VouchingPage(RelayedCase(), {{"KH-NCCT", 50}, {"TH-MSDHS", 1000}}));
  EXPECT_EQ(said, "");
  EXPECT_TRUE(ServiceLogged("TH-MSDHS vouched for write 1000 of TH-MSDHS but proved only 1"));
  EXPECT_TRUE(ServiceLogged("TH-MSDHS vouched for write 50 by this node, which has made only 1"));
  ExpectNothingChangedAndEveryLinkStillWorks();
}

// Old behaviour: a million made-up node ids were merged into the capital's
// knowledge, every later frame it sent carried them, and its peers refused
// those frames: the failure spread. Now 1,024 (what a frame may hold) are
// not believed, and more are refused before the frame is parsed.
TEST_F(HttpsAttackTest, ThousandsOfMadeUpOfficesAreNotBelievedAndMillionsNotParsed) {
  std::map<std::string, uint64_t> made_up;
  for (int i = 0; i < 1023; ++i) made_up["XX-" + std::to_string(100000 + i)] = 7;
  made_up["TH-MSDHS"] = 1;
  EXPECT_EQ(SendAsThailand(VouchingPage(RelayedCase(), made_up)), "");
  EXPECT_TRUE(ServiceLogged("vouched for write 7 of XX-100000 but proved only 0"));
  for (int many : {10000, 1000000}) {
    for (int i = 0; i < many; ++i) made_up["XX-" + std::to_string(100000 + i)] = 7;
    std::string said = SendAsThailand(VouchingPage({}, made_up));
    EXPECT_THAT(said, HasSubstr("error: push request: message holds"));
    EXPECT_THAT(said, many == 10000 ? HasSubstr("10001 knowledge entries, over the limit of 1024")
                                    : HasSubstr("over 1048576 protobuf fields"));
  }
  ExpectNothingChangedAndEveryLinkStillWorks();
}

// Old behaviour: 2^64-1 went into SQLite's signed integers as -1 (in
// knowledge and in a vector). Neither a vouched nor a signed counter of
// 2^64-1 goes in now.
TEST_F(HttpsAttackTest, ACounterOf2To64Minus1IsNeitherBelievedNorStored) {
  EXPECT_EQ(SendAsThailand(VouchingPage(RelayedCase(), {{"KH-POIPET", kMax64}, {"TH-MSDHS", 1}})),
            "");
  auto beyond = testing::SealedAs({Withdrawn("TH-MSDHS", {{"KH-POIPET", kMax64}, {"TH-MSDHS", 1}})},
                                  Key("TH-MSDHS"), 1000);
  EXPECT_THAT(SendAsThailand(testing::PushPage(beyond, th_->id)),
              HasSubstr("version entry KH-POIPET:18446744073709551615 is beyond any real counter"));
  ExpectNothingChangedAndEveryLinkStillWorks();
}

// Old behaviour: a write dated in the year 292,278,994 (the largest time in
// ms) won every provisional tie. A write from more than 400 days ahead of
// the receiver's clock is refused; and the winner no longer depends on time
// at all (clock_test.cc).
TEST_F(HttpsAttackTest, AWriteDatedInTheYear292278994IsRefused) {
  auto late = testing::SealedAs({Withdrawn("TH-MSDHS", {{"KH-POIPET", 1}, {"TH-MSDHS", 1}},
                                           std::numeric_limits<int64_t>::max())},
                                Key("TH-MSDHS"), 1000);
  EXPECT_THAT(SendAsThailand(testing::PushPage(late, th_->id)),
              HasSubstr("more than 400 days ahead of this node's clock"));
  ExpectNothingChangedAndEveryLinkStillWorks();
}

// ---- No office wins conflicts by its clock.

// Old behaviour: the later write time won, and an office whose clock ran
// four minutes ahead won 20 conflicts of 20 over HTTPS. Here a Thai border
// office four minutes ahead and the Cambodian capital edit 200 cases' notes
// concurrently and sync over HTTPS: the office ahead wins about half, and
// both show the same winner of each (clock_test.cc runs a year ahead, in
// process and by bundle).
TEST_F(HttpsAttackTest, AnOfficeWhoseClockRunsFourMinutesAheadWinsAboutHalfTheConflicts) {
  auto shared = clock_.now;
  Node& aranya = AddNode("TH-ARANYA", [shared] { return shared->fetch_add(1) + 4 * 60 * 1000; });
  auto exchange = [this](Store& first, Store& second) {
    auto summary = Sync(*ByStore(first), *ByStore(second));
    ASSERT_TRUE(summary.ok()) << summary.status().ToString();
    EXPECT_TRUE(summary->refused_by_peer.empty());
    EXPECT_TRUE(summary->refused_here.empty());
  };
  testing::ConflictShare share =
      testing::EditConcurrently(*kh_->store, *aranya.store, 200, 20261126, exchange);
  std::printf(
      "[ clock    ] HTTPS: the office 4 minutes ahead won %d of %d conflicts, the "
      "capital %d\n",
      share.second_wins, share.conflicts, share.first_wins);
  EXPECT_EQ(share.conflicts, 200);
  EXPECT_EQ(share.first_wins + share.second_wins, 200);
  EXPECT_GE(share.second_wins, 60);
  EXPECT_LE(share.second_wins, 140);
  EXPECT_EQ(DumpOf(*kh_->store), DumpOf(*aranya.store));
}

// ---- A relay that alters a write in transit is caught at the next hop.

// Every refusal is of Poi Pet's case, and the consent's names the signature
// of its unit: one altered member spoils the unit's other members too.
void ExpectCaughtByTheUnitsSignature(const std::vector<RefusedState>& refused) {
  ASSERT_FALSE(refused.empty());
  bool consent = false;
  for (const auto& r : refused) {
    EXPECT_EQ(r.record_id, kCase);
    EXPECT_EQ(r.origin, "KH-POIPET");
    if (r.field != "consent") continue;
    consent = true;
    EXPECT_THAT(r.reason, HasSubstr("the signature of KH-POIPET over unit KH-POIPET:"));
    EXPECT_THAT(r.reason, HasSubstr("does not match: a state was altered, invented or renumbered"));
  }
  EXPECT_TRUE(consent);
}

// TH-MSDHS pulls Poi Pet's case from Poi Pet itself, then syncs with a Thai
// office it has never met, over HTTPS; its transport alters the consent in
// the push (for a second office it also renumbers the state and the seal).
// The office refuses Poi Pet's write naming the unit's signature, takes the
// rest, and later gets the real consent from the capital. Old behaviour:
// relayed states were taken as they came.
TEST_F(HttpsAttackTest, ARelayThatAltersAWriteInTransitIsCaughtAtTheNextHop) {
  SyncOk(*th_, *poipet_);
  for (const char* office : {"TH-ARANYA", "TH-SAKAEO"}) {
    SCOPED_TRACE(office);
    Node& next_hop = AddNode(office);
    bool renumber = std::string(office) == "TH-SAKAEO";
    auto https = TransportTo(*th_, next_hop);
    testing::AlteringTransport relay(*https, [&](std::string_view op, wire::Envelope& request) {
      if (op != sync::kOpPush) return;
      wire::SignedChanges* page = testing::ChangesOf(request);
      int consent = testing::FindState(*page, kCase, "consent");
      if (consent < 0) return;
      if (renumber) testing::Renumber(page, consent, 2, true);
      testing::AlterState(page, consent, [](wire::FieldState& s) { s.set_value("refused"); });
    });
    auto relayed = sync::RunSync(*th_->store, relay, Credentials(th_->id));
    ASSERT_TRUE(relayed.ok()) << relayed.status().ToString();
    ExpectCaughtByTheUnitsSignature(relayed->refused_by_peer);
    EXPECT_EQ(Current(next_hop, kVnCase, "reference"), "VN-2026-007") << "the rest went in";
    EXPECT_EQ(Current(next_hop, kCase, "consent"), std::nullopt);
    EXPECT_EQ(next_hop.store->Knowledge()->Get("KH-POIPET"), 0u);
    SyncOk(next_hop, *kh_);
    EXPECT_EQ(Current(next_hop, kCase, "consent"), "given");
    EXPECT_EQ(DumpOf(*next_hop.store), DumpOf(*kh_->store));
  }
  ExpectNothingChangedAndEveryLinkStillWorks();
}

// The same relay writes TH-ARANYA a bundle, alters the consent in its
// chunk and signs the file with its own valid key: the file verifies as
// TH-MSDHS's, but Poi Pet's signature over the state does not.
TEST_F(HttpsAttackTest, ARelayThatAltersAWriteInItsBundleIsCaughtWhenItIsApplied) {
  Node& aranya = AddNode("TH-ARANYA");
  std::string file = dir_ / "th-to-aranya.bundle";
  sync::BundleCreateOptions options;
  options.receiver = "TH-ARANYA";
  // The two never synced: the receiver's party from its certificate
  // (`bundle create --receiver-cert`).
  ASSERT_TRUE(sync::LearnPeerParty(*th_->store, *Credentials("TH-MSDHS").verifier,
                                   Key("TH-ARANYA").cert_pem(), "TH-ARANYA")
                  .ok());
  options.verifier = Credentials("TH-MSDHS").verifier;
  options.receiver_cert_pem = Key("TH-ARANYA").cert_pem();
  ASSERT_TRUE(sync::CreateBundle(*th_->store, Key("TH-MSDHS"), file, options).ok());
  testing::BundleParts parts = testing::ReadBundleParts(file);
  sync::BundleCipher cipher = testing::OpenChunks(parts, Key("TH-ARANYA"));
  int altered = 0;
  for (auto& chunk : parts.chunks) {
    wire::SignedChanges changes = testing::ChunkChanges(chunk);
    int consent = testing::FindState(changes, kCase, "consent");
    if (consent < 0) continue;
    testing::AlterState(&changes, consent, [](wire::FieldState& s) { s.set_value("refused"); });
    chunk = testing::ChunkOf(changes);
    ++altered;
  }
  ASSERT_EQ(altered, 1);
  testing::SealChunks(parts, cipher);
  testing::WriteSignedBundle(file, parts, Key("TH-MSDHS"));
  auto applied =
      sync::ApplyBundle(*aranya.store, *Credentials("TH-ARANYA").verifier, file, &Key("TH-ARANYA"));
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  ExpectCaughtByTheUnitsSignature(applied->applied.refused);
  EXPECT_EQ(Current(aranya, kCase, "consent"), std::nullopt);
  EXPECT_EQ(Current(aranya, kVnCase, "reference"), "VN-2026-007") << "the rest went in";
  EXPECT_EQ(aranya.store->Knowledge()->Get("KH-POIPET"), 0u);
  SyncOk(aranya, *kh_);
  EXPECT_EQ(Current(aranya, kCase, "consent"), "given");
  EXPECT_EQ(DumpOf(*aranya.store), DumpOf(*kh_->store));
}

// ---- A server that answers in another office's name.

// Old behaviour: Poi Pet, meeting a server for the first time by its URL (no
// peer id bound yet), took the node id in the hello reply for the peer's.
// TH-MSDHS's server, answering as KH-NCCT, was pushed Poi Pet's
// Cambodian-only case as if it were the capital, and Poi Pet filed its
// knowledge and cursor under the capital's name. Here: the reply must name
// the node the server's certificate names.
TEST_F(HttpsAttackTest, AServerAnsweringInTheCapitalsNameIsRefusedAtHello) {
  constexpr char kKhOnly[] = "case-KH-2026-031";  // no direction, no consent: Cambodia only
  Put(*poipet_, {"case",
                 std::string(kKhOnly),
                 {{"reference", "KH-2026-031"}, {"notes", "កំពុងស្វែងរកគ្រួសារនៅខេត្តព្រៃវែង"}}});
  const std::string poipet_before = DumpOf(*poipet_->store);
  const std::string poipet_knowledge = poipet_->store->Knowledge()->ToText();
  const std::string th_before = DumpOf(*th_->store);

  server::StorePool pool(dir_ / "TH-MSDHS.db");
  auto as_the_capital = [this, &pool](std::string_view op, std::string_view body,
                                      const std::string& peer) {
    auto lease = pool.Acquire();
    if (!lease.ok()) return sync::ServiceReply{Code::kUnavailable, ""};
    sync::SyncService service(**lease, Credentials("TH-MSDHS"));
    sync::ServiceReply reply = service.Handle(op, body, peer);
    auto envelope = sync::DecodeFrame(reply.body);
    if (!envelope.ok()) return reply;
    // Certificates are public: it shows the capital's.
    if (envelope->has_hello_reply()) {
      envelope->mutable_hello_reply()->set_certificate(Key("KH-NCCT").cert_pem());
    }
    reply.body = testing::Encoded(*envelope, "KH-NCCT");
    return reply;
  };
  server::ServerOptions options;
  options.ca_path = ca_pem();
  options.cert_path = cert("TH-MSDHS");
  options.key_path = key("TH-MSDHS");
  options.threads = 2;
  std::unique_ptr<server::HttpsServer> impostor;
  for (int attempt = 0; attempt < 5 && !impostor; ++attempt) {
    auto port = server::PickFreeLoopbackPort();
    ASSERT_TRUE(port.ok());
    options.port = *port;
    auto started = server::HttpsServer::Start(options, as_the_capital, nullptr);
    if (started.ok()) impostor = std::move(started).value();
  }
  ASSERT_TRUE(impostor);

  // As `accord sync https://...` does on a first meeting: nobody expected.
  client::HttpsTransportOptions o;
  o.base_url = "https://127.0.0.1:" + std::to_string(options.port);
  o.ca_path = ca_pem();
  o.cert_path = cert("KH-POIPET");
  o.key_path = key("KH-POIPET");
  auto transport = client::HttpsTransport::Create(o);
  ASSERT_TRUE(transport.ok()) << transport.status().ToString();
  auto synced = sync::RunSync(*poipet_->store, **transport, Credentials("KH-POIPET"));
  ASSERT_FALSE(synced.ok());
  EXPECT_EQ(synced.status().code(), Code::kPermissionDenied);
  EXPECT_THAT(synced.status().message(),
              HasSubstr("names node KH-NCCT but the server's certificate names TH-MSDHS"));
  impostor.reset();

  EXPECT_EQ(DumpOf(*poipet_->store), poipet_before);
  EXPECT_EQ(poipet_->store->Knowledge()->ToText(), poipet_knowledge);
  EXPECT_EQ(DumpOf(*th_->store), th_before) << "nothing was pushed to the impostor";
  EXPECT_FALSE(th_->store->Get(kKhOnly).ok());
  // Poi Pet's link with the real capital is intact, and the case goes there.
  SyncOk(*poipet_, *kh_);
  EXPECT_EQ(Current(*kh_, kKhOnly, "reference"), "KH-2026-031");
  SyncOk(*th_, *kh_);
  EXPECT_FALSE(th_->store->Get(kKhOnly).ok()) << "Thailand may not hold it";
}

}  // namespace
}  // namespace accord
