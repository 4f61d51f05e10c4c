// Sync between nodes, in process: offices editing offline, then exchanging.
#include <gtest/gtest.h>

#include <filesystem>

#include <atomic>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "net/http_status.h"
#include "sync/page_check.h"
#include "sync/signed_changes.h"
#include "sync/sync_session.h"
#include "sync/unit_seal.h"
#include "sync/wire_codec.h"
#include "tests/bad_frames.h"
#include "tests/convergence.h"
#include "tests/tamper.h"
#include "tests/test_support.h"

namespace accord {
namespace {

using testing::GoodState;
using testing::PushOf;

using testing::DumpOf;
using testing::FakeClock;
using testing::InProcessTransport;
using testing::NewStore;
using testing::PeekDb;
using testing::TempDir;

Result<sync::SyncSummary> Sync(Store& client, Store& server,
                               std::function<InProcessTransport::Fault()> fault = nullptr,
                               uint32_t page_size = 1000) {
  InProcessTransport transport(server, client.node_id());
  transport.fault = std::move(fault);
  sync::SyncOptions options;
  options.page_size = page_size;
  return testing::SyncWith(client, transport, options);
}

void SyncOkSmallPages(Store& client, Store& server) {
  auto summary = Sync(client, server);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
}

std::string Put(Store& store, RecordWrite write) {
  auto id = store.Put(write);
  EXPECT_TRUE(id.ok()) << id.status().ToString();
  return id.ok() ? *id : "";
}

using Offices = testing::ThreeOffices;

TEST(SyncTest, CapitalsExchangeTheirEditsAndConverge) {
  Offices o;
  std::string plan = Put(*o.kh, {"plan", std::string("plan-1"), {{"title", "Plan of Action"}}});
  Put(*o.th,
      {"meeting", std::string("mtg-1"), {{"title", "Bilateral"}, {"start_date", "2023-01-18"}}});
  auto summary = Sync(*o.th, *o.kh);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->peer_id, "KH-NCCT");
  EXPECT_EQ(summary->states_received, 1u);
  EXPECT_EQ(summary->states_sent, 2u);
  EXPECT_EQ(DumpOf(*o.kh), DumpOf(*o.th));
  EXPECT_EQ(*o.th->Get(plan)->fields.at("title").value, "Plan of Action");
  // Both now know both offices' writes.
  EXPECT_EQ(o.kh->Knowledge()->ToText(), "KH-NCCT:1,TH-MSDHS:1");
  EXPECT_EQ(o.th->Knowledge()->ToText(), "KH-NCCT:1,TH-MSDHS:1");
}

TEST(SyncTest, ASecondSyncSendsNothingBack) {
  Offices o;
  for (int i = 0; i < 20; ++i)
    Put(*o.kh, {"party", "p" + std::to_string(i), {{"code", "KH"}, {"name", "n"}}});
  SyncOkSmallPages(*o.th, *o.kh);
  auto again = Sync(*o.th, *o.kh);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->states_received, 0u);
  EXPECT_EQ(again->states_sent, 0u);
  // And what TH received from KH is not pushed back to KH.
  Put(*o.th, {"party", std::string("p0"), {{"name", "renamed"}}});
  auto third = Sync(*o.th, *o.kh);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->states_sent, 1u);
}

TEST(SyncTest, AStretchOfLogThePeerHoldsCostsNoRoundTripPerPage) {
  Offices o;
  std::vector<RecordWrite> writes;
  for (int i = 0; i < 1000; ++i) {
    writes.push_back({"party", "p" + std::to_string(i), {{"code", "KH"}, {"name", "n"}}});
  }
  ASSERT_TRUE(o.kh->PutMany(writes).ok());
  // 2,000 states in pages of 10: the border office's log is then 200 pages
  // of states KH-NCCT wrote, and TH-MSDHS's log the same.
  for (Store* office : {o.border.get(), o.th.get()}) {
    InProcessTransport transport(*o.kh, office->node_id());
    sync::SyncOptions options;
    options.page_size = 10;
    ASSERT_TRUE(testing::SyncWith(*office, transport, options).ok());
  }
  // KH-NCCT pushing to the border office skips all of its log the office holds;
  // the border office pulling from TH-MSDHS is served past TH's copy of it.
  for (auto [client, server] :
       {std::pair{o.kh.get(), o.border.get()}, std::pair{o.border.get(), o.th.get()}}) {
    InProcessTransport transport(*server, client->node_id());
    sync::SyncOptions options;
    options.page_size = 10;
    auto summary = testing::SyncWith(*client, transport, options);
    ASSERT_TRUE(summary.ok()) << summary.status().ToString();
    EXPECT_EQ(summary->states_sent + summary->states_received, 0u);
    EXPECT_LE(transport.calls, 6) << client->node_id() << " -> " << server->node_id();
  }
}

TEST(SyncTest, ConcurrentEditsOfOneFieldBecomeAConflictWithTheSameWinnerEverywhere) {
  Offices o;
  ASSERT_TRUE(o.kh->PutMany({{"plan", std::string("plan-1"), {{"title", "P"}}},
                             {"objective",
                              std::string("obj-1"),
                              {{"plan", "plan-1"}, {"number", "1"}, {"text", "t"}}},
                             {"activity",
                              std::string("act-1.3"),
                              {{"objective", "obj-1"},
                               {"number", "1.3"},
                               {"description", "d"},
                               {"timeframe", "2024"}}}})
                  .ok());
  SyncOkSmallPages(*o.th, *o.kh);
  Put(*o.kh, {"activity", std::string("act-1.3"), {{"timeframe", "2024-Q2"}}});
  Put(*o.th, {"activity", std::string("act-1.3"), {{"timeframe", "2024-Q3"}}});
  auto summary = Sync(*o.th, *o.kh);
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->new_conflicts, 1u);
  EXPECT_EQ(summary->peer_new_conflicts, 1u);
  for (Store* s : {o.kh.get(), o.th.get()}) {
    auto record = s->Get("act-1.3");
    ASSERT_EQ(record->conflicts.count("timeframe"), 1u) << s->node_id();
    EXPECT_EQ(record->conflicts.at("timeframe").size(), 2u);
    EXPECT_EQ(s->GetStatus()->open_conflicts, 1);
  }
  EXPECT_EQ(*o.kh->Get("act-1.3")->fields.at("timeframe").value,
            *o.th->Get("act-1.3")->fields.at("timeframe").value);
  EXPECT_EQ(DumpOf(*o.kh), DumpOf(*o.th));

  // A reviewer's write dominates both values and closes the conflict everywhere.
  ASSERT_TRUE(
      o.th->WriteResolution("act-1.3", "timeframe", std::string("2024-Q3"), "kept TH-MSDHS").ok());
  SyncOkSmallPages(*o.th, *o.kh);
  EXPECT_EQ(o.kh->GetStatus()->open_conflicts, 0);
  EXPECT_EQ(*o.kh->Get("act-1.3")->fields.at("timeframe").value, "2024-Q3");
  EXPECT_EQ(DumpOf(*o.kh), DumpOf(*o.th));
}

TEST(SyncTest, ConcurrentWritesOfTheSameValueAreNotAConflict) {
  Offices o;
  Put(*o.kh, {"plan", std::string("plan-1"), {{"title", "P"}}});
  SyncOkSmallPages(*o.th, *o.kh);
  Put(*o.kh, {"plan", std::string("plan-1"), {{"status", "signed"}}});
  Put(*o.th, {"plan", std::string("plan-1"), {{"status", "signed"}}});
  SyncOkSmallPages(*o.th, *o.kh);
  EXPECT_EQ(o.kh->GetStatus()->open_conflicts, 0);
  EXPECT_EQ(DumpOf(*o.kh), DumpOf(*o.th));
}

TEST(SyncTest, BorderOfficeEditsReachTheOtherCapitalThroughItsOwnCapital) {
  Offices o;
  Put(*o.border, {"case", std::string("case-KH-2023-014"),
                  testing::SharedCase("TH-KH", {{"reference", "KH-2023-014"},
                                                {"step", "returned"},
                                                {"return_checkpoint", "Poi Pet"}})});
  SyncOkSmallPages(*o.border, *o.kh);
  SyncOkSmallPages(*o.kh, *o.th);
  auto at_th = o.th->Get("case-KH-2023-014");
  ASSERT_TRUE(at_th.ok());
  EXPECT_EQ(at_th->fields.at("step").origin, "KH-POIPET");
  Put(*o.th, {"case", std::string("case-KH-2023-014"), {{"step", "transit_centre"}}});
  SyncOkSmallPages(*o.kh, *o.th);
  SyncOkSmallPages(*o.border, *o.kh);
  EXPECT_EQ(*o.border->Get("case-KH-2023-014")->fields.at("step").value, "transit_centre");
  EXPECT_EQ(DumpOf(*o.border), DumpOf(*o.th));
  EXPECT_EQ(DumpOf(*o.kh), DumpOf(*o.th));
}

TEST(SyncTest, DeleteAgainstAConcurrentEditIsAConflictAndKeepsTheRecordVisible) {
  Offices o;
  Put(*o.kh, {"plan", std::string("plan-1"), {{"title", "P"}}});
  SyncOkSmallPages(*o.th, *o.kh);
  ASSERT_TRUE(o.kh->Delete("plan-1").ok());
  Put(*o.th, {"plan", std::string("plan-1"), {{"status", "finalized"}}});
  auto summary = Sync(*o.th, *o.kh);
  ASSERT_TRUE(summary.ok());
  EXPECT_GE(summary->new_conflicts + summary->peer_new_conflicts, 2u);
  for (Store* s : {o.kh.get(), o.th.get()}) {
    auto record = s->Get("plan-1");
    EXPECT_FALSE(record->deleted) << s->node_id();
    EXPECT_TRUE(record->delete_conflict) << s->node_id();
    EXPECT_EQ(s->GetStatus()->open_conflicts, 1);
  }
  EXPECT_EQ(DumpOf(*o.kh), DumpOf(*o.th));
  // Confirming the delete dominates the edit: deleted everywhere.
  ASSERT_TRUE(
      o.kh->WriteResolution("plan-1", kDeletedField, std::string("1"), "delete confirmed").ok());
  SyncOkSmallPages(*o.th, *o.kh);
  EXPECT_TRUE(o.th->Get("plan-1")->deleted);
  EXPECT_EQ(o.th->GetStatus()->open_conflicts, 0);
  EXPECT_EQ(DumpOf(*o.kh), DumpOf(*o.th));
}

TEST(SyncTest, ADeleteThatSawTheEditWins) {
  Offices o;
  Put(*o.kh, {"plan", std::string("plan-1"), {{"title", "P"}}});
  SyncOkSmallPages(*o.th, *o.kh);
  Put(*o.th, {"plan", std::string("plan-1"), {{"status", "finalized"}}});
  SyncOkSmallPages(*o.th, *o.kh);
  ASSERT_TRUE(o.kh->Delete("plan-1").ok());
  SyncOkSmallPages(*o.th, *o.kh);
  EXPECT_TRUE(o.th->Get("plan-1")->deleted);
  EXPECT_EQ(o.th->GetStatus()->open_conflicts, 0);
}

TEST(SyncTest, ApplyingTheSamePageTwiceChangesNothing) {
  Offices o;
  for (int i = 0; i < 10; ++i)
    Put(*o.kh, {"party", "p" + std::to_string(i), {{"code", "KH"}, {"name", "n"}}});
  ASSERT_TRUE(sync::SealPendingWrites(*o.kh, *testing::CredentialsFor(*o.kh).signer).ok());
  auto page = o.kh->ReadChanges(0, 100, VersionVector());
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  auto first = o.th->ApplyRemote(page->states, "KH-NCCT", page->next_cursor, nullptr);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->applied, 20u);
  std::string after_first = DumpOf(*o.th);
  auto second = o.th->ApplyRemote(page->states, "KH-NCCT", page->next_cursor, nullptr);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->applied, 0u);
  EXPECT_EQ(second->unchanged, 20u);
  EXPECT_EQ(DumpOf(*o.th), after_first);
}

// A scan reads each record's type once per run of its rows, not by a join
// on every row: a row whose record is gone from `records` is passed over, as
// the join did, and the records around it still go, each with its type.
TEST(SyncTest, ALogRowWhoseRecordIsGoneIsPassedOverAndTheOthersGoWithTheirTypes) {
  Offices o;
  Put(*o.kh, {"party", "kh", {{"code", "KH"}, {"name", "ព្រះរាជាណាចក្រកម្ពុជា"}}});
  Put(*o.kh, {"party", "vn", {{"code", "VN"}, {"name", "Cộng hòa Xã hội chủ nghĩa Việt Nam"}}});
  Put(*o.kh, {"party", "th", {{"code", "TH"}, {"name", "ราชอาณาจักรไทย"}}});
  ASSERT_TRUE(sync::SealPendingWrites(*o.kh, *testing::CredentialsFor(*o.kh).signer).ok());
  ASSERT_TRUE(PeekDb(*o.kh).Exec("DELETE FROM records WHERE id = 'vn'").ok());
  for (size_t page_size : {100, 1}) {
    std::vector<std::pair<std::string, std::string>> sent;  // (record, type)
    uint64_t cursor = 0;
    for (int pages = 0; pages < 10; ++pages) {
      auto page = o.kh->ReadChanges(cursor, page_size, VersionVector());
      ASSERT_TRUE(page.ok()) << page.status().ToString();
      for (const auto& s : page->states) sent.emplace_back(s.record_id, s.record_type);
      cursor = page->next_cursor;
      if (page->done) break;
    }
    std::vector<std::pair<std::string, std::string>> expected{
        {"kh", "party"}, {"kh", "party"}, {"th", "party"}, {"th", "party"}};
    EXPECT_EQ(sent, expected) << "page size " << page_size;
  }
}

// The capital keeps working while a peer pulls from it: an officer's write
// can land between the seal before a page and the page's read. The page
// still goes, that write sealed with it, and the peer takes all of it.
TEST(SyncTest, AWriteMadeBetweenTheSealAndThePageReadIsSealedAndSent) {
  Offices o;
  const auto& signer = *testing::CredentialsFor(*o.kh).signer;
  Put(*o.kh, {"party", "kh", {{"code", "KH"}, {"name", "ព្រះរាជាណាចក្រកម្ពុជា"}}});
  ASSERT_TRUE(sync::SealPendingWrites(*o.kh, signer).ok());
  Put(*o.kh, {"party", "th", {{"code", "TH"}, {"name", "ราชอาณาจักรไทย"}}});

  // What a read alone makes of it: a page that ends before the write that
  // cannot be proved yet, and no page at all from there.
  auto sealed_part = o.kh->ReadChanges(0, 100, VersionVector());
  ASSERT_TRUE(sealed_part.ok()) << sealed_part.status().ToString();
  EXPECT_EQ(sealed_part->states.size(), 2u);
  for (const FieldVersion& v : sealed_part->states) EXPECT_EQ(v.record_id, "kh");
  EXPECT_TRUE(sealed_part->ends_before_unsealed);
  EXPECT_FALSE(sealed_part->done);
  auto unsealed = o.kh->ReadChanges(sealed_part->next_cursor, 100, VersionVector());
  ASSERT_FALSE(unsealed.ok());
  EXPECT_NE(unsealed.status().message().find("not sealed yet"), std::string::npos);

  auto page = sync::ReadSealedChanges(*o.kh, signer, 0, 100, VersionVector(), PageReader{});
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ(page->states.size(), 4u);
  EXPECT_TRUE(page->done);
  auto left = o.kh->UnsealedWrites(10);
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE(left->writes.empty());

  SyncOkSmallPages(*o.th, *o.kh);
  EXPECT_EQ(DumpOf(*o.th), DumpOf(*o.kh));
}

// An officer who saves the same field again and again (a note kept up to
// date) while a peer's pull is at the head of the log: each save after a
// seal supersedes the one the seal took, so the only live row past the
// cursor is always the newest, unsealed save. The page passes the
// superseded rows and ends before it, instead of failing after every seal.
TEST(SyncTest, AFieldSavedAgainAfterTheSealEndsThePageBeforeTheNewSave) {
  Offices o;
  const auto& signer = *testing::CredentialsFor(*o.kh).signer;
  Put(*o.kh, {"party", "kh", {{"code", "KH"}, {"name", "ក្រសួងសង្គមកិច្ច"}}});
  ASSERT_TRUE(sync::SealPendingWrites(*o.kh, signer).ok());
  auto head = o.kh->ReadChanges(0, 100, VersionVector());
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  ASSERT_TRUE(head->done);

  Put(*o.kh, {"party", "kh", {{"name", "Bộ Lao động – Thương binh và Xã hội"}}});
  ASSERT_TRUE(sync::SealPendingWrites(*o.kh, signer).ok());
  Put(*o.kh, {"party", "kh", {{"name", "กระทรวงการพัฒนาสังคมฯ"}}});

  auto short_page = o.kh->ReadChanges(head->next_cursor, 100, VersionVector());
  ASSERT_TRUE(short_page.ok()) << short_page.status().ToString();
  EXPECT_TRUE(short_page->states.empty());
  EXPECT_TRUE(short_page->ends_before_unsealed);
  EXPECT_FALSE(short_page->done);
  EXPECT_GT(short_page->next_cursor, head->next_cursor);

  auto page =
      sync::ReadSealedChanges(*o.kh, signer, head->next_cursor, 100, VersionVector(), PageReader{});
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->states.size(), 1u);
  EXPECT_EQ(page->states[0].value, "กระทรวงการพัฒนาสังคมฯ");
  EXPECT_TRUE(page->done);
}

// An officer at the capital who keeps saving one record through the
// pulls of a peer: every page may meet a save made after its seal, and at
// the head of the log that save is the only live row left (each save
// supersedes the one before). Pulls used to fail there ("not sealed yet")
// whenever three seals in a row met a new save. Now every pull succeeds,
// and nothing is lost: the last save arrives.
TEST(SyncTest, AnOfficerSavingThroughoutThePullsNeverFailsThemAndNothingIsLost) {
  Offices o;
  for (int i = 0; i < 200; ++i) {
    Put(*o.kh, {"party",
                "p" + std::to_string(i),
                {{"code", "P" + std::to_string(i)}, {"name", "ក្រសួងសង្គមកិច្ច " + std::to_string(i)}}});
  }
  // The officer's own connection to the capital's database, as `accord put`
  // in another process has, on the offices' clock.
  auto officer = Store::Open(o.dir.File("KH-NCCT.db"), StoreOptions{o.clock.Fn()});
  ASSERT_TRUE(officer.ok()) << officer.status().ToString();
  constexpr int kSaves = 1500;
  auto saved = [](int i) { return "ห้องประชุม ฉบับที่ " + std::to_string(i); };
  std::atomic<bool> saving_done{false};
  std::thread saving([&] {
    for (int i = 0; i < kSaves; ++i) {
      auto put = (*officer)->Put({"party", "p0", {{"name", saved(i)}}});
      if (!put.ok()) ADD_FAILURE() << put.status().ToString();
    }
    saving_done = true;
  });
  int rounds = 0;
  do {
    auto pulled = Sync(*o.th, *o.kh, nullptr, /*page_size=*/8);
    ++rounds;
    EXPECT_TRUE(pulled.ok()) << "round " << rounds << ": " << pulled.status().ToString();
  } while (!saving_done);
  saving.join();
  SyncOkSmallPages(*o.th, *o.kh);
  EXPECT_EQ(DumpOf(*o.th), DumpOf(*o.kh)) << rounds << " syncs while the officer saved";
  auto p0 = o.th->Get("p0");
  ASSERT_TRUE(p0.ok()) << p0.status().ToString();
  EXPECT_EQ(p0->fields.at("name").value, saved(kSaves - 1));
}

// Two offices pulling from a capital at once: each request, on its own
// connection, seals the capital's new writes. The second to commit finds
// them sealed and drops its seals whole; it writes nothing.
TEST(SyncTest, ASealThatLostTheRaceToAnotherConnectionWritesNothing) {
  Offices o;
  const auto& signer = *testing::CredentialsFor(*o.kh).signer;
  Put(*o.kh, {"party", "kh", {{"code", "KH"}, {"name", "ក្រសួងសង្គមកិច្ច"}}});
  auto second = Store::Open(o.dir.File("KH-NCCT.db"), StoreOptions{o.clock.Fn()});
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  auto read_first = (*second)->UnsealedWrites(100);
  ASSERT_TRUE(read_first.ok());
  ASSERT_EQ(read_first->writes.size(), 2u);

  ASSERT_TRUE(sync::SealPendingWrites(*o.kh, signer).ok());
  std::string sealed = DumpOf(*o.kh);
  UnsealedBatch late = std::move(read_first).value();
  for (FieldVersion& v : late.writes) v.salt = std::string(16, 'x');
  OriginCertificate own{signer.node_id(), signer.key_id(), signer.cert_pem(), signer.party()};
  auto kept = (*second)->SealWrites(late, {}, own);
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  EXPECT_FALSE(*kept);
  EXPECT_EQ(DumpOf(*o.kh), sealed);
  // And sealing again on the second connection finds nothing left to do.
  ASSERT_TRUE(sync::SealPendingWrites(**second, signer).ok());
  EXPECT_EQ(DumpOf(*o.kh), sealed);
}

// The same race run for real: sealers on four connections while an officer
// keeps writing. None fails, every write is sealed once, and a peer takes
// and verifies all of them.
TEST(SyncTest, SealersOnManyConnectionsAtOnceAllSucceedAndSealEveryWriteOnce) {
  Offices o;
  const auto& signer = *testing::CredentialsFor(*o.kh).signer;
  std::vector<std::unique_ptr<Store>> connections;
  for (int i = 0; i < 4; ++i) {
    auto c = Store::Open(o.dir.File("KH-NCCT.db"), StoreOptions{o.clock.Fn()});
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    connections.push_back(std::move(c).value());
  }
  std::atomic<bool> writing{true};
  std::vector<Status> results(connections.size());
  std::vector<std::thread> sealers;
  for (size_t i = 0; i < connections.size(); ++i) {
    sealers.emplace_back([&, i] {
      while (writing && results[i].ok()) {
        results[i] = sync::SealPendingWrites(*connections[i], signer);
      }
    });
  }
  for (int i = 0; i < 300; ++i) {
    Put(*o.kh, {"party",
                "p" + std::to_string(i),
                {{"code", "KH"}, {"name", "ការិយាល័យ " + std::to_string(i)}}});
  }
  writing = false;
  for (auto& t : sealers) t.join();
  for (const Status& st : results) EXPECT_TRUE(st.ok()) << st.ToString();
  ASSERT_TRUE(sync::SealPendingWrites(*o.kh, signer).ok());
  auto left = o.kh->UnsealedWrites(10);
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE(left->writes.empty());
  // Once: the units kept hold exactly the states written, none twice (a
  // lost race left no seal of its own behind).
  auto members = PeekDb(*o.kh).Prepare(
      "SELECT (SELECT sum(length(hashes)) / 32 FROM unit_seals WHERE origin = 'KH-NCCT'), "
      "(SELECT count(*) FROM versions WHERE origin = 'KH-NCCT')");
  ASSERT_TRUE(*(*members)->Step());
  EXPECT_EQ((*members)->Int(0), (*members)->Int(1));
  EXPECT_EQ((*members)->Int(1), 600);
  (*members)->Reset();
  SyncOkSmallPages(*o.th, *o.kh);
  EXPECT_EQ(DumpOf(*o.th), DumpOf(*o.kh));
  auto th_party = o.th->Get("p299");
  ASSERT_TRUE(th_party.ok()) << th_party.status().ToString();
}

// With a sealer, a write is signed as it commits: a read for a peer finds it
// sealed with no sealing step. A sealer holding another node's key cannot
// seal: the write stands, unsealed, the failure is kept, and the next sync
// seals and sends it.
TEST(SyncTest, WritesSealedAsTheyAreMadeNeedNoSealingStepAndAFailedSealLosesNoWrite) {
  Offices o;
  const sync::NodeSigner& own = *testing::CredentialsFor(*o.border).signer;
  o.border->SealWritesAsMade(sync::SealerFor(std::make_shared<const sync::NodeSigner>(own)));
  Put(*o.border, {"case", std::string("case-7"),
                  testing::SharedCase("TH-KH", {{"reference", "KH-2026-007"},
                                                {"notes", "ស្វែងរកគ្រួសារនៅខេត្តបាត់ដំបង"}})});
  EXPECT_TRUE(o.border->last_seal_failure().ok()) << o.border->last_seal_failure().ToString();
  auto page = o.border->ReadChanges(0, 100, VersionVector());
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_FALSE(page->states.empty());
  for (const FieldVersion& v : page->states) EXPECT_FALSE(v.salt.empty()) << v.field;

  const sync::NodeSigner& foreign = *testing::CredentialsFor(*o.th).signer;
  o.border->SealWritesAsMade(sync::SealerFor(std::make_shared<const sync::NodeSigner>(foreign)));
  ASSERT_TRUE(o.border->Delete("case-7").ok());
  EXPECT_EQ(o.border->last_seal_failure().code(), Code::kFailedPrecondition);
  EXPECT_NE(o.border->last_seal_failure().message().find("TH-MSDHS"), std::string::npos);
  auto left = o.border->UnsealedWrites(10);
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(left->writes.size(), 1u) << "the delete is in, waiting for its seal";
  EXPECT_TRUE(o.border->Get("case-7")->deleted);

  SyncOkSmallPages(*o.kh, *o.border);
  EXPECT_TRUE(o.kh->Get("case-7")->deleted);
  EXPECT_EQ(DumpOf(*o.kh), DumpOf(*o.border));
}

// A conflict held where its record is new arrives in one page with both
// versions: the second is judged against the first, not taken as the only
// live version of a record the page just created.
TEST(SyncTest, AConflictReachesANodeThatNeverHeldItsRecordAsAConflict) {
  Offices o;
  Put(*o.kh, {"plan", std::string("plan-1"), {{"title", "ផែនការសកម្មភាពរួម"}}});
  SyncOkSmallPages(*o.th, *o.kh);
  Put(*o.kh,
      {"plan", std::string("plan-1"), {{"general_objective", "កាត់បន្ថយការជួញដូរមនុស្សនៅតាមព្រំដែន"}}});
  Put(*o.th, {"plan", std::string("plan-1"), {{"general_objective", "ลดการค้ามนุษย์ตามแนวชายแดน"}}});
  SyncOkSmallPages(*o.th, *o.kh);
  ASSERT_EQ(o.kh->GetStatus()->open_conflicts, 1);

  SyncOkSmallPages(*o.border, *o.kh);
  auto record = o.border->Get("plan-1");
  ASSERT_TRUE(record.ok()) << record.status().ToString();
  ASSERT_EQ(record->conflicts.count("general_objective"), 1u);
  EXPECT_EQ(record->conflicts.at("general_objective").size(), 2u);
  EXPECT_EQ(o.border->GetStatus()->open_conflicts, 1);
  EXPECT_EQ(*record->fields.at("general_objective").value,
            *o.kh->Get("plan-1")->fields.at("general_objective").value);
  EXPECT_EQ(DumpOf(*o.border), DumpOf(*o.kh));
}

// `accord history` shows each version's proof of origin, checked again at
// read time: a value altered in the database file no longer verifies.
TEST(SyncTest, AStoredVersionStillProvesItsOriginAndAnAlteredOneDoesNot) {
  Offices o;
  Put(*o.kh, {"case", std::string("case-1"),
              testing::SharedCase(
                  "TH-KH", {{"reference", "KH-2026-001"}, {"notes", "ស្វែងរកគ្រួសារនៅខេត្តបាត់ដំបង"}})});
  SyncOkSmallPages(*o.th, *o.kh);
  const sync::PeerVerifier& verifier = *testing::CredentialsFor(*o.th).verifier;
  auto history = o.th->History("case-1", std::string("notes"));
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  ASSERT_EQ(history->size(), 1u);
  Status proof = sync::VerifyStoredProof(*o.th, verifier, history->front().version);
  EXPECT_TRUE(proof.ok()) << proof.ToString();

  ASSERT_TRUE(PeekDb(*o.th)
                  .Exec("UPDATE versions SET value = 'someone else' WHERE record_id = 'case-1' "
                        "AND field = 'notes'")
                  .ok());
  auto altered = o.th->History("case-1", std::string("notes"));
  ASSERT_TRUE(altered.ok());
  Status broken = sync::VerifyStoredProof(*o.th, verifier, altered->front().version);
  EXPECT_EQ(broken.code(), Code::kPermissionDenied) << broken.ToString();
}

// An office that edits one record at a time and syncs later has its writes
// sealed 64 states to a signature, across records. A reader sent only some
// members of a unit (the rest held back by its scope) still proves each one,
// and proves them on to the next hop.
TEST(SyncTest, WritesMadeOneRecordAtATimeShareSignaturesAndAreProvedInPieces) {
  Offices o;
  size_t states = 0;
  std::set<std::string> shared, refused;
  for (int i = 0; i < 40; ++i) {
    std::string id = "case-" + std::to_string(i);
    std::vector<FieldWrite> fields = {{"reference", "KH-2026-" + std::to_string(100 + i)},
                                      {"notes", "ករណីលេខ " + std::to_string(i) + " បានត្រឡប់មកវិញ"}};
    if (i % 3 == 0) {
      fields.push_back({"direction", std::string("TH-KH")});
      fields.push_back({"consent", std::string("refused")});
      refused.insert(id);
    } else {
      fields = testing::SharedCase("TH-KH", fields);
      shared.insert(id);
    }
    states += fields.size();
    Put(*o.kh, {"case", id, fields});
  }
  ASSERT_TRUE(sync::SealPendingWrites(*o.kh, *testing::CredentialsFor(*o.kh).signer).ok());
  auto units = PeekDb(*o.kh).Prepare("SELECT count(*) FROM unit_seals WHERE origin = 'KH-NCCT'");
  ASSERT_TRUE(*(*units)->Step());
  EXPECT_EQ(static_cast<size_t>((*units)->Int(0)), (states + 63) / 64);
  (*units)->Reset();

  SyncOkSmallPages(*o.th, *o.kh);      // TH-MSDHS: the shared cases only
  SyncOkSmallPages(*o.border, *o.th);  // KH-POIPET: the same, relayed by TH-MSDHS
  for (Store* node : {o.th.get(), o.border.get()}) {
    SCOPED_TRACE(node->node_id());
    const sync::PeerVerifier& verifier = *testing::CredentialsFor(*node).verifier;
    for (const std::string& id : refused) EXPECT_FALSE(node->Get(id).ok()) << id;
    for (const std::string& id : shared) {
      auto history = node->History(id, std::nullopt);
      ASSERT_TRUE(history.ok()) << id << ": " << history.status().ToString();
      EXPECT_EQ(history->size(), 6u) << id;
      for (const StoredVersion& sv : *history) {
        Status proof = sync::VerifyStoredProof(*node, verifier, sv.version);
        EXPECT_TRUE(proof.ok()) << id << " " << sv.version.field << ": " << proof.ToString();
      }
    }
  }
}

// A push of many fresh writes seals them a step ahead of each page, while
// the peer applies the page before: the units are the ones sealing them all
// at once makes, and every state arrives proven.
TEST(SyncTest, APushSealsFreshWritesStepByStepIntoTheUnitsOneSealingMakes) {
  Offices o;
  size_t states = 0;
  for (int i = 0; i < 150; ++i) {
    std::vector<FieldWrite> fields = {{"reference", "KH-2026-" + std::to_string(500 + i)},
                                      {"notes", "ស្វែងរកគ្រួសារនៅខេត្តបាត់ដំបង លេខ " + std::to_string(i)},
                                      {"direction", std::string("TH-KH")},
                                      {"consent", std::string("refused")}};
    states += fields.size();
    Put(*o.border, {"case", "poipet-case-" + std::to_string(i), fields});
  }
  auto summary = Sync(*o.border, *o.kh, nullptr, /*page_size=*/8);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->states_sent, states);
  EXPECT_GT(summary->pages_pushed, 10u);
  auto unsealed = PeekDb(*o.border).Prepare("SELECT count(*) FROM versions WHERE salt IS NULL");
  ASSERT_TRUE(*(*unsealed)->Step());
  EXPECT_EQ((*unsealed)->Int(0), 0);
  (*unsealed)->Reset();
  auto units =
      PeekDb(*o.border).Prepare("SELECT count(*) FROM unit_seals WHERE origin = 'KH-POIPET'");
  ASSERT_TRUE(*(*units)->Step());
  EXPECT_EQ(static_cast<size_t>((*units)->Int(0)), (states + 63) / 64);
  (*units)->Reset();
  const sync::PeerVerifier& verifier = *testing::CredentialsFor(*o.kh).verifier;
  for (int i = 0; i < 150; ++i) {
    std::string id = "poipet-case-" + std::to_string(i);
    auto history = o.kh->History(id, std::nullopt);
    ASSERT_TRUE(history.ok()) << id << ": " << history.status().ToString();
    EXPECT_EQ(history->size(), 4u) << id;
    for (const StoredVersion& sv : *history) {
      Status proof = sync::VerifyStoredProof(*o.kh, verifier, sv.version);
      EXPECT_TRUE(proof.ok()) << id << " " << sv.version.field << ": " << proof.ToString();
    }
  }
}

// Alters the first state of every pull reply that carries states: the
// puller refuses that state's unit in the page.
class AlteredPages : public sync::Transport {
 public:
  explicit AlteredPages(sync::Transport& inner) : inner_(inner) {}
  Result<std::string> RoundTrip(std::string_view op, const std::string& request) override {
    auto reply = inner_.RoundTrip(op, request);
    if (!reply.ok()) return reply;
    wire::Envelope envelope = testing::Decoded(*reply);
    if (!envelope.has_pull_reply() || envelope.pull_reply().signed_changes().states_size() == 0) {
      return reply;
    }
    testing::AlterState(envelope.mutable_pull_reply()->mutable_signed_changes(), 0,
                        [](wire::FieldState& s) { s.set_value("ค่าที่ถูกแก้ระหว่างทาง"); });
    return testing::Encoded(envelope, envelope.node_id());
  }

 private:
  sync::Transport& inner_;
};

// `count` parties of Cambodia, p0..p<count-1>, named "<name> <i>".
void PutParties(Store& store, int count, const std::string& name) {
  for (int i = 0; i < count; ++i) {
    Put(store, {"party",
                "p" + std::to_string(i),
                {{"code", "KH"}, {"name", name + " " + std::to_string(i)}}});
  }
}

// The next pages are requested while the previous one is applied, so what
// a page's check refused is told to the peer with a later request (or with
// the push): every refusal still reaches the peer, once.
TEST(SyncTest, EveryRefusalOfAPipelinedPullReachesThePeerOnce) {
  Offices o;
  PutParties(*o.kh, 12, "ក្រសួង");
  testing::InProcessTransport direct(*o.kh, o.th->node_id());
  AlteredPages altered(direct);
  sync::SyncOptions options;
  options.page_size = 4;
  auto summary = testing::SyncWith(*o.th, altered, options);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_GE(summary->pages_pulled, 6u);
  EXPECT_EQ(summary->refused_here.size(), 24u);  // every state: each page's unit is broken
  auto told = o.kh->RecentRefusals(100);
  ASSERT_TRUE(told.ok());
  std::multiset<std::string> at_kh, at_th;
  for (const RefusalRecord& r : *told) {
    EXPECT_TRUE(r.sent);
    EXPECT_EQ(r.peer, "TH-MSDHS");
    at_kh.insert(r.state.record_id + "/" + r.state.field);
  }
  for (const RefusedState& r : summary->refused_here) at_th.insert(r.record_id + "/" + r.field);
  EXPECT_EQ(at_kh, at_th);
}

// Counts the pull requests sent, and how far they ran ahead of the pages
// applied (SyncOptions::on_progress, on the applying thread).
class CountedPulls : public sync::Transport {
 public:
  explicit CountedPulls(sync::Transport& inner) : inner_(inner) {}
  Result<std::string> RoundTrip(std::string_view op, const std::string& request) override {
    if (op == sync::kOpPull) {
      int64_t ahead = ++sent_ - applied_.load();
      int64_t seen = most_ahead_.load();
      while (ahead > seen && !most_ahead_.compare_exchange_weak(seen, ahead)) {
      }
    }
    return inner_.RoundTrip(op, request);
  }
  void Applied(uint64_t pages) { applied_ = static_cast<int64_t>(pages); }
  int64_t most_ahead() const { return most_ahead_; }
  int64_t sent() const { return sent_; }

 private:
  sync::Transport& inner_;
  std::atomic<int64_t> sent_{0}, applied_{0}, most_ahead_{0};
};

// A pull asks for the next page as soon as a reply arrives, and parses and
// verifies it while the page before is applied; but it never runs more than
// two pages ahead of what it applied, so memory stays flat however long the
// pull is, and what it applies is the same as a page at a time.
TEST(SyncTest, APullRequestsPagesAheadButNeverMoreThanTwo) {
  Offices o;
  PutParties(*o.kh, 60, "Bộ");
  testing::InProcessTransport direct(*o.kh, o.th->node_id());
  CountedPulls counted(direct);
  sync::SyncOptions options;
  options.page_size = 4;
  options.on_progress = [&](const sync::SyncProgress& p) {
    if (p.phase == sync::SyncProgress::Phase::kPull) counted.Applied(p.pages);
  };
  auto summary = testing::SyncWith(*o.th, counted, options);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_GE(summary->pages_pulled, 30u);
  EXPECT_EQ(counted.sent(), static_cast<int64_t>(summary->pages_pulled));
  // The second request goes out before the first page is handed over.
  EXPECT_GE(counted.most_ahead(), 2);
  EXPECT_LE(counted.most_ahead(), 3);  // applying one, one waiting, one asked for
  EXPECT_EQ(DumpOf(*o.th), DumpOf(*o.kh));
}

// The stored signed copies of versions at `store`, by record and field.
std::map<std::string, std::string> StoredSignedCopies(Store& store) {
  auto stmt = PeekDb(store).Prepare(
      "SELECT record_id || '/' || field, wire FROM versions WHERE wire IS NOT NULL");
  std::map<std::string, std::string> copies;
  while (*(*stmt)->Step()) copies[(*stmt)->Text(0)] = (*stmt)->Blob(1);
  (*stmt)->Reset();
  return copies;
}

// A version keeps the bytes its origin signed only when its columns do not
// re-serialise to them: a state of a newer node, with a field this build
// does not know, is kept and passed on byte for byte and still proves its
// origin; every other version keeps no second copy.
TEST(SyncTest, SignedBytesAreKeptOnlyWhenTheColumnsCannotSayThem) {
  Offices o;
  Put(*o.kh, {"party", "p-kh", {{"code", "KH"}, {"name", "ក្រសួងសង្គមកិច្ច"}}});
  SyncOkSmallPages(*o.th, *o.kh);
  EXPECT_TRUE(StoredSignedCopies(*o.kh).empty());
  EXPECT_TRUE(StoredSignedCopies(*o.th).empty());

  wire::FieldState newer = testing::StateOf("p-kh", "party", "name", "กระทรวงการพัฒนาสังคม",
                                            "KH-NCCT", {{"KH-NCCT", 50}}, 1700000000000);
  newer.GetReflection()->MutableUnknownFields(&newer)->AddVarint(99, 7);
  wire::SignedChanges changes = testing::SealedAs({newer}, *testing::CredentialsFor(*o.kh).signer);
  const sync::PeerVerifier& verifier = *testing::CredentialsFor(*o.th).verifier;
  auto checked = sync::CheckSignedChanges(*o.th, verifier, changes, "KH-NCCT");
  ASSERT_TRUE(checked.ok()) << checked.status().ToString();
  ASSERT_EQ(checked->states.size(), 1u);
  auto batch = o.th->BeginRemoteBatch("KH-NCCT");
  ASSERT_TRUE(batch.ok());
  ASSERT_TRUE(sync::AddChecked(**batch, *checked).ok());
  ASSERT_TRUE((*batch)->Commit().ok());
  batch->reset();
  EXPECT_EQ(StoredSignedCopies(*o.th),
            (std::map<std::string, std::string>{{"p-kh/name", changes.states(0)}}));

  SyncOkSmallPages(*o.border, *o.th);  // relayed to KH-POIPET
  EXPECT_EQ(StoredSignedCopies(*o.border),
            (std::map<std::string, std::string>{{"p-kh/name", changes.states(0)}}));
  for (Store* node : {o.th.get(), o.border.get()}) {
    auto history = node->History("p-kh", std::string("name"));
    ASSERT_TRUE(history.ok());
    for (const StoredVersion& sv : *history) {
      Status proof =
          sync::VerifyStoredProof(*node, *testing::CredentialsFor(*node).verifier, sv.version);
      EXPECT_TRUE(proof.ok()) << node->node_id() << ": " << proof.ToString();
    }
  }
}

// A pull checks each page in two steps (sync/page_check.h). Once the
// session has checked an origin's key, the first step, which runs off the
// store on the request's thread, verifies that origin's units itself; a
// state altered in transit is refused there as surely as by the store's step.
TEST(SyncTest, AUnitWhoseKeyTheSessionCheckedIsVerifiedWhereThePageIsPrepared) {
  Offices o;
  const sync::PeerVerifier& verifier = *testing::CredentialsFor(*o.th).verifier;
  wire::FieldState state = testing::StateOf("p-kh", "party", "name", "ក្រសួងមហាផ្ទៃ", "KH-NCCT",
                                            {{"KH-NCCT", 1}}, 1700000000000);
  wire::SignedChanges changes = testing::SealedAs({state}, *testing::CredentialsFor(*o.kh).signer);
  sync::OriginKeyCache keys;

  // No key checked yet: the unit is left for the step with the store,
  // which checks the certificate the page offers and keeps the key.
  auto first = sync::PrepareSignedChanges(changes, "KH-NCCT", &keys);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ(first->units.size(), 1u);
  EXPECT_FALSE(first->units.begin()->second.verified);
  auto checked = sync::FinishSignedChanges(*o.th, verifier, std::move(first).value(), &keys);
  ASSERT_TRUE(checked.ok()) << checked.status().ToString();
  EXPECT_EQ(checked->states.size(), 1u);
  EXPECT_TRUE(checked->refused.empty());

  // The next page's unit is verified in the first step.
  auto second = sync::PrepareSignedChanges(changes, "KH-NCCT", &keys);
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->units.begin()->second.verified);
  EXPECT_EQ(second->units.begin()->second.failure, "");

  // One letter changed in transit (ក for ខ, same length): refused there.
  wire::SignedChanges altered = changes;
  std::string& bytes = *altered.mutable_states(0);
  size_t at = bytes.find("\xE1\x9E\x80");  // ក
  ASSERT_NE(at, std::string::npos);
  bytes[at + 2] = '\x81';  // ខ
  auto third = sync::PrepareSignedChanges(altered, "KH-NCCT", &keys);
  ASSERT_TRUE(third.ok());
  EXPECT_TRUE(third->units.begin()->second.verified);
  EXPECT_NE(third->units.begin()->second.failure.find("does not match"), std::string::npos)
      << third->units.begin()->second.failure;
  auto refused = sync::FinishSignedChanges(*o.th, verifier, std::move(third).value(), &keys);
  ASSERT_TRUE(refused.ok());
  EXPECT_TRUE(refused->states.empty());
  ASSERT_EQ(refused->refused.size(), 1u);
  EXPECT_EQ(refused->refused[0].record_id, "p-kh");
}

// A unit's name is a counter its origin claims: one far beyond what is held
// of that origin is refused with its states, as such a state's own counter
// would be, and the receiver's links go on.
TEST(SyncTest, AUnitNamedFarBeyondItsOriginsWritesIsRefusedAndTheLinksGoOn) {
  Offices o;
  Put(*o.kh, {"party", "p-kh", {{"code", "KH"}, {"name", "ក្រសួងមហាផ្ទៃ"}}});
  SyncOkSmallPages(*o.th, *o.kh);
  const sync::PeerVerifier& verifier = *testing::CredentialsFor(*o.th).verifier;
  for (uint64_t named : {uint64_t{30'000'000}, uint64_t{1} << 60}) {
    SCOPED_TRACE(named);
    wire::FieldState far = testing::StateOf("p-kh", "party", "name", "ภาพลวงตา", "KH-NCCT",
                                            {{"KH-NCCT", 2}}, 1700000000000);
    far.set_unit_counter(named);
    wire::SignedChanges changes = testing::SealedAs({far}, *testing::CredentialsFor(*o.kh).signer);
    auto checked = sync::CheckSignedChanges(*o.th, verifier, changes, "KH-NCCT");
    ASSERT_TRUE(checked.ok()) << checked.status().ToString();
    auto batch = o.th->BeginRemoteBatch("KH-NCCT");
    ASSERT_TRUE(batch.ok());
    ASSERT_TRUE(sync::AddChecked(**batch, *checked).ok());
    auto applied = (*batch)->Commit();
    ASSERT_TRUE(applied.ok()) << applied.status().ToString();
    batch->reset();
    EXPECT_EQ(applied->applied, 0u);
    ASSERT_EQ(applied->refused.size(), 1u);
    EXPECT_NE(applied->refused[0].reason.find(named > kMaxCounter ? "beyond any real counter"
                                                                  : "far beyond"),
              std::string::npos)
        << applied->refused[0].reason;
    auto seals = PeekDb(*o.th).Prepare("SELECT count(*) FROM unit_seals WHERE counter = ?");
    (*seals)->Bind(1, static_cast<int64_t>(std::min<uint64_t>(named, kMaxCounter)));
    ASSERT_TRUE(*(*seals)->Step());
    EXPECT_EQ((*seals)->Int(0), 0);
    (*seals)->Reset();
  }
  SyncOkSmallPages(*o.border, *o.th);
  EXPECT_EQ(o.border->Get("p-kh")->fields.at("name").value, "ក្រសួងមហាផ្ទៃ");
}

// A state names the unit of a later write, never its own or an earlier one:
// a relay cannot move a state into another unit by renaming it.
TEST(SyncTest, AStateNamingAUnitAtOrBeforeItsOwnCounterIsUnreadable) {
  FieldVersion v;
  v.record_id = "case-1";
  v.record_type = "case";
  v.field = "notes";
  v.value = "ส่งกลับบ้านแล้ว";
  v.origin = "KH-NCCT";
  v.version.Set("KH-NCCT", 7);
  v.salt = std::string(sync::kSaltBytes, 's');
  v.unit_counter = 9;
  EXPECT_TRUE(sync::ParseState(sync::SerializeState(v)).ok());
  for (uint64_t named : {7u, 3u}) {
    v.unit_counter = named;
    auto parsed = sync::ParseState(sync::SerializeState(v));
    EXPECT_EQ(parsed.status().code(), Code::kCorruption) << named;
    EXPECT_NE(parsed.status().message().find("is not after the state's own counter 7"),
              std::string::npos)
        << parsed.status().message();
  }
}

TEST(SyncTest, PagesAreBoundedAndACutLinkResumesWithoutLossOrDuplication) {
  Offices o;
  std::vector<RecordWrite> batch;
  for (int i = 0; i < 500; ++i) {
    batch.push_back({"party",
                     "p" + std::to_string(i),
                     {{"code", "KH"}, {"name", "party " + std::to_string(i)}}});
  }
  ASSERT_TRUE(o.kh->PutMany(batch).ok());
  for (int i = 0; i < 300; ++i)
    Put(*o.th, {"party", "t" + std::to_string(i), {{"code", "TH"}, {"name", "n"}}});
  std::mt19937 rng(7);
  int attempts = 0;
  while (true) {
    ++attempts;
    auto result = Sync(
        *o.th, *o.kh,
        [&] {
          int roll = static_cast<int>(rng() % 10);
          return roll == 0   ? InProcessTransport::Fault::kDropRequest
                 : roll == 1 ? InProcessTransport::Fault::kDropReply
                             : InProcessTransport::Fault::kNone;
        },
        37);
    if (result.ok()) break;
    EXPECT_EQ(result.status().code(), Code::kUnavailable);
    ASSERT_LT(attempts, 200);
  }
  EXPECT_GT(attempts, 1);
  EXPECT_EQ(DumpOf(*o.kh), DumpOf(*o.th));
  EXPECT_EQ(o.kh->GetStatus()->records_per_type["party"], 800);
  // Each version was stored once: the history holds no duplicates.
  auto count = PeekDb(*o.kh).Prepare("SELECT count(*) FROM versions");
  ASSERT_TRUE(*(*count)->Step());
  EXPECT_EQ((*count)->Int(0), 1600);
  (*count)->Reset();
}

// Knowledge is learnt from the writer only, so a write relayed over two hops
// is still not sent back to the relay it came from.
TEST(SyncTest, AWriteRelayedTwoHopsIsNotSentBackToTheRelay) {
  Offices o;
  TempDir dir;
  auto aranya = NewStore(dir, "TH-ARANYA", o.clock);
  std::vector<RecordWrite> returns;
  for (int i = 0; i < 50; ++i) {
    returns.push_back({"case", "case-th-2026-" + std::to_string(i),
                       testing::SharedCase("TH-KH", {{"reference", "TH-2026-" + std::to_string(i)},
                                                     {"step", "identified"}})});
  }
  ASSERT_TRUE(aranya->PutMany(returns).ok());
  SyncOkSmallPages(*aranya, *o.th);
  SyncOkSmallPages(*o.th, *o.kh);
  auto border = Sync(*o.border, *o.kh);
  ASSERT_TRUE(border.ok()) << border.status().ToString();
  EXPECT_EQ(border->states_received, 50u * (2 + testing::kConsentFields));
  EXPECT_EQ(border->states_sent, 0u) << "TH-ARANYA's writes went back to KH-NCCT";
  EXPECT_EQ(o.border->Knowledge()->Get("TH-ARANYA"), 0u) << "vouched for by KH-NCCT, not proven";
}

// Pins the bug: TH-MSDHS relays KH-POIPET's case to KH-NCCT with the notes
// altered, a page at a time, then vouches (truthfully: it holds the write)
// for all of KH-POIPET's writes. KH-NCCT refused the altered state but
// believed the knowledge, so neither TH-MSDHS nor KH-POIPET itself ever sent
// the write again: KH-NCCT lost it.
TEST(SyncTest, ARelayThatAltersAWriteCannotMakeTheCapitalSkipIt) {
  Offices o;
  // Both cases may go to Thailand: TH-MSDHS holds them to relay. The notes
  // came after the case was opened.
  const std::string notes = "ជនរងគ្រោះយល់ព្រមឱ្យចែករំលែកព័ត៌មានជាមួយភាគីថៃ";
  Put(*o.border, {"case", std::string("case-KH-2026-031"),
                  testing::SharedCase("KH-TH", {{"reference", "KH-2026-031"}})});
  Put(*o.border, {"case", std::string("case-KH-2026-031"), {{"notes", notes}}});
  Put(*o.border, {"case", std::string("case-KH-2026-032"),
                  testing::SharedCase("KH-TH", {{"reference", "KH-2026-032"}})});
  SyncOkSmallPages(*o.th, *o.border);
  // Each push page is altered on its way out of TH-MSDHS.
  class Altering : public sync::Transport {
   public:
    explicit Altering(Store& server) : inner_(server, "TH-MSDHS") {}
    Result<std::string> RoundTrip(std::string_view op, const std::string& request) override {
      if (op != sync::kOpPush) return inner_.RoundTrip(op, request);
      wire::Envelope envelope = sync::DecodeFrame(request).value();
      auto* changes = envelope.mutable_push_request()->mutable_signed_changes();
      for (int i = 0; i < changes->states_size(); ++i) {
        wire::FieldState state;
        EXPECT_TRUE(state.ParseFromString(changes->states(i)));
        if (state.field() != "notes") continue;
        state.set_value("ជនរងគ្រោះបដិសេធមិនចែករំលែកព័ត៌មាន");
        changes->set_states(i, state.SerializeAsString());
      }
      return inner_.RoundTrip(op, sync::EncodeFrame(envelope, "TH-MSDHS").value());
    }

   private:
    InProcessTransport inner_;
  } altering(*o.kh);
  sync::SyncOptions one_state_a_page;
  one_state_a_page.page_size = 1;
  auto relayed = testing::SyncWith(*o.th, altering, one_state_a_page);
  ASSERT_TRUE(relayed.ok()) << relayed.status().ToString();
  ASSERT_EQ(relayed->refused_by_peer.size(), 1u);
  EXPECT_NE(relayed->refused_by_peer[0].reason.find("does not match"), std::string::npos);
  EXPECT_EQ(o.kh->Knowledge()->Get("KH-POIPET"), 0u);
  // The write arrives from its origin.
  SyncOkSmallPages(*o.kh, *o.border);
  EXPECT_EQ(*o.kh->Get("case-KH-2026-031")->fields.at("notes").value, notes);
  EXPECT_EQ(DumpOf(*o.kh), DumpOf(*o.border));
}

// A Thai office's refusal reason, a little over the 1,000 bytes kept, with a
// line break and a terminal escape in it: what is kept is cut between two
// characters (still text: `status --json` shows it), and the serve log gets
// one line with the controls escaped, not a forged second line.
TEST(SyncTest, APeersRefusalReasonIsCutBetweenCharactersAndLoggedOnOneLine) {
  Offices o;
  std::vector<std::string> lines;
  sync::ServiceOptions options;
  options.log = [&lines](std::string_view line) { lines.emplace_back(line); };
  sync::SyncService service(*o.kh, testing::CredentialsFor(*o.kh), options);
  std::string reason = "ข้อมูลไม่ตรงกับลายมือชื่อ\n2026-11-27 forged: accepted everything \x1b[2J";
  reason += std::string(998 - reason.size(), '.') + "ก";  // its 3 bytes straddle byte 1000
  wire::Envelope ask;
  wire::Refusal* refusal = ask.mutable_pull_request()->add_refused();
  refusal->set_record_id("case-KH-2026-031");
  refusal->set_field("notes");
  refusal->set_origin("KH-NCCT");
  refusal->set_counter(1);
  refusal->set_reason(reason);
  auto frame = sync::EncodeFrame(ask, "TH-MSDHS");
  ASSERT_TRUE(frame.ok());
  service.Handle(sync::kOpPull, *frame, "TH-MSDHS");

  auto kept = o.kh->RecentRefusals(10);
  ASSERT_TRUE(kept.ok());
  ASSERT_EQ(kept->size(), 1u);
  const std::string& stored = (*kept)[0].state.reason;
  EXPECT_EQ(stored, reason.substr(0, 998));
  EXPECT_NO_THROW(nlohmann::json(stored).dump()) << "not UTF-8 any more";
  int logged = 0;
  for (const std::string& line : lines) {
    if (line.find("refused record case-KH-2026-031") == std::string::npos) continue;
    ++logged;
    EXPECT_EQ(line.find_first_of("\n\r\x1b"), std::string::npos) << line;
    EXPECT_NE(line.find("ข้อมูลไม่ตรงกับลายมือชื่อ\\x0A2026-11-27 forged"), std::string::npos) << line;
    EXPECT_NE(line.find("\\x1B[2J"), std::string::npos) << line;
  }
  EXPECT_EQ(logged, 1);
}

// ---- Bad input: rejected with a clear error, nothing applied.

class BadPushTest : public ::testing::Test {
 protected:
  Offices o;
  std::string before;
  void SetUp() override {
    Put(*o.kh, {"plan", std::string("plan-1"), {{"title", "P"}}});
    before = DumpOf(*o.kh);
  }
  sync::ServiceReply Send(const std::string& body, const std::string& op = "push") {
    sync::SyncService service(*o.kh, testing::CredentialsFor(*o.kh));
    return service.Handle(op, body, "TH-MSDHS");
  }
  void ExpectRejected(const sync::ServiceReply& reply, int http, const std::string& part) {
    EXPECT_EQ(net::HttpStatusFor(reply.code), http);
    auto decoded = sync::DecodeFrame(reply.body);
    ASSERT_TRUE(decoded.ok());
    ASSERT_TRUE(decoded->has_error());
    EXPECT_NE(decoded->error().message().find(part), std::string::npos)
        << decoded->error().message();
    EXPECT_EQ(DumpOf(*o.kh), before);
  }
  // One state the receiver will not take does not block the page: the page is
  // accepted, that state refused with its reason (told to the sender).
  wire::PushReply ExpectStateRefused(const sync::ServiceReply& reply, const std::string& part) {
    EXPECT_EQ(reply.code, Code::kOk);
    auto decoded = sync::DecodeFrame(reply.body);
    EXPECT_TRUE(decoded.ok() && decoded->has_push_reply());
    if (!decoded.ok() || !decoded->has_push_reply()) return {};
    const auto& push = decoded->push_reply();
    bool found = false;
    for (const auto& r : push.refused())
      found = found || r.reason().find(part) != std::string::npos;
    EXPECT_TRUE(found) << part << " not among " << push.DebugString();
    return push;
  }
};

TEST_F(BadPushTest, GarbageBody) {
  ExpectRejected(Send("not a frame at all"), 400, "compressed data is damaged");
}

TEST_F(BadPushTest, TruncatedBody) {
  std::string frame = PushOf({GoodState(), GoodState()});
  ExpectRejected(Send(frame.substr(0, frame.size() / 2)), 400, "truncated");
}

TEST_F(BadPushTest, FutureProtocolVersion) {
  wire::Envelope envelope;
  envelope.mutable_push_request();
  std::string bytes;
  envelope.set_protocol_version(sync::kProtocolVersion + 1);
  envelope.set_node_id("TH-MSDHS");
  ExpectRejected(Send(sync::Compress(envelope.SerializeAsString()).value()), 400,
                 "protocol version " + std::to_string(sync::kProtocolVersion + 1));
}

// A field this build does not know comes from a newer node: it is kept and
// passed on, not refused (issue 10), and the state before it goes in too.
TEST_F(BadPushTest, AFieldFromANewerNodeIsKept) {
  wire::FieldState newer = GoodState();
  newer.set_field("budget");
  newer.set_value("ງົບປະມານ 12,000 USD");
  auto reply = Send(PushOf({GoodState(), newer}));
  ASSERT_EQ(reply.code, Code::kOk);
  auto decoded = sync::DecodeFrame(reply.body);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->push_reply().applied(), 2u);
  EXPECT_EQ(decoded->push_reply().refused_size(), 0);
  auto plan = o.kh->Get("plan-2");
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(*plan->fields.at("budget").value, "ງົບປະມານ 12,000 USD");
}

TEST_F(BadPushTest, VectorThatGoesBackwards) {
  wire::FieldState bad = GoodState();
  auto* entry = bad.add_version();
  entry->set_node("TH-MSDHS");
  entry->set_counter(3);  // a second, unsorted entry for the same node
  ExpectStateRefused(Send(PushOf({bad})), "not sorted");
  EXPECT_EQ(DumpOf(*o.kh), before);
  wire::FieldState claims_ours = GoodState();
  claims_ours.clear_version();
  auto* kh = claims_ours.add_version();
  kh->set_node("KH-NCCT");
  kh->set_counter(99);
  auto* th = claims_ours.add_version();
  th->set_node("TH-MSDHS");
  th->set_counter(1);
  ExpectStateRefused(Send(PushOf({claims_ours})), "claims write 99 by this node");
  EXPECT_EQ(DumpOf(*o.kh), before);
}

// States are parsed before their proofs are checked: 2,869 states of 1,024
// vector entries each (a 3.7 KB frame) held ~200 MB while they were.
TEST_F(BadPushTest, PagesOfStatesWithHugeVectorsAreRefusedBeforeParsing) {
  wire::FieldState wide = GoodState();
  for (int i = 0; i < 1000; ++i) {
    auto* entry = wide.add_version();
    entry->set_node("ZZ-" + std::to_string(10000 + i));  // after TH-MSDHS: still sorted
    entry->set_counter(1);
  }
  std::vector<wire::FieldState> states(sync::kMaxVectorEntriesPerPage / 1000, wide);
  ExpectRejected(Send(PushOf(states)), 400, "version entries in all, over the limit of 262144");
}

TEST_F(BadPushTest, NodeIdThatDoesNotMatchTheConnection) {
  wire::Envelope envelope;
  envelope.mutable_hello_request();
  ExpectRejected(Send(sync::EncodeFrame(envelope, "KH-POIPET").value(), "hello"), 403,
                 "authenticated as TH-MSDHS");
}

TEST_F(BadPushTest, PushThatLeavesAGap) {
  wire::Envelope envelope;
  auto* push = envelope.mutable_push_request();
  push->set_from_cursor(10);
  push->set_next_cursor(12);
  ExpectRejected(Send(sync::EncodeFrame(envelope, "TH-MSDHS").value()), 409, "resume from there");
}

// ---- Convergence: many offices, random edits and deletes, random syncs
// (tests/convergence.h; the same run goes over real HTTPS in https_sync_test).

void RunConvergence(uint32_t seed, int node_count, int rounds) {
  TempDir dir;
  FakeClock clock;
  std::vector<std::unique_ptr<Store>> nodes;
  for (int i = 0; i < node_count; ++i) {
    nodes.push_back(NewStore(dir, "N" + std::to_string(i), clock));
  }
  std::vector<Store*> stores;
  for (auto& node : nodes) stores.push_back(node.get());
  testing::RunConvergence(
      seed, stores, rounds, [](Store& client, Store& server, std::function<bool()> cut) {
        auto fault = [cut] {
          return cut() ? InProcessTransport::Fault::kDropReply : InProcessTransport::Fault::kNone;
        };
        return Sync(client, server, fault, 3);
      });
}

TEST(ConvergenceTest, ThreeNodesRandomEditsDeletesAndCutSyncs) {
  for (uint32_t seed : {1u, 2u, 3u, 4u, 5u}) RunConvergence(seed, 3, 300);
}

TEST(ConvergenceTest, FiveNodesManyRounds) {
  for (uint32_t seed : {11u, 12u}) RunConvergence(seed, 5, 600);
}

// The capital's server restored from a backup: its log now ends before where
// Bangkok had read it. Bangkok used to refuse every pull from it for good
// ("moved the cursor backwards"), so a write Viet Nam gave the restored
// capital never reached Bangkok by it. It reads the log again from its start,
// once, says so, and goes on from there.
TEST(SyncTest, AServerRestoredFromABackupIsReadAgainFromItsStart) {
  TempDir dir;
  FakeClock clock;
  std::unique_ptr<Store> kh = NewStore(dir, "KH-NCCT", clock);
  std::unique_ptr<Store> th = NewStore(dir, "TH-MSDHS", clock);
  std::unique_ptr<Store> vn = NewStore(dir, "VN-MOLISA", clock);
  Put(*kh, {"plan", std::string("plan-khth-2026"), {{"title", "ផែនការសកម្មភាពរួម ២០២៦"}}});
  const std::string backup = dir.File("KH-NCCT-backup.db");
  std::filesystem::copy_file(dir.File("KH-NCCT.db"), backup);
  if (std::filesystem::exists(dir.File("KH-NCCT.db-wal"))) {
    std::filesystem::copy_file(dir.File("KH-NCCT.db-wal"), backup + "-wal");
  }
  for (int i = 0; i < 5; ++i) {
    Put(*kh, {"meeting",
              std::nullopt,
              {{"title", "កិច្ចប្រជុំគ្រប់គ្រងករណី លើកទី " + std::to_string(i + 1)},
               {"start_date", "2026-03-1" + std::to_string(i)},
               {"city", "ភ្នំពេញ"}}});
  }
  SyncOkSmallPages(*th, *kh);
  const uint64_t read_before = th->GetPeer("KH-NCCT")->inbound_cursor;

  kh.reset();
  auto restored = Store::Open(backup, StoreOptions{clock.Fn()});
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  kh = std::move(restored).value();
  const std::string hanoi = Put(*vn, {"meeting",
                                      std::nullopt,
                                      {{"title", "Cuộc họp song phương về hồi hương nạn nhân"},
                                       {"start_date", "2026-04-02"},
                                       {"city", "Hà Nội"}}});
  SyncOkSmallPages(*vn, *kh);
  auto head = PeekDb(*kh).Prepare("SELECT max(seq) FROM versions");
  ASSERT_TRUE(head.ok());
  ASSERT_TRUE(*(*head)->Step());
  ASSERT_LT((*head)->Int(0), static_cast<int64_t>(read_before)) << "the restored log is shorter";
  (*head)->Reset();

  auto summary = Sync(*th, *kh);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  ASSERT_EQ(summary->warnings.size(), 1u);
  EXPECT_NE(summary->warnings[0].find("read again from its start"), std::string::npos)
      << summary->warnings[0];
  EXPECT_TRUE(th->Get(hanoi).ok()) << "Viet Nam's meeting reached Bangkok through the capital";
  EXPECT_LT(th->GetPeer("KH-NCCT")->inbound_cursor, read_before) << "the cursor went back";

  // From there on, as usual: no warning, and the next write arrives.
  const std::string saigon = Put(*vn, {"meeting",
                                       std::nullopt,
                                       {{"title", "Họp rà soát tiến độ kế hoạch hành động chung"},
                                        {"start_date", "2026-05-06"},
                                        {"city", "Thành phố Hồ Chí Minh"}}});
  SyncOkSmallPages(*vn, *kh);
  auto again = Sync(*th, *kh);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again->warnings.empty()) << again->warnings[0];
  EXPECT_TRUE(th->Get(saigon).ok());
}

}  // namespace
}  // namespace accord
