// Leaving a scope (issue 11 item 4, docs/sharing.md): when a victim withdraws
// consent, the offices of the other country purge the case, its history and
// what hangs off it at their next sync — directly, through a relay, by bundle
// — and nothing of it remains in their database files. Only a peer entitled
// to say so is believed; an office that never held the case hears nothing of
// it; consent given again brings the whole case back.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "accord_bundle.pb.h"
#include "sync/bundle.h"
#include "sync/signed_changes.h"
#include "sync/wire_codec.h"
#include "tests/sharing_support.h"
#include "tests/store_peek.h"
#include "tests/tamper.h"

namespace accord {
namespace {

using testing::CredentialsFor;
using testing::FiveOffices;
using testing::Holds;
using testing::PutOk;
using testing::ReadAll;
using testing::RecordDump;

// A case the Cambodian capital opens with the victim's consent to share it
// with Thailand, a family tracing of it, and a review Bangkok writes.
constexpr char kLeavingCase[] = "case-kh-2026-077";
constexpr char kTracing[] = "ft-kh-2026-077";
constexpr char kReview[] = "review-th-2026-077";
constexpr char kReference[] = "KH-2026-077";
// Strings found nowhere but in this case's values (Khmer, Thai, Latin):
// none may remain at an office out of scope once it purged the case.
const std::vector<std::string> kMarkers = {
    kReference,
    "ក្មេងស្រីមកពីស្រុកមង្គលបុរី-Z7Q",
    "เด็กหญิงพักที่บ้านเกร็ดตระการ-W4K",
    "transit-note-M9X-Poipet",
    "គ្រួសារនៅភូមិអូរស្រឡៅ-K2P",
    "ทบทวนกรณีที่ศูนย์คุ้มครอง-R5D",
};

void OpenSharedCase(Store& kh) {
  PutOk(kh, {"case", std::string(kLeavingCase),
             testing::SharedCase("KH-TH", {{"reference", kReference},
                                           {"initials", "N.S."},
                                           {"age_group", "child"},
                                           {"notes", kMarkers[1] + "\n" + kMarkers[3]}})});
  PutOk(kh, {"family_tracing",
             std::string(kTracing),
             {{"case", kLeavingCase}, {"family_found", "yes"}, {"assessment_notes", kMarkers[4]}}});
}

void WithdrawConsent(Store& kh) {
  PutOk(kh, {"case",
             std::string(kLeavingCase),
             {{"consent", "refused"},
              {"consent_recorded_by", "Case manager, MoSVY"},
              {"consent_recorded_on", "2026-05-04"}}});
}

sync::SyncSummary SyncOkSummary(Store& client, Store& server) {
  testing::InProcessTransport transport(server, client.node_id());
  auto summary = testing::SyncWith(client, transport);
  EXPECT_TRUE(summary.ok()) << client.node_id() << " with " << server.node_id() << ": "
                            << summary.status().ToString();
  return summary.ok() ? std::move(summary).value() : sync::SyncSummary();
}

std::vector<std::string> PurgedIds(const std::vector<PurgedRecord>& purged) {
  std::vector<std::string> ids;
  for (const auto& p : purged) ids.push_back(p.record_id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

// Rows about `id` in every table that holds values or bytes of a record.
int64_t RowsAbout(Store& store, const std::string& id) {
  Database& db = testing::PeekDb(store);
  int64_t rows = 0;
  for (const char* sql : {"SELECT count(*) FROM versions WHERE record_id = ?",
                          "SELECT count(*) FROM records WHERE id = ?",
                          "SELECT count(*) FROM conflicts WHERE record_id = ?",
                          "SELECT count(*) FROM refusals WHERE record_id = ?"}) {
    auto stmt = db.Prepare(sql);
    EXPECT_TRUE(stmt.ok());
    (*stmt)->Bind(1, id);
    auto row = (*stmt)->Step();
    EXPECT_TRUE(row.ok() && *row);
    rows += (*stmt)->Int(0);
    (*stmt)->Reset();
  }
  return rows;
}

// The markers found in the database file (free pages included: the whole
// file is read) and its WAL.
std::vector<std::string> MarkersOnDisk(const std::string& db_path) {
  std::string bytes = ReadAll(db_path) + ReadAll(db_path + "-wal");
  std::vector<std::string> found;
  for (const auto& m : kMarkers) {
    if (bytes.find(m) != std::string::npos) found.push_back(m);
  }
  return found;
}

// A bundle as the bytes its reader sees: header, then every chunk opened
// with the receiver's key and decompressed.
std::string BundleBytes(const std::string& path, const sync::NodeSigner& receiver) {
  testing::BundleParts parts = testing::ReadBundleParts(path);
  testing::OpenChunks(parts, receiver);
  std::string out = parts.header;
  for (const std::string& chunk : parts.chunks) {
    auto raw = sync::Decompress(chunk, sync::kMaxFrameBytes);
    EXPECT_TRUE(raw.ok());
    if (raw.ok()) out += *raw;
  }
  return out;
}

// The case's step at `s` ("" when none).
std::string StepOf(Store& s) {
  auto record = s.Get(kLeavingCase);
  if (!record.ok() || !record->Value("step")) return "";
  return record->Value("step")->value_or("");
}

// Bangkok holds the whole case, a conflict on its notes and its own review.
void BangkokHoldsTheCase(FiveOffices& o) {
  OpenSharedCase(*o.kh);
  SyncOkSummary(*o.th, *o.kh);
  ASSERT_TRUE(Holds(*o.th, kLeavingCase));
  PutOk(
      *o.th,
      {"case_review", std::string(kReview), {{"case", kLeavingCase}, {"discussion", kMarkers[5]}}});
  // Both capitals edit the notes apart: a conflict, on both sides.
  PutOk(*o.th, {"case", std::string(kLeavingCase), {{"notes", kMarkers[2]}}});
  PutOk(*o.kh, {"case", std::string(kLeavingCase), {{"notes", kMarkers[1] + " (ต่อ)"}}});
  SyncOkSummary(*o.th, *o.kh);
  ASSERT_EQ(o.th->Get(kLeavingCase)->conflicts.count("notes"), 1u);
  ASSERT_EQ(o.kh->Get(kLeavingCase)->conflicts.count("notes"), 1u);
  ASSERT_TRUE(Holds(*o.kh, kReview));
}

// What a node out of scope keeps after the purge: nothing of the case but
// the entry saying it held it.
void ExpectPurged(Store& s, const std::string& db_path, const std::string& told_by) {
  for (const char* id : {kLeavingCase, kTracing, kReview}) {
    EXPECT_FALSE(Holds(s, id)) << id << " at " << s.node_id();
    EXPECT_EQ(RowsAbout(s, id), 0) << id << " at " << s.node_id();
  }
  auto history = s.History(kLeavingCase, std::nullopt);
  EXPECT_TRUE(!history.ok() || history->empty());
  auto conflicts = s.ListConflicts({});
  ASSERT_TRUE(conflicts.ok());
  for (const auto& c : conflicts->conflicts) EXPECT_NE(c.record_id, kLeavingCase);
  auto purged = s.PurgedRecords();
  ASSERT_TRUE(purged.ok());
  EXPECT_EQ(PurgedIds(*purged), (std::vector<std::string>{kLeavingCase, kTracing, kReview}));
  for (const auto& p : *purged) {
    EXPECT_EQ(p.notice_from, told_by);
    EXPECT_GT(p.purged_at_ms, 0);
  }
  EXPECT_EQ(MarkersOnDisk(db_path), std::vector<std::string>{}) << s.node_id();
}

// The offices still in scope keep every value: the purge is not a delete.
void ExpectKeptInScope(Store& s) {
  for (const char* id : {kLeavingCase, kTracing, kReview}) {
    auto record = s.Get(id);
    ASSERT_TRUE(record.ok()) << id << " at " << s.node_id();
    EXPECT_FALSE(record->deleted);
  }
  EXPECT_EQ(s.Get(kLeavingCase)->conflicts.count("notes"), 1u);
}

TEST(ScopeExitTest, ConsentWithdrawnAtTheCapitalIsPurgedInBangkokAtItsNextSync) {
  FiveOffices o;
  BangkokHoldsTheCase(o);
  WithdrawConsent(*o.kh);
  sync::SyncSummary summary = SyncOkSummary(*o.th, *o.kh);
  EXPECT_EQ(PurgedIds(summary.purged), (std::vector<std::string>{kLeavingCase, kTracing, kReview}));
  EXPECT_TRUE(summary.notices_ignored.empty());
  ExpectPurged(*o.th, o.DbPath(*o.th), "KH-NCCT");
  // Bangkok writes on and syncs again, and Poi Pet (in scope) with the
  // capital: nothing of the purge travels, the Cambodian offices keep the
  // whole case, and Bangkok's new write reaches the capital (the purge freed
  // the head of Bangkok's log: no position is used twice).
  PutOk(*o.th, {"office", std::string("office-th-aranya"), {{"name", "สำนักงานอรัญประเทศ"}}});
  SyncOkSummary(*o.th, *o.kh);
  EXPECT_TRUE(Holds(*o.kh, "office-th-aranya"));
  SyncOkSummary(*o.poipet, *o.kh);
  ExpectKeptInScope(*o.kh);
  ExpectKeptInScope(*o.poipet);
  EXPECT_EQ(RecordDump(*o.poipet, kLeavingCase), RecordDump(*o.kh, kLeavingCase));
}

TEST(ScopeExitTest, ConsentWithdrawnAtTheCapitalIsPurgedInBangkokThroughPoipet) {
  FiveOffices o;
  BangkokHoldsTheCase(o);  // Bangkok had the case from the capital, not from Poi Pet
  SyncOkSummary(*o.poipet, *o.kh);
  WithdrawConsent(*o.kh);
  SyncOkSummary(*o.poipet, *o.kh);  // the withdrawal reaches Poi Pet
  sync::SyncSummary summary = SyncOkSummary(*o.th, *o.poipet);
  EXPECT_EQ(PurgedIds(summary.purged), (std::vector<std::string>{kLeavingCase, kTracing, kReview}));
  ExpectPurged(*o.th, o.DbPath(*o.th), "KH-POIPET");
  ExpectKeptInScope(*o.poipet);
}

TEST(ScopeExitTest, ConsentWithdrawnAtTheCapitalIsPurgedInBangkokByBundle) {
  FiveOffices o;
  BangkokHoldsTheCase(o);
  WithdrawConsent(*o.kh);
  std::string bundle = o.dir.File("kh-to-th.accord-bundle");
  sync::BundleCreateOptions options;
  options.receiver = "TH-MSDHS";
  options.verifier = CredentialsFor(*o.kh).verifier;
  options.receiver_cert_pem = CredentialsFor(*o.th).signer->cert_pem();
  ASSERT_TRUE(sync::CreateBundle(*o.kh, *CredentialsFor(*o.kh).signer, bundle, options).ok());
  auto applied = sync::ApplyBundle(*o.th, *CredentialsFor(*o.th).verifier, bundle,
                                   CredentialsFor(*o.th).signer);
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(PurgedIds(applied->applied.purged),
            (std::vector<std::string>{kLeavingCase, kTracing, kReview}));
  ExpectPurged(*o.th, o.DbPath(*o.th), "KH-NCCT");
  // Applying the same file again changes nothing.
  auto again = sync::ApplyBundle(*o.th, *CredentialsFor(*o.th).verifier, bundle,
                                 CredentialsFor(*o.th).signer);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again->applied.purged.empty());
  EXPECT_FALSE(Holds(*o.th, kLeavingCase));
}

constexpr char kWithdrawnConsentNotes[] = "ไม่ยินยอมให้ส่งต่อข้อมูล-refused-J3V";

TEST(ScopeExitTest, AThaiOfficeThatNeverHeldARefusedCaseHearsNothingOfIt) {
  FiveOffices o;
  // A case Poi Pet opens with consent refused from the start...
  PutOk(*o.poipet, {"case",
                    std::string("case-kh-2026-090"),
                    {{"reference", "KH-2026-090"},
                     {"direction", "TH-KH"},
                     {"consent", "refused"},
                     {"notes", kWithdrawnConsentNotes}}});
  // ...and one Aranyaprathet held until consent was withdrawn.
  OpenSharedCase(*o.kh);
  SyncOkSummary(*o.poipet, *o.kh);
  SyncOkSummary(*o.aranya, *o.kh);
  ASSERT_TRUE(Holds(*o.aranya, kLeavingCase));
  ASSERT_FALSE(Holds(*o.aranya, "case-kh-2026-090"));
  WithdrawConsent(*o.kh);
  // Scope fields of the refused case change after Aranyaprathet's cursor:
  // it is marked national-only.
  PutOk(*o.poipet, {"case", std::string("case-kh-2026-090"), {{"direction", "KH"}}});
  SyncOkSummary(*o.poipet, *o.kh);
  std::string received = testing::RecordedSync(*o.aranya, *o.kh);
  received += testing::RecordedSync(*o.aranya, *o.poipet);
  received += testing::RecordedSync(*o.th, *o.kh);  // Bangkok never held either
  // By bundle too, from scratch: every state and notice the capital has for it.
  std::string bundle = o.dir.File("kh-to-aranya.accord-bundle");
  sync::BundleCreateOptions options;
  options.receiver = "TH-ARANYA";
  options.from_scratch = true;
  options.verifier = CredentialsFor(*o.kh).verifier;
  options.receiver_cert_pem = CredentialsFor(*o.aranya).signer->cert_pem();
  ASSERT_TRUE(sync::CreateBundle(*o.kh, *CredentialsFor(*o.kh).signer, bundle, options).ok());
  received += BundleBytes(bundle, *CredentialsFor(*o.aranya).signer);
  ASSERT_TRUE(sync::ApplyBundle(*o.aranya, *CredentialsFor(*o.aranya).verifier, bundle,
                                CredentialsFor(*o.aranya).signer)
                  .ok());

  EXPECT_FALSE(Holds(*o.aranya, kLeavingCase)) << "the case it held was purged";
  // The notice named the case Aranyaprathet held, and nothing of the other.
  EXPECT_NE(received.find(kLeavingCase), std::string::npos);
  EXPECT_EQ(received.find("case-kh-2026-090"), std::string::npos);
  EXPECT_EQ(received.find("KH-2026-090"), std::string::npos);
  EXPECT_EQ(received.find(kWithdrawnConsentNotes), std::string::npos);
  auto purged = o.aranya->PurgedRecords();
  ASSERT_TRUE(purged.ok());
  EXPECT_EQ(PurgedIds(*purged), (std::vector<std::string>{kLeavingCase, kTracing}));
  auto none = o.th->PurgedRecords();
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

// Adds a scope exit for `record_id` to what the server sends (pull replies)
// or to what the client sends (push requests): what an office with a valid
// certificate could send.
class ForgedNoticeTransport : public sync::Transport {
 public:
  enum class From { kServer, kClient };
  ForgedNoticeTransport(Store& server, const std::string& client, std::string record_id, From from)
      : inner_(server, client), client_(client), record_id_(std::move(record_id)), from_(from) {}
  Result<std::string> RoundTrip(std::string_view op, const std::string& request) override {
    std::string sent = request;
    if (op == "push" && from_ == From::kClient) sent = Forge(request, client_);
    ASSIGN_OR_RETURN(std::string reply, inner_.RoundTrip(op, sent));
    if (op == "pull" && from_ == From::kServer) {
      auto decoded = sync::DecodeFrame(reply);
      if (decoded.ok()) return Forge(reply, decoded->node_id());
    }
    return reply;
  }

 private:
  std::string Forge(const std::string& frame, const std::string& sender) {
    auto envelope = sync::DecodeFrame(frame);
    if (!envelope.ok()) return frame;
    wire::SignedChanges* changes = nullptr;
    if (envelope->has_pull_reply()) {
      changes = envelope->mutable_pull_reply()->mutable_signed_changes();
    } else if (envelope->has_push_request()) {
      changes = envelope->mutable_push_request()->mutable_signed_changes();
    }
    if (!changes) return frame;
    changes->add_scope_exits()->set_record_id(record_id_);
    return sync::EncodeFrame(*envelope, sender).value();
  }
  testing::InProcessTransport inner_;
  std::string client_;
  std::string record_id_;
  From from_;
};

TEST(ScopeExitTest, ANoticeFromAPeerNotEntitledToSendItIsIgnoredReportedAndTheLinkKeepsWorking) {
  FiveOffices o;
  OpenSharedCase(*o.kh);
  SyncOkSummary(*o.th, *o.kh);
  SyncOkSummary(*o.aranya, *o.th);
  SyncOkSummary(*o.poipet, *o.kh);
  ASSERT_TRUE(Holds(*o.th, kLeavingCase));
  // A Thai office tells Bangkok the Cambodian case left its scope: by
  // Bangkok's own values it is still shared, and Aranyaprathet does not
  // speak for Cambodia.
  {
    ForgedNoticeTransport transport(*o.aranya, "TH-MSDHS", kLeavingCase,
                                    ForgedNoticeTransport::From::kServer);
    auto summary = testing::SyncWith(*o.th, transport);
    ASSERT_TRUE(summary.ok()) << summary.status().ToString();
    EXPECT_TRUE(summary->purged.empty());
    ASSERT_EQ(summary->notices_ignored.size(), 1u);
    EXPECT_NE(summary->notices_ignored[0].find("TH-ARANYA"), std::string::npos);
    EXPECT_NE(summary->notices_ignored[0].find(kLeavingCase), std::string::npos);
  }
  EXPECT_TRUE(Holds(*o.th, kLeavingCase));
  EXPECT_TRUE(Holds(*o.th, kTracing));
  // Bangkok tells the capital to purge the capital's own case, and Poi Pet,
  // of the same party, too: never, whoever says it, pulled or pushed.
  for (Store* teller : {o.th.get(), o.poipet.get()}) {
    ForgedNoticeTransport pulled(*teller, "KH-NCCT", kLeavingCase,
                                 ForgedNoticeTransport::From::kServer);
    auto summary = testing::SyncWith(*o.kh, pulled);
    ASSERT_TRUE(summary.ok()) << summary.status().ToString();
    EXPECT_TRUE(summary->purged.empty());
    ASSERT_EQ(summary->notices_ignored.size(), 1u);
    EXPECT_NE(summary->notices_ignored[0].find("own party"), std::string::npos);
  }
  PutOk(*o.th, {"case", std::string(kLeavingCase), {{"step", "family_assessment"}}});
  {
    ForgedNoticeTransport pushed(*o.kh, "TH-MSDHS", kLeavingCase,
                                 ForgedNoticeTransport::From::kClient);
    auto summary = testing::SyncWith(*o.th, pushed);
    ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  }
  ASSERT_TRUE(Holds(*o.kh, kLeavingCase));
  EXPECT_EQ(StepOf(*o.kh), "family_assessment")
      << "the push went in with the forged notice beside it";
  auto purged = o.kh->PurgedRecords();
  ASSERT_TRUE(purged.ok());
  EXPECT_TRUE(purged->empty());
  // The links keep working: the next honest syncs move data both ways.
  PutOk(*o.kh, {"case", std::string(kLeavingCase), {{"next_review", "2026-06-01"}}});
  SyncOkSummary(*o.th, *o.kh);
  auto record = o.th->Get(kLeavingCase);
  ASSERT_TRUE(record.ok());
  ASSERT_NE(record->Value("next_review"), nullptr);
  EXPECT_EQ(*record->Value("next_review"), std::optional<std::string>("2026-06-01"));
}

TEST(ScopeExitTest, ConsentGivenAgainBringsTheWholeCaseBackWithItsConflictAndBangkoksReview) {
  FiveOffices o;
  BangkokHoldsTheCase(o);
  std::string before_case = RecordDump(*o.kh, kLeavingCase);
  WithdrawConsent(*o.kh);
  SyncOkSummary(*o.th, *o.kh);
  ASSERT_FALSE(Holds(*o.th, kLeavingCase));
  // The victim agrees again, at Poi Pet; the capital hears of it first.
  SyncOkSummary(*o.poipet, *o.kh);
  PutOk(*o.poipet, {"case",
                    std::string(kLeavingCase),
                    {{"consent", "given"},
                     {"consent_recorded_by", "Social worker, Poi Pet Transit Center"},
                     {"consent_recorded_on", "2026-07-10"}}});
  SyncOkSummary(*o.poipet, *o.kh);
  sync::SyncSummary summary = SyncOkSummary(*o.th, *o.kh);
  EXPECT_TRUE(summary.purged.empty());
  for (const char* id : {kLeavingCase, kTracing, kReview}) {
    ASSERT_TRUE(Holds(*o.th, id)) << id;
    EXPECT_EQ(RecordDump(*o.th, id), RecordDump(*o.kh, id)) << id;
  }
  EXPECT_EQ(o.th->Get(kLeavingCase)->conflicts.count("notes"), 1u)
      << "the conflict made before the withdrawal is back";
  auto notes = o.th->History(kLeavingCase, std::string("notes"));
  ASSERT_TRUE(notes.ok());
  EXPECT_EQ(notes->size(), 2u) << "both live values of the notes, with who wrote them";
  // The entry that it was purged stays: the office held it, and purged it once.
  auto purged = o.th->PurgedRecords();
  ASSERT_TRUE(purged.ok());
  EXPECT_EQ(purged->size(), 3u);
  // And it keeps working both ways: Bangkok's next edit reaches the capital.
  PutOk(*o.th, {"case", std::string(kLeavingCase), {{"step", "repatriation_approved"}}});
  SyncOkSummary(*o.th, *o.kh);
  EXPECT_EQ(StepOf(*o.kh), "repatriation_approved");
  EXPECT_NE(before_case, "");
}

TEST(ScopeExitTest, StatesOfAPurgedCaseFromAnOfficeThatHasNotHeardAreNotKept) {
  FiveOffices o;
  BangkokHoldsTheCase(o);
  SyncOkSummary(*o.poipet, *o.kh);
  WithdrawConsent(*o.kh);
  SyncOkSummary(*o.th, *o.kh);
  ASSERT_FALSE(Holds(*o.th, kLeavingCase));
  // Poi Pet has not heard of the withdrawal, edits the case and syncs with
  // Bangkok: what it sends of the case does not stay.
  const std::string shelter = "ศูนย์คุ้มครองเด็กสระแก้ว-Y8T";
  PutOk(*o.poipet, {"case", std::string(kLeavingCase), {{"shelter", shelter}}});
  sync::SyncSummary summary = SyncOkSummary(*o.th, *o.poipet);
  EXPECT_FALSE(Holds(*o.th, kLeavingCase));
  EXPECT_EQ(RowsAbout(*o.th, kLeavingCase), 0);
  EXPECT_EQ(PurgedIds(summary.purged), std::vector<std::string>{kLeavingCase});
  std::string bytes = ReadAll(o.DbPath(*o.th)) + ReadAll(o.DbPath(*o.th) + "-wal");
  // (Whole strings: a few bytes could turn up by chance among salts and signatures.)
  EXPECT_EQ(bytes.find(shelter), std::string::npos);
}

TEST(ScopeExitTest, ACopyArrivingAfterTheOwnerSaidTheCaseLeftIsNotKept) {
  FiveOffices o;
  OpenSharedCase(*o.kh);
  SyncOkSummary(*o.th, *o.kh);
  WithdrawConsent(*o.kh);
  // Aranyaprathet, of a party the case was shared with, hears it left
  // before any copy reaches it...
  sync::SyncSummary told = SyncOkSummary(*o.aranya, *o.kh);
  EXPECT_TRUE(told.purged.empty());
  ASSERT_FALSE(Holds(*o.aranya, kLeavingCase));
  // ...from Bangkok, which has not heard yet.
  sync::SyncSummary summary = SyncOkSummary(*o.aranya, *o.th);
  EXPECT_FALSE(Holds(*o.aranya, kLeavingCase));
  EXPECT_FALSE(Holds(*o.aranya, kTracing));
  EXPECT_EQ(RowsAbout(*o.aranya, kLeavingCase), 0);
  EXPECT_EQ(PurgedIds(summary.purged), (std::vector<std::string>{kLeavingCase, kTracing}));
  EXPECT_EQ(MarkersOnDisk(o.DbPath(*o.aranya)), std::vector<std::string>{});
  // Bangkok hears it from the capital in turn.
  SyncOkSummary(*o.th, *o.kh);
  EXPECT_FALSE(Holds(*o.th, kLeavingCase));
}

// An office edits a record so that its own party may no longer hold it (the
// capital takes Cambodia off a trilateral plan a Thai office opened): the
// change goes out like any other, and the office purges the plan when it
// next hears from an office holding that change.
TEST(ScopeExitTest, AnOfficeThatTakesAPlanOutOfItsOwnScopePurgesItAtItsNextSync) {
  FiveOffices o;
  PutOk(*o.aranya, {"plan",
                    std::string("plan-thvn-2026"),
                    {{"title", "แผนไตรภาคี ไทย–กัมพูชา–เวียดนาม"}, {"parties", "KH,TH,VN"}}});
  SyncOkSummary(*o.kh, *o.aranya);
  SyncOkSummary(*o.vn, *o.kh);
  ASSERT_TRUE(Holds(*o.kh, "plan-thvn-2026"));
  PutOk(*o.kh, {"plan", std::string("plan-thvn-2026"), {{"parties", "TH,VN"}}});
  SyncOkSummary(*o.kh, *o.vn);      // the change reaches Viet Nam
  SyncOkSummary(*o.aranya, *o.vn);  // and the Thai office that opened the plan
  sync::SyncSummary summary = SyncOkSummary(*o.kh, *o.vn);
  EXPECT_FALSE(Holds(*o.kh, "plan-thvn-2026"));
  EXPECT_TRUE(summary.notices_ignored.empty());
  auto purged = o.kh->PurgedRecords();
  ASSERT_TRUE(purged.ok());
  ASSERT_EQ(purged->size(), 1u);
  EXPECT_EQ((*purged)[0].notice_from, "VN-MOPS");
  // Viet Nam, named in the plan, keeps it, with the capital's change.
  EXPECT_EQ(RecordDump(*o.vn, "plan-thvn-2026"), RecordDump(*o.aranya, "plan-thvn-2026"));
}

}  // namespace
}  // namespace accord
