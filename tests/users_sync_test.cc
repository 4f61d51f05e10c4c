// The author of a write travels with it, signed by its origin (docs/users.md):
// a receiver keeps it exactly as signed, without knowing the user, and a relay
// that changes it is caught at the next hop.
#include <gtest/gtest.h>

#include "core/conflicts.h"
#include "sync/signed_changes.h"
#include "tests/tamper.h"
#include "tests/test_support.h"

namespace accord {
namespace {

using testing::DumpOf;
using testing::SyncOk;

constexpr const char* kRecord = "mtg-2025-poipet";

// KH-NCCT has a user, Sokha, who writes the Poi Pet meeting; TH-MSDHS and
// KH-POIPET have no users.
struct OfficesWithAUser : testing::ThreeOffices {
  OfficesWithAUser() {
    EXPECT_TRUE(
        kh->AddUser({"sokha.kh", "ស៊ុន សុខា", {"admin", "resolve", "write"}, "ពាក្យសម្ងាត់"}).ok());
    kh->ActAs("sokha.kh");
    testing::PutOk(*kh, {"meeting",
                         std::string(kRecord),
                         {{"title", "កិច្ចប្រជុំក្រុមការងារ ប៉ោយប៉ែត"},
                          {"start_date", "2025-03-12"},
                          {"city", "ប៉ោយប៉ែត"},
                          {"venue", "ศาลากลางจังหวัดสระแก้ว"}}});
  }
};

TEST(UsersSyncTest, TheAuthorArrivesAtAnotherOfficeSignedAndVerifies) {
  OfficesWithAUser offices;
  SyncOk(*offices.th, *offices.kh);
  SyncOk(*offices.border, *offices.th);  // relayed by TH, which has no users
  auto verifier = sync::PeerVerifier::Load(testing::TestDeployment::Get().ca_pem(), "");
  ASSERT_TRUE(verifier.ok());
  for (Store* s : {offices.th.get(), offices.border.get()}) {
    auto history = s->History(kRecord, std::nullopt);
    ASSERT_TRUE(history.ok());
    ASSERT_EQ(history->size(), 4u) << s->node_id();
    for (const auto& v : *history) {
      EXPECT_EQ(v.version.author, "sokha.kh") << s->node_id() << " " << v.version.field;
      Status proof = sync::VerifyStoredProof(*s, *verifier, v.version);
      EXPECT_TRUE(proof.ok()) << s->node_id() << ": " << proof.ToString();
    }
    EXPECT_FALSE(*s->HasUsers()) << "a receiver need not know the user";
  }
  EXPECT_EQ(DumpOf(*offices.kh), DumpOf(*offices.border));
  EXPECT_NE(DumpOf(*offices.border).find("\"author\":\"sokha.kh\""), std::string::npos);
}

TEST(UsersSyncTest, AResolutionCarriesTheResolverToEveryOffice) {
  OfficesWithAUser offices;
  SyncOk(*offices.th, *offices.kh);
  testing::PutOk(*offices.th, {"meeting", std::string(kRecord), {{"venue", "สระแก้ว"}}});
  testing::PutOk(*offices.kh, {"meeting", std::string(kRecord), {{"venue", "សាលាខេត្ត"}}});
  SyncOk(*offices.th, *offices.kh);
  auto conflicts = ListConflicts(*offices.kh);
  ASSERT_EQ(conflicts->size(), 1u);
  auto written = ResolveConflict(*offices.kh, conflicts->front().id,
                                 {std::string("TH-MSDHS"), std::nullopt, false, ""});
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  SyncOk(*offices.th, *offices.kh);
  auto history = offices.th->History(kRecord, std::string("venue"));
  EXPECT_EQ(history->back().version.author, "sokha.kh");
  EXPECT_EQ(history->back().version.origin, "KH-NCCT");
  EXPECT_TRUE(ListConflicts(*offices.th)->empty());
}

// TH-MSDHS relays Sokha's write to KH-POIPET and rewrites its author on the
// way (to pin it on someone else, or to erase it). The unit's signature no
// longer matches: Poi Pet refuses it, and later gets it intact from KH.
TEST(UsersSyncTest, ARelayThatChangesTheAuthorIsCaughtAtTheNextHop) {
  for (const char* forged : {"mali.th", ""}) {
    SCOPED_TRACE(std::string("author rewritten to '") + forged + "'");
    OfficesWithAUser offices;
    SyncOk(*offices.th, *offices.kh);
    testing::InProcessTransport to_border(*offices.border, offices.th->node_id());
    int altered = 0;
    testing::AlteringTransport relay(to_border, [&](std::string_view op, wire::Envelope& request) {
      if (op != sync::kOpPush) return;
      wire::SignedChanges* page = testing::ChangesOf(request);
      int venue = testing::FindState(*page, kRecord, "venue");
      if (venue < 0) return;
      testing::AlterState(page, venue, [&](wire::FieldState& s) { s.set_author(forged); });
      ++altered;
    });
    auto relayed = testing::SyncWith(*offices.th, relay);
    ASSERT_TRUE(relayed.ok()) << relayed.status().ToString();
    EXPECT_EQ(altered, 1);
    ASSERT_FALSE(relayed->refused_by_peer.empty());
    bool venue_refused = false;
    for (const auto& r : relayed->refused_by_peer) {
      EXPECT_EQ(r.record_id, kRecord);
      if (r.field != "venue") continue;
      venue_refused = true;
      EXPECT_NE(r.reason.find("the signature of KH-NCCT over unit KH-NCCT:"), std::string::npos)
          << r.reason;
    }
    EXPECT_TRUE(venue_refused);
    auto held = offices.border->History(kRecord, std::string("venue"));
    EXPECT_FALSE(held.ok() && !held->empty()) << "nothing of the altered unit went in";
    SyncOk(*offices.border, *offices.kh);
    auto venue = offices.border->History(kRecord, std::string("venue"));
    ASSERT_TRUE(venue.ok());
    ASSERT_EQ(venue->size(), 1u);
    EXPECT_EQ(venue->back().version.author, "sokha.kh");
    EXPECT_EQ(DumpOf(*offices.border), DumpOf(*offices.kh));
  }
}

}  // namespace
}  // namespace accord
