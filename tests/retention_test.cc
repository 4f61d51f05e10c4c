// Retention (issue 12.5, docs/sharing.md "Retention"): the deployment's
// signed policy says how long superseded values of personal data are kept;
// older ones are pruned with secure deletion, and sync goes on as before.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "core/retention.h"
#include "sync/signed_changes.h"
#include "sync/signed_policy.h"
#include "tests/file_bytes.h"
#include "tests/store_peek.h"
#include "tests/test_support.h"

namespace accord {
namespace {

using nlohmann::json;
using testing::FakeClock;
using testing::NewStore;
using testing::PutOk;
using testing::SharedCase;
using testing::SyncOk;
using testing::TempDir;
using testing::TestDeployment;

// Unique values in the offices' scripts: where a byte search finds one, the
// value is on disk.
const std::string kOpeningReference = "KH-2026-RETAIN-OPENING-4471";
const std::string kOldInitialsKhmer = "ឈ្មោះចាស់-លុបចោល-៣១";             // replaced day 1
const std::string kOldInitialsThai = "ชื่อเก่า-ต้องลบทิ้ง-๕๒";              // replaced day 10
const std::string kRecentInitialsViet = "Tên cũ gần đây-giữ lại-77";  // replaced day 50
const std::string kCurrentInitials = "ឈ្មោះបច្ចុប្បន្ន-៩៩";
const std::string kSiblingThai = "ผู้จัดการกรณีขัดแย้ง-พี่น้อง-18";  // Bangkok's, concurrent
const std::string kSiblingKhmer = "អ្នកគ្រប់គ្រងករណី-ខាងកម្ពុជា-18";
const std::string kOldPlanTitle = "PLAN-TITLE-HISTORY-MARKER-6021";
const std::string kOldMeetingTitle = "Cuộc họp cũ-LỊCH SỬ-MEETING-5530";

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

std::string CaKey() {
  std::string pem = TestDeployment::Get().ca_pem();
  return pem.substr(0, pem.size() - std::string("ca.pem").size()) + "ca.key";
}

// The built-in policy as version `version` with a retention section.
std::string PolicyWithRetention(int version, const json& superseded_days) {
  json doc = json::parse(SharingPolicy::Default().ToJson());
  doc["version"] = version;
  doc["retention"] = {{"superseded_days", superseded_days}};
  return doc.dump(2);
}

std::string Signed(const std::string& policy) {
  auto signed_text = sync::SignPolicy(policy, TestDeployment::Get().ca_pem(), CaKey());
  EXPECT_TRUE(signed_text.ok()) << signed_text.status().ToString();
  return signed_text.ok() ? *signed_text : "";
}

void Install(Store& store, const std::string& signed_text) {
  auto taken = sync::TakeSignedPolicy(store, *TestDeployment::Get().For(store.node_id()).verifier,
                                      signed_text, "installed");
  ASSERT_TRUE(taken.ok()) << taken.status().ToString();
}

// Personal data kept 30 days once replaced; plans named too, to show that a
// type that is not personal keeps its history.
const json kThirtyDays = {{"case", 30}, {"family_tracing", 30}, {"plan", 30}};

struct Offices {
  TempDir dir;
  FakeClock clock;
  std::unique_ptr<Store> kh = NewStore(dir, "KH-NCCT", clock);
  std::unique_ptr<Store> th = NewStore(dir, "TH-MSDHS", clock);
  std::unique_ptr<Store> border = NewStore(dir, "KH-POIPET", clock);
  std::string case_id, plan_id, meeting_id;

  std::string KhPath() const { return dir.File("KH-NCCT.db"); }
  void Days(int days) { clock.now->fetch_add(days * kMsPerDay); }

  // Cambodia opens a case shared with Thailand (day 0) and replaces its
  // initials on days 1, 10 and 50; its reference and direction change on
  // day 1. Bangkok and Cambodia set the case manager at once (day 5): an
  // open conflict. A plan and a meeting get new titles on day 1.
  void WriteHistory() {
    auto id = kh->Put({"case", std::nullopt,
                       SharedCase("KH-TH", {{"reference", kOpeningReference},
                                            {"initials", kOldInitialsKhmer},
                                            {"shelter", "Poi Pet transit centre"}})});
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    case_id = *id;
    auto plan = kh->Put({"plan", std::nullopt, {{"title", kOldPlanTitle}, {"parties", "KH,TH"}}});
    ASSERT_TRUE(plan.ok()) << plan.status().ToString();
    plan_id = *plan;
    auto meeting = kh->Put(
        {"meeting",
         std::nullopt,
         {{"title", kOldMeetingTitle}, {"start_date", "2026-03-04"}, {"related_plan", plan_id}}});
    ASSERT_TRUE(meeting.ok()) << meeting.status().ToString();
    meeting_id = *meeting;
    SyncOk(*th, *kh);
    Days(1);
    PutOk(*kh,
          {"case",
           case_id,
           {{"initials", kOldInitialsThai}, {"reference", "KH-2026-014"}, {"direction", "TH-KH"}}});
    PutOk(*kh, {"plan", plan_id, {{"title", "Joint plan 2026-2030"}}});
    PutOk(*kh, {"meeting", meeting_id, {{"title", "Bilateral meeting, Siem Reap"}}});
    Days(4);
    PutOk(*th, {"case", case_id, {{"case_manager", kSiblingThai}}});
    PutOk(*kh, {"case", case_id, {{"case_manager", kSiblingKhmer}}});
    SyncOk(*kh, *th);
    Days(5);
    PutOk(*kh, {"case", case_id, {{"initials", kRecentInitialsViet}}});
    Days(40);
    PutOk(*kh, {"case", case_id, {{"initials", kCurrentInitials}}});
    Days(10);  // day 60
  }
};

Result<RetentionReport> Prune(Store& store, bool dry_run = false) {
  return store.PruneSuperseded(dry_run);
}

const RetentionOfType* OfType(const RetentionReport& report, const std::string& type) {
  for (const auto& t : report.types) {
    if (t.type == type) return &t;
  }
  return nullptr;
}

TEST(RetentionPolicy, ParsesRetentionKeepsUnknownKeysAsideAndRefusesBadPeriods) {
  auto parsed = SharingPolicy::Parse(PolicyWithRetention(2, {{"case", 365}}));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->superseded_days.at("case"), 365);
  // Written back by `policy show --json`, read again the same.
  auto again = SharingPolicy::Parse(parsed->ToJson());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->superseded_days, parsed->superseded_days);
  // A later build's rule this one does not know is left alone.
  json later = json::parse(PolicyWithRetention(3, {{"case", 90}}));
  later["retention"]["tombstone_days"] = 400;
  auto newer = SharingPolicy::Parse(later.dump());
  ASSERT_TRUE(newer.ok()) << newer.status().ToString();
  EXPECT_EQ(newer->superseded_days.at("case"), 90);
  // Without retention, the text is what builds before retention wrote.
  EXPECT_EQ(SharingPolicy::Default().ToJson().find("retention"), std::string::npos);
  for (const json& bad : {json(0), json(-5), json("30"), json(36501), json(1.5)}) {
    auto refused = SharingPolicy::Parse(PolicyWithRetention(2, {{"case", bad}}));
    ASSERT_FALSE(refused.ok()) << bad.dump();
    EXPECT_NE(refused.status().message().find("retention.superseded_days.case"), std::string::npos)
        << refused.status().message();
  }
}

TEST(RetentionPolicy, ANodeThatTookThePolicyBeforeItKnewRetentionAppliesItOnceUpgraded) {
  TempDir dir;
  auto kh = NewStore(dir, "KH-NCCT");
  Install(*kh, Signed(PolicyWithRetention(2, kThirtyDays)));
  // An older build kept in `policy` only what it parsed: no retention. The
  // signed text, byte for byte, still carries it.
  {
    auto db =
        testing::PeekDb(*kh).Prepare("UPDATE sharing_policies SET policy = ? WHERE version = 2");
    ASSERT_TRUE(db.ok());
    json without = json::parse(SharingPolicy::Default().ToJson());
    without["version"] = 2;
    ASSERT_TRUE((*db)->Bind(1, without.dump()).Run().ok());
  }
  kh.reset();
  auto reopened = Store::Open(dir.File("KH-NCCT.db"));
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  auto current = (*reopened)->CurrentPolicy();
  ASSERT_TRUE(current.ok()) << current.status().ToString();
  EXPECT_EQ(current->policy.superseded_days.at("case"), 30);
}

// Layout 11 adds versions.pruned_at: a layout-10 database opens with every
// version unpruned, and prunes like a new one.
TEST(Retention, ALayout10DatabaseGainsPrunedAtWithEveryValueKept) {
  Offices o;
  o.WriteHistory();
  o.kh.reset();
  {
    auto db = Database::Open(o.KhPath(), /*create=*/false);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE((*db)
                    ->Exec(std::string(testing::kBackToLayout11) +
                           "ALTER TABLE versions DROP COLUMN pruned_at; PRAGMA user_version = 10;")
                    .ok());
  }
  auto reopened = Store::Open(o.KhPath(), StoreOptions{o.clock.Fn()});
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  o.kh = std::move(reopened).value();
  auto history = o.kh->History(o.case_id, std::nullopt);
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  for (const auto& v : *history) EXPECT_EQ(v.pruned_at_ms, 0) << v.version.field;
  Install(*o.kh, Signed(PolicyWithRetention(2, kThirtyDays)));
  auto report = Prune(*o.kh);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->pruned, 3);
}

TEST(Retention, WithoutARetentionSettingNothingIsPruned) {
  Offices o;
  o.WriteHistory();
  auto report = Prune(*o.kh);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->pruned, 0);
  EXPECT_TRUE(report->types.empty());
  EXPECT_EQ(FoundOnDisk(o.KhPath(), {kOldInitialsKhmer, kOldInitialsThai}).size(), 2u);
}

TEST(Retention, SupersededCaseValuesPastThePeriodLeaveNoTraceInTheFileOrItsWal) {
  Offices o;
  o.WriteHistory();
  Install(*o.kh, Signed(PolicyWithRetention(2, kThirtyDays)));
  const std::vector<std::string> gone = {kOldInitialsKhmer, kOldInitialsThai, kOpeningReference};
  const std::vector<std::string> kept = {kRecentInitialsViet, kCurrentInitials, kSiblingThai,
                                         kSiblingKhmer,       kOldPlanTitle,    kOldMeetingTitle};
  ASSERT_EQ(FoundOnDisk(o.KhPath(), gone), gone);

  // A dry run counts and changes nothing.
  auto dry = Prune(*o.kh, /*dry_run=*/true);
  ASSERT_TRUE(dry.ok()) << dry.status().ToString();
  ASSERT_NE(OfType(*dry, "case"), nullptr);
  EXPECT_EQ(OfType(*dry, "case")->pruned, 3);
  EXPECT_EQ(FoundOnDisk(o.KhPath(), gone), gone);

  auto report = Prune(*o.kh);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->policy_version, 2);
  EXPECT_TRUE(report->warning.empty()) << report->warning;
  const RetentionOfType* cases = OfType(*report, "case");
  ASSERT_NE(cases, nullptr);
  // Initials replaced on days 1 and 10, and the opening reference; the
  // initials replaced on day 50 are inside the 30 days.
  EXPECT_EQ(cases->pruned, 3);
  EXPECT_EQ(cases->records, 1);
  // The direction decides where the case may go: its history stays.
  EXPECT_EQ(cases->kept_scope_fields, 1);
  // Plans are not personal data: named, but their history stays.
  EXPECT_EQ(report->not_personal, std::vector<std::string>{"plan"});

  EXPECT_EQ(FoundOnDisk(o.KhPath(), gone), std::vector<std::string>());
  EXPECT_EQ(FoundOnDisk(o.KhPath(), kept), kept);

  // The live value and the open conflict are as they were.
  auto view = o.kh->Get(o.case_id);
  ASSERT_TRUE(view.ok()) << view.status().ToString();
  EXPECT_EQ(*view->fields.at("initials").value, kCurrentInitials);
  ASSERT_EQ(view->conflicts.count("case_manager"), 1u);
  EXPECT_EQ(view->conflicts.at("case_manager").size(), 2u);
  // Cambodia still opened the case: the opening version keeps its vector.
  auto scope = o.kh->ScopeOf(o.case_id);
  ASSERT_TRUE(scope.ok()) << scope.status().ToString();
  EXPECT_EQ(scope->owner_party, "KH");

  // History tells what was pruned, and when, without the values.
  auto history = o.kh->History(o.case_id, std::string("initials"));
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  ASSERT_EQ(history->size(), 4u);
  EXPECT_NE((*history)[0].pruned_at_ms, 0);
  EXPECT_FALSE((*history)[0].version.value.has_value());
  EXPECT_NE((*history)[1].pruned_at_ms, 0);
  EXPECT_EQ((*history)[2].pruned_at_ms, 0);
  EXPECT_EQ(*(*history)[2].version.value, kRecentInitialsViet);
  EXPECT_TRUE((*history)[3].winner);

  // A second run finds nothing more; forty days later the day-50 value goes.
  auto again = Prune(*o.kh);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->pruned, 0);
  o.Days(40);
  auto later = Prune(*o.kh);
  ASSERT_TRUE(later.ok()) << later.status().ToString();
  EXPECT_EQ(later->pruned, 1);
  EXPECT_EQ(FoundOnDisk(o.KhPath(), {kRecentInitialsViet}), std::vector<std::string>());
}

TEST(Retention, AValueWrittenLongAgoButReplacedRecentlyIsKept) {
  Offices o;
  Install(*o.kh, Signed(PolicyWithRetention(2, kThirtyDays)));
  auto id = o.kh->Put(
      {"case", std::nullopt, {{"reference", "KH-2026-020"}, {"initials", kOldInitialsKhmer}}});
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  o.Days(200);
  PutOk(*o.kh, {"case", *id, {{"initials", kCurrentInitials}}});
  o.Days(29);
  auto report = Prune(*o.kh);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->pruned, 0);
  o.Days(2);
  report = Prune(*o.kh);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->pruned, 1);
}

TEST(Retention, OfficesStillConvergeAfterPruningAndAnOfficeThatMissedTheOldValuesGetsTheCurrent) {
  Offices o;
  o.WriteHistory();
  // Bangkok edits the case in one write: its shelter and initials share a
  // signing unit. Cambodia replaces Bangkok's initials (superseded there).
  PutOk(*o.th, {"case", o.case_id, {{"shelter", "บ้านเกร็ดตระการ"}, {"notes", "ส่งต่อแล้ว"}}});
  SyncOk(*o.kh, *o.th);
  PutOk(*o.kh, {"case", o.case_id, {{"notes", "ការកត់ត្រាថ្មី"}}});
  {
    // Bangkok's shelter and notes are members of one signing unit.
    auto held = o.kh->History(o.case_id, std::nullopt);
    ASSERT_TRUE(held.ok()) << held.status().ToString();
    std::set<std::pair<uint64_t, uint32_t>> units;
    for (const auto& v : *held) {
      if (v.version.origin == o.th->node_id() &&
          (v.version.field == "shelter" || v.version.field == "notes")) {
        units.insert({v.version.UnitCounter(), v.version.unit});
      }
    }
    ASSERT_EQ(units.size(), 1u);
  }
  o.Days(31);  // day 91
  Install(*o.kh, Signed(PolicyWithRetention(2, kThirtyDays)));
  auto report = Prune(*o.kh);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  // The three replaced initials (the last replaced on day 50), the opening
  // reference, Cambodia's first shelter and Bangkok's notes (both replaced
  // on day 60).
  EXPECT_EQ(report->pruned, 6);

  // Poi Pet never synced: it receives the current case from the pruned
  // node, Bangkok's shelter relayed with the seal of a unit one of whose
  // members Cambodia pruned.
  testing::InProcessTransport to_kh(*o.kh, o.border->node_id());
  auto first = testing::SyncWith(*o.border, to_kh);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(first->refused_here.empty());
  EXPECT_TRUE(first->refused_by_peer.empty());
  auto view = o.border->Get(o.case_id);
  ASSERT_TRUE(view.ok()) << view.status().ToString();
  EXPECT_EQ(*view->fields.at("initials").value, kCurrentInitials);
  EXPECT_EQ(*view->fields.at("shelter").value, "บ้านเกร็ดตระการ");
  EXPECT_EQ(*view->fields.at("notes").value, "ការកត់ត្រាថ្មី");
  EXPECT_EQ(view->conflicts.count("case_manager"), 1u);
  // Every state it holds still proves its origin (the relayed shelter too).
  auto history = o.border->History(o.case_id, std::nullopt);
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  for (const auto& v : *history) {
    if (v.version.origin == o.border->node_id()) continue;
    Status proof =
        sync::VerifyStoredProof(*o.border, *testing::CredentialsFor(*o.border).verifier, v.version);
    EXPECT_TRUE(proof.ok()) << v.version.field << ": " << proof.ToString();
  }

  // Bangkok takes the policy by sync and prunes too; work goes on, and the
  // three offices end with the same data whatever the order.
  SyncOk(*o.th, *o.kh);
  auto th_report = Prune(*o.th);
  ASSERT_TRUE(th_report.ok()) << th_report.status().ToString();
  EXPECT_EQ(th_report->policy_version, 2);
  PutOk(*o.border, {"case", o.case_id, {{"step", "returned"}}});
  PutOk(*o.th, {"case", o.case_id, {{"initials", "ชื่อใหม่จากกรุงเทพ"}}});
  for (int round = 0; round < 2; ++round) {
    SyncOk(*o.border, *o.kh);
    SyncOk(*o.th, *o.kh);
    SyncOk(*o.border, *o.th);
  }
  std::string kh_dump = testing::DumpOf(*o.kh);
  EXPECT_EQ(testing::DumpOf(*o.th), kh_dump);
  EXPECT_EQ(testing::DumpOf(*o.border), kh_dump);
  EXPECT_NE(kh_dump.find("ชื่อใหม่จากกรุงเทพ"), std::string::npos);
  auto status = o.kh->RecentRefusals(10);
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(status->empty());
}

TEST(Retention, AnOldStateSentAgainAfterPruningChangesNothing) {
  Offices o;
  auto id = o.kh->Put(
      {"case", std::nullopt,
       SharedCase("KH-TH", {{"reference", "KH-2026-031"}, {"initials", kOldInitialsKhmer}})});
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  SyncOk(*o.th, *o.kh);  // Bangkok holds the first initials
  PutOk(*o.kh, {"case", *id, {{"initials", kCurrentInitials}}});
  o.Days(31);
  Install(*o.kh, Signed(PolicyWithRetention(2, kThirtyDays)));
  auto report = Prune(*o.kh);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->pruned, 1);
  // Bangkok, which has not heard of the new initials, pushes its copy of the
  // old ones back: dominated, it is not stored again.
  SyncOk(*o.th, *o.kh);
  EXPECT_EQ(FoundOnDisk(o.KhPath(), {kOldInitialsKhmer}), std::vector<std::string>());
  auto view = o.th->Get(*id);
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(*view->fields.at("initials").value, kCurrentInitials);
}

TEST(Retention, AWritePrunedBeforeItWasEverSentIsNeverSealedAndTheNextOneTravels) {
  Offices o;
  auto id = o.kh->Put(
      {"case", std::nullopt,
       SharedCase("KH-TH", {{"reference", "KH-2026-050"}, {"initials", kOldInitialsKhmer}})});
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  PutOk(*o.kh, {"case", *id, {{"initials", kCurrentInitials}}});
  o.Days(31);
  Install(*o.kh, Signed(PolicyWithRetention(2, kThirtyDays)));
  auto report = Prune(*o.kh);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->pruned, 1);
  // Cambodia never synced: its first sync seals what is left and Bangkok
  // takes it whole, with the knowledge that covers the pruned write.
  testing::InProcessTransport to_kh(*o.kh, o.th->node_id());
  auto summary = testing::SyncWith(*o.th, to_kh);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_TRUE(summary->refused_here.empty());
  EXPECT_TRUE(summary->refused_by_peer.empty());
  auto view = o.th->Get(*id);
  ASSERT_TRUE(view.ok()) << view.status().ToString();
  EXPECT_EQ(*view->fields.at("initials").value, kCurrentInitials);
  auto th_knows = o.th->Knowledge();
  ASSERT_TRUE(th_knows.ok());
  auto kh_knows = o.kh->Knowledge();
  ASSERT_TRUE(kh_knows.ok());
  EXPECT_EQ(th_knows->Get("KH-NCCT"), kh_knows->Get("KH-NCCT"));
  auto history = o.th->History(*id, std::nullopt);
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  for (const auto& v : *history) {
    Status proof =
        sync::VerifyStoredProof(*o.th, *testing::CredentialsFor(*o.th).verifier, v.version);
    EXPECT_TRUE(proof.ok()) << v.version.field << ": " << proof.ToString();
  }
  auto unsealed = o.kh->UnsealedWrites(100);
  ASSERT_TRUE(unsealed.ok());
  EXPECT_TRUE(unsealed->writes.empty());
}

TEST(Retention, ALockedEncryptedNodePrunesWithoutItsKey) {
  TempDir dir;
  FakeClock clock;
  auto key = std::make_shared<const DataKey>(DataKey::Generate());
  std::string path = dir.File("KH-NCCT.db");
  std::string id;
  {
    auto kh = Store::Create(path, "KH-NCCT", StoreOptions{clock.Fn(), key});
    ASSERT_TRUE(kh.ok()) << kh.status().ToString();
    auto made = (*kh)->Put(
        {"case", std::nullopt, {{"reference", "KH-2026-040"}, {"initials", kOldInitialsKhmer}}});
    ASSERT_TRUE(made.ok()) << made.status().ToString();
    id = *made;
    PutOk(**kh, {"case", id, {{"initials", kCurrentInitials}}});
    Install(**kh, Signed(PolicyWithRetention(2, kThirtyDays)));
  }
  clock.now->fetch_add(31 * kMsPerDay);
  auto cell_count = [&](Store& store) {
    auto stmt =
        testing::PeekDb(store).Prepare("SELECT count(*) FROM versions WHERE value IS NOT NULL");
    EXPECT_TRUE(stmt.ok());
    EXPECT_TRUE(*(*stmt)->Step());
    int64_t n = (*stmt)->Int(0);
    (*stmt)->Reset();
    return n;
  };
  int64_t before = 0;
  {
    auto locked = Store::Open(path, StoreOptions{clock.Fn()});
    ASSERT_TRUE(locked.ok()) << locked.status().ToString();
    ASSERT_FALSE((*locked)->unlocked());
    before = cell_count(**locked);
    auto report = (*locked)->PruneSuperseded();
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_EQ(report->pruned, 1);
    EXPECT_EQ(cell_count(**locked), before - 1);
  }
  auto unlocked = Store::Open(path, StoreOptions{clock.Fn(), key});
  ASSERT_TRUE(unlocked.ok()) << unlocked.status().ToString();
  auto history = (*unlocked)->History(id, std::string("initials"));
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  ASSERT_EQ(history->size(), 2u);
  EXPECT_NE((*history)[0].pruned_at_ms, 0);
  EXPECT_FALSE((*history)[0].version.value.has_value());
  EXPECT_EQ(*(*history)[1].version.value, kCurrentInitials);
}

}  // namespace
}  // namespace accord
