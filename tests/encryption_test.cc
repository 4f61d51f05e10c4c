// Encryption at rest of personal data (docs/encryption.md, issue 12): a node
// whose case data is encrypted keeps no case value in its database file,
// WAL or free pages, works as before with its key, refuses personal reads
// clearly without it, and detects a cell that was altered or moved.
#include <sqlite3.h>

#include <fstream>
#include <sstream>

#include "core/cell_cipher.h"
#include "core/conflicts.h"
#include "core/hex.h"
#include "sync/bundle.h"
#include "test_support.h"
#include "tests/file_bytes.h"

namespace accord {
namespace {

using testing::FakeClock;
using testing::SharedCase;
using testing::SyncOk;
using testing::TempDir;

// Unique words in the offices' scripts, each written into one place of a
// case: if a byte search finds one, that place is stored in clear.
struct Marker {
  const char* where;
  std::string text;
};
const std::vector<Marker> kCaseMarkers = {
    {"reference", "KH-2026-ZQX7731"},
    {"initials", "ជួញដូរ-សម្ងាត់-៧៧"},          // Khmer
    {"shelter", "บ้านพักลับเฉพาะ-๔๒"},         // Thai
    {"case_manager", "Nguyễn Thị Bí Mật"},  // Vietnamese
    {"vulnerability", "秘密标记病例九九"},  // Chinese
    {"notes", "first notes: ASCII-NOTES-MARKER-5521"},
};
const std::string kHistoryMarker = "OLD-INITIALS-HISTORY-MARKER-8812";
const std::string kSiblingMarker = "ที่พักพิงขัดแย้ง-THAI-SIBLING";  // Bangkok's concurrent shelter
const std::string kResolutionNote = "RESOLUTION-NOTE-MARKER-3390";
const std::string kPlanMarker = "PLAN-TITLE-CLEAR-MARKER-4410";

std::vector<std::string> AllCaseMarkers() {
  std::vector<std::string> all = {kHistoryMarker, kSiblingMarker, kResolutionNote};
  for (const auto& m : kCaseMarkers) all.push_back(m.text);
  return all;
}

// The markers a byte search of the database file (free pages included) and
// its WAL finds.
std::vector<std::string> FoundOnDisk(const std::string& db_path,
                                     const std::vector<std::string>& markers) {
  std::string bytes = testing::FileBytes(db_path) + testing::FileBytes(db_path + "-wal");
  std::vector<std::string> found;
  for (const auto& m : markers) {
    if (bytes.find(m) != std::string::npos) found.push_back(m);
  }
  return found;
}

std::shared_ptr<const DataKey> NewKey() {
  return std::make_shared<const DataKey>(DataKey::Generate());
}

struct Offices {
  TempDir dir;
  FakeClock clock;
  std::shared_ptr<const DataKey> kh_key = NewKey();
  std::unique_ptr<Store> kh, th;
  std::string case_id, plan_id;

  std::string KhPath() const { return dir.File("KH-NCCT.db"); }

  // KH-NCCT encrypted from its init (with `kh_key`, or clear to encrypt
  // later), TH-MSDHS clear.
  explicit Offices(bool kh_encrypted = true) {
    auto made = Store::Create(KhPath(), "KH-NCCT",
                              StoreOptions{clock.Fn(), kh_encrypted ? kh_key : nullptr});
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    kh = std::move(made).value();
    th = testing::NewStore(dir, "TH-MSDHS", clock);
  }

  // A case opened by Cambodia, shared with Thailand, its initials changed
  // (history), and its shelter edited by both at once (a conflict sibling),
  // then resolved with a note; and a plan.
  void WriteCaseWork() {
    std::vector<FieldWrite> fields;
    for (const auto& m : kCaseMarkers) fields.push_back({m.where, m.text});
    fields[1].value = kHistoryMarker;  // initials: the first value, replaced below
    auto id = kh->Put({"case", std::nullopt, SharedCase("KH-TH", fields)});
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    case_id = *id;
    ASSERT_TRUE(kh->Put({"case", case_id, {{"initials", kCaseMarkers[1].text}}}).ok());
    auto plan = kh->Put({"plan", std::nullopt, {{"title", kPlanMarker}, {"parties", "KH,TH"}}});
    ASSERT_TRUE(plan.ok()) << plan.status().ToString();
    plan_id = *plan;
    SyncOk(*th, *kh);
    // Concurrent edits of the shelter: Bangkok's value arrives as a sibling.
    ASSERT_TRUE(th->Put({"case", case_id, {{"shelter", kSiblingMarker}}}).ok());
    ASSERT_TRUE(kh->Put({"case", case_id, {{"shelter", "Poi Pet transit centre"}}}).ok());
    SyncOk(*kh, *th);
  }

  void Resolve() {
    auto conflicts = ListConflicts(*kh);
    ASSERT_TRUE(conflicts.ok()) << conflicts.status().ToString();
    ASSERT_EQ(conflicts->size(), 1u);
    ASSERT_TRUE(kh->WriteResolution(case_id, "shelter", kSiblingMarker, kResolutionNote).ok());
  }
};

TEST(EncryptionAtRest, CaseValuesHistoryAndSiblingsNeverReachTheDiskInClear) {
  Offices o;
  o.WriteCaseWork();
  // Before the resolution: the sibling is live on both nodes.
  auto view = o.kh->Get(o.case_id);
  ASSERT_TRUE(view.ok()) << view.status().ToString();
  ASSERT_EQ(view->conflicts.count("shelter"), 1u);
  o.Resolve();
  SyncOk(*o.th, *o.kh);

  // Bangkok (clear) holds every marker but the initials Cambodia replaced
  // before the first sync (a sync sends live versions): the search finds them.
  EXPECT_EQ(FoundOnDisk(o.dir.File("TH-MSDHS.db"), AllCaseMarkers()).size(),
            AllCaseMarkers().size() - 1);
  // Cambodia (encrypted) holds none of them, live, history or sibling.
  EXPECT_EQ(FoundOnDisk(o.KhPath(), AllCaseMarkers()), std::vector<std::string>());
  // The plan stays clear, for the SQL views.
  EXPECT_EQ(FoundOnDisk(o.KhPath(), {kPlanMarker}).size(), 1u);

  // With the key, every read works as before, and both nodes dump the same.
  EXPECT_EQ(testing::DumpOf(*o.kh), testing::DumpOf(*o.th));
  auto history = o.kh->History(o.case_id, std::string("initials"));
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  ASSERT_EQ(history->size(), 2u);
  EXPECT_EQ((*history)[0].version.value, kHistoryMarker);
  EXPECT_EQ((*history)[1].version.value, kCaseMarkers[1].text);
  auto shelter = o.kh->History(o.case_id, std::string("shelter"));
  ASSERT_TRUE(shelter.ok());
  EXPECT_EQ(shelter->back().version.note, kResolutionNote);
  auto listed = o.kh->List("case", FieldWrite{"case_manager", kCaseMarkers[3].text});
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id, o.case_id);
}

TEST(EncryptionAtRest, AnEncryptedNodeSyncsBothWaysWithAClearOne) {
  Offices o;
  o.WriteCaseWork();
  // Bangkok writes a case of its own; Cambodia receives and seals it.
  auto th_case = o.th->Put({"case", std::nullopt,
                            SharedCase("TH-KH", {{"reference", "TH-2026-RECEIVED-MARKER"},
                                                 {"notes", "ข้อความลับจากกรุงเทพ"}})});
  ASSERT_TRUE(th_case.ok());
  SyncOk(*o.kh, *o.th);
  SyncOk(*o.th, *o.kh);
  EXPECT_EQ(testing::DumpOf(*o.kh), testing::DumpOf(*o.th));
  EXPECT_EQ(FoundOnDisk(o.KhPath(), {"TH-2026-RECEIVED-MARKER", "ข้อความลับจากกรุงเทพ"}),
            std::vector<std::string>());
  auto got = o.kh->Get(*th_case);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got->Value("reference"), "TH-2026-RECEIVED-MARKER");
}

TEST(EncryptionAtRest, WithoutTheKeyPersonalDataIsLockedAndPlansStillWork) {
  Offices o;
  o.WriteCaseWork();
  o.kh.reset();
  std::string before = testing::FileBytes(o.KhPath());
  auto locked = Store::Open(o.KhPath(), StoreOptions{o.clock.Fn(), nullptr});
  ASSERT_TRUE(locked.ok()) << locked.status().ToString();
  Store& kh = **locked;
  EXPECT_TRUE(kh.encrypted());
  EXPECT_FALSE(kh.unlocked());

  auto plan = kh.Get(o.plan_id);
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(*plan->Value("title"), kPlanMarker);
  auto the_case = kh.Get(o.case_id);
  ASSERT_FALSE(the_case.ok());
  EXPECT_EQ(the_case.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(the_case.status().message().find("personal data is locked"), std::string::npos);
  EXPECT_FALSE(kh.History(o.case_id, std::nullopt).ok());
  // A write of personal data is refused whole; nothing of it is stored.
  auto write = kh.Put({"case", std::nullopt, {{"reference", "LOCKED-WRITE-MARKER"}}});
  ASSERT_FALSE(write.ok());
  EXPECT_NE(write.status().message().find("personal data is locked"), std::string::npos);
  EXPECT_EQ(FoundOnDisk(o.KhPath(), {"LOCKED-WRITE-MARKER"}), std::vector<std::string>());
  EXPECT_EQ(testing::FileBytes(o.KhPath()), before);
  auto status = kh.GetStatus();
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->records_per_type["case"], 1);
  // Plans and meetings are written and listed as ever.
  ASSERT_TRUE(kh.Put({"plan", o.plan_id, {{"status", "draft"}}}).ok());
  EXPECT_TRUE(kh.List("plan").ok());
}

TEST(EncryptionAtRest, AWrongKeyIsRefusedAndChangesNothing) {
  Offices o;
  o.WriteCaseWork();
  o.kh.reset();
  std::string before = testing::FileBytes(o.KhPath());
  auto wrong = Store::Open(o.KhPath(), StoreOptions{o.clock.Fn(), NewKey()});
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), Code::kPermissionDenied);
  EXPECT_NE(wrong.status().message().find("not this node's data key"), std::string::npos);
  EXPECT_EQ(testing::FileBytes(o.KhPath()), before);
}

// Runs one SQL statement on the database file behind the store's back.
void RawSql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
      << (error ? error : "");
  sqlite3_free(error);
  sqlite3_close(db);
}

// Flips a bit inside the sealed value of each version of (record, field).
void FlipCellBit(const std::string& path, const std::string& record_id, const std::string& field) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* read = nullptr;
  sqlite3_prepare_v2(db, "SELECT seq, value FROM versions WHERE record_id = ? AND field = ?", -1,
                     &read, nullptr);
  sqlite3_bind_text(read, 1, record_id.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(read, 2, field.c_str(), -1, SQLITE_TRANSIENT);
  std::vector<std::pair<int64_t, std::string>> cells;
  while (sqlite3_step(read) == SQLITE_ROW) {
    ASSERT_EQ(sqlite3_column_type(read, 1), SQLITE_BLOB);
    const char* bytes = static_cast<const char*>(sqlite3_column_blob(read, 1));
    cells.emplace_back(sqlite3_column_int64(read, 0),
                       std::string(bytes, static_cast<size_t>(sqlite3_column_bytes(read, 1))));
  }
  sqlite3_finalize(read);
  ASSERT_FALSE(cells.empty());
  sqlite3_stmt* write = nullptr;
  sqlite3_prepare_v2(db, "UPDATE versions SET value = ? WHERE seq = ?", -1, &write, nullptr);
  for (auto& [seq, cell] : cells) {
    cell[40] = static_cast<char>(cell[40] ^ 1);
    sqlite3_bind_blob(write, 1, cell.data(), static_cast<int>(cell.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int64(write, 2, seq);
    EXPECT_EQ(sqlite3_step(write), SQLITE_DONE);
    sqlite3_reset(write);
  }
  sqlite3_finalize(write);
  sqlite3_close(db);
}

TEST(EncryptionAtRest, ACellAlteredOrMovedToAnotherRowDoesNotOpen) {
  Offices o;
  o.WriteCaseWork();
  o.kh.reset();
  auto reopen = [&] {
    auto store = Store::Open(o.KhPath(), StoreOptions{o.clock.Fn(), o.kh_key});
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return std::move(store).value();
  };
  // Swap the sealed initials and reference of the case: each is a valid
  // cell under the key, but bound to its own row.
  RawSql(o.KhPath(),
         "UPDATE versions SET value = (SELECT value FROM versions WHERE field = 'reference' "
         "AND state = 2) WHERE field = 'initials' AND state = 2 AND record_id = '" +
             o.case_id + "'");
  {
    auto kh = reopen();
    auto got = kh->Get(o.case_id);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.status().code(), Code::kCorruption);
    EXPECT_NE(got.status().message().find("initials"), std::string::npos);
  }
  // Flip one bit of the ciphertext of the notes.
  FlipCellBit(o.KhPath(), o.case_id, "notes");
  auto kh = reopen();
  auto history = kh->History(o.case_id, std::string("notes"));
  ASSERT_FALSE(history.ok());
  EXPECT_EQ(history.status().code(), Code::kCorruption);
}

TEST(EncryptionAtRest, EncryptingANodeWithDataLeavesNoClearCopyInFileWalOrFreePages) {
  Offices o(/*kh_encrypted=*/false);
  o.WriteCaseWork();
  o.Resolve();
  // Clear so far: the search finds every marker.
  EXPECT_EQ(FoundOnDisk(o.KhPath(), AllCaseMarkers()).size(), AllCaseMarkers().size());
  std::string dump_before = testing::DumpOf(*o.kh);
  auto report = o.kh->EncryptPersonalData(o.kh_key);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_GE(report->cells_sealed, 15);  // 13 values, a note, a sibling
  EXPECT_EQ(FoundOnDisk(o.KhPath(), AllCaseMarkers()), std::vector<std::string>());
  EXPECT_EQ(FoundOnDisk(o.KhPath(), {kPlanMarker}).size(), 1u);
  EXPECT_EQ(testing::DumpOf(*o.kh), dump_before);
  // Run again: nothing left to seal.
  auto again = o.kh->EncryptPersonalData(o.kh_key);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->cells_sealed, 0);
  // Writes and syncs after it go on, sealed.
  ASSERT_TRUE(o.kh->Put({"case", o.case_id, {{"notes", "AFTER-ENCRYPT-NOTE-MARKER"}}}).ok());
  SyncOk(*o.th, *o.kh);
  EXPECT_EQ(testing::DumpOf(*o.kh), testing::DumpOf(*o.th));
  o.kh.reset();
  EXPECT_EQ(FoundOnDisk(o.KhPath(), {"AFTER-ENCRYPT-NOTE-MARKER"}), std::vector<std::string>());
  // Reopened with the key: everything reads.
  auto reopened = Store::Open(o.KhPath(), StoreOptions{o.clock.Fn(), o.kh_key});
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ(testing::DumpOf(**reopened), testing::DumpOf(*o.th));
}

// `accord serve` opened a clear node; an officer runs `accord encrypt`
// meanwhile. The server must not go on storing cases in clear.
TEST(EncryptionAtRest, AProcessOpenedBeforeEncryptionStopsWritingInsteadOfWritingClear) {
  Offices o(/*kh_encrypted=*/false);
  o.WriteCaseWork();
  auto server = Store::Open(o.KhPath(), StoreOptions{o.clock.Fn(), nullptr});
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  ASSERT_TRUE(o.kh->EncryptPersonalData(o.kh_key).ok());
  auto write = (*server)->Put({"case", o.case_id, {{"notes", "STALE-PROCESS-MARKER"}}});
  ASSERT_FALSE(write.ok());
  EXPECT_EQ(write.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(write.status().message().find("encrypted"), std::string::npos);
  auto th_case = o.th->Put({"case", o.case_id, {{"notes", "STALE-SYNC-MARKER"}}});
  ASSERT_TRUE(th_case.ok());
  testing::InProcessTransport transport(**server, o.th->node_id());
  EXPECT_FALSE(testing::SyncWith(*o.th, transport).ok());
  EXPECT_EQ(FoundOnDisk(o.KhPath(), {"STALE-PROCESS-MARKER", "STALE-SYNC-MARKER"}),
            std::vector<std::string>());
}

// A deployment marks another type personal: `accord encrypt --personal`
// seals what is held of it, and every later write of it.
TEST(EncryptionAtRest, ATypeTheDeploymentMarksPersonalIsSealedFromThenOn) {
  Offices o;
  auto party =
      o.kh->Put({"party",
                 std::nullopt,
                 {{"code", "P1"}, {"name", "PARTY-BEFORE-MARKER"}, {"kind", "government"}}});
  ASSERT_TRUE(party.ok()) << party.status().ToString();
  EXPECT_EQ(FoundOnDisk(o.KhPath(), {"PARTY-BEFORE-MARKER"}).size(), 1u);
  auto unknown = o.kh->EncryptPersonalData(o.kh_key, {"no_such_type"});
  EXPECT_EQ(unknown.status().code(), Code::kInvalidArgument);
  auto report = o.kh->EncryptPersonalData(o.kh_key, {"party"});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->cells_sealed, 3);  // code, name, kind
  o.kh.reset();
  auto reopened = Store::Open(o.KhPath(), StoreOptions{o.clock.Fn(), o.kh_key});
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  ASSERT_TRUE((*reopened)->Put({"party", *party, {{"name", "PARTY-AFTER-MARKER"}}}).ok());
  EXPECT_EQ(FoundOnDisk(o.KhPath(), {"PARTY-BEFORE-MARKER", "PARTY-AFTER-MARKER"}),
            std::vector<std::string>());
  auto got = (*reopened)->Get(*party);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got->Value("name"), "PARTY-AFTER-MARKER");
}

// A border office with no link: a bundle from the encrypted node carries the
// case (in the signed file, as before) and the clear node applies it; one
// back is sealed as it is stored.
TEST(EncryptionAtRest, BundlesTravelBetweenAnEncryptedAndAClearOffice) {
  Offices o;
  std::vector<FieldWrite> fields;
  for (const auto& m : kCaseMarkers) fields.push_back({m.where, m.text});
  auto id = o.kh->Put({"case", std::nullopt, SharedCase("KH-TH", fields)});
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  auto& deployment = testing::TestDeployment::Get();
  const sync::PeerVerifier& verifier = *deployment.For("KH-NCCT").verifier;
  auto send = [&](Store& from, Store& to, const std::string& name) {
    sync::BundleCreateOptions options;
    options.receiver = to.node_id();
    ASSERT_TRUE(sync::LearnPeerParty(from, verifier,
                                     deployment.For(to.node_id()).signer->cert_pem(), to.node_id())
                    .ok());
    options.verifier = &verifier;
    options.receiver_cert_pem = deployment.For(to.node_id()).signer->cert_pem();
    auto created =
        sync::CreateBundle(from, *deployment.For(from.node_id()).signer, o.dir.File(name), options);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    auto applied =
        sync::ApplyBundle(to, verifier, o.dir.File(name), deployment.For(to.node_id()).signer);
    ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  };
  send(*o.kh, *o.th, "to-th.bundle");
  ASSERT_TRUE(o.th->Put({"case", *id, {{"notes", "BUNDLE-BACK-NOTE-MARKER"}}}).ok());
  send(*o.th, *o.kh, "to-kh.bundle");
  EXPECT_EQ(testing::DumpOf(*o.kh), testing::DumpOf(*o.th));
  std::vector<std::string> markers = {"BUNDLE-BACK-NOTE-MARKER"};
  for (const auto& m : kCaseMarkers) markers.push_back(m.text);
  EXPECT_EQ(FoundOnDisk(o.KhPath(), markers), std::vector<std::string>());
}

// The origin's signed bytes, kept when the columns do not re-serialise to
// them (a newer node's unknown protobuf fields), hold the value too: they are
// sealed whole and read back byte for byte, for the signature checks.
TEST(EncryptionAtRest, KeptSignedBytesAreSealedWholeAndReadBackExactly) {
  Offices o(/*kh_encrypted=*/false);
  o.WriteCaseWork();
  const std::string kept = std::string(
                               "\x0a\x05"
                               "case1",
                               7) +
                           "WIRE-BYTES-MARKER-7781" + std::string("\xfa\x3f\x01\x00", 4);
  RawSql(o.KhPath(), "UPDATE versions SET wire = x'" + HexEncode(kept) + "' WHERE record_id = '" +
                         o.case_id + "' AND field = 'reference'");
  ASSERT_EQ(FoundOnDisk(o.KhPath(), {"WIRE-BYTES-MARKER-7781"}).size(), 1u);
  auto report = o.kh->EncryptPersonalData(o.kh_key);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(FoundOnDisk(o.KhPath(), {"WIRE-BYTES-MARKER-7781"}), std::vector<std::string>());
  auto history = o.kh->History(o.case_id, std::string("reference"));
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  ASSERT_EQ(history->size(), 1u);
  EXPECT_EQ((*history)[0].version.wire, kept);
}

TEST(CellCipher, OnlyPersonalTypesAndNonReferenceFieldsAreSealed) {
  CellCipher cipher("id", NewKey());
  EXPECT_TRUE(cipher.Seals("case", "reference"));
  EXPECT_TRUE(cipher.Seals("case", "consent"));
  EXPECT_TRUE(cipher.Seals("family_tracing", "assessment_notes"));
  EXPECT_TRUE(cipher.Seals("case_review", "discussion"));
  EXPECT_TRUE(cipher.Seals("a_type_from_a_newer_node", "anything"));
  EXPECT_FALSE(cipher.Seals("case_review", "case"));  // a record id, for the sharing index
  EXPECT_FALSE(cipher.Seals("case", "_deleted"));
  EXPECT_FALSE(cipher.Seals("plan", "title"));
  EXPECT_FALSE(cipher.Seals("meeting", "venue"));
  EXPECT_FALSE(CellCipher().Seals("case", "reference"));  // a clear node
}

TEST(CellCipher, ACellOpensOnlyInItsOwnRowAndColumn) {
  CellCipher cipher("id", NewKey());
  CellRow row{"case-1", "notes", "KH-NCCT:3"};
  auto sealed = cipher.Seal(CellColumn::kValue, row, "ជួញដូរ");
  ASSERT_TRUE(sealed.ok());
  EXPECT_TRUE(CellCipher::IsSealed(*sealed));
  EXPECT_EQ(sealed->find("ជួញដូរ"), std::string::npos);
  auto opened = cipher.Open(CellColumn::kValue, row, *sealed);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, "ជួញដូរ");
  EXPECT_FALSE(cipher.Open(CellColumn::kNote, row, *sealed).ok());
  EXPECT_FALSE(cipher.Open(CellColumn::kValue, {"case-2", "notes", "KH-NCCT:3"}, *sealed).ok());
  EXPECT_FALSE(cipher.Open(CellColumn::kValue, {"case-1", "notes", "KH-NCCT:4"}, *sealed).ok());
  EXPECT_FALSE(CellCipher("id", NewKey()).Open(CellColumn::kValue, row, *sealed).ok());
  auto locked = CellCipher("id", nullptr).Open(CellColumn::kValue, row, *sealed);
  EXPECT_EQ(locked.status().code(), Code::kFailedPrecondition);
}

}  // namespace
}  // namespace accord
