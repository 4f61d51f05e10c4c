// The node store: an office working all day with no network.
#include "core/store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "core/record_id.h"
#include "test_support.h"
#include "tests/store_peek.h"

namespace accord {
namespace {

using testing::DumpOf;
using testing::NewStore;
using testing::PeekDb;
using testing::TempDir;

std::string PutOk(Store& store, RecordWrite write) {
  auto id = store.Put(write);
  EXPECT_TRUE(id.ok()) << id.status().ToString();
  return id.ok() ? *id : "";
}

std::string NewPlan(Store& store, const std::string& title = "Plan of Action 2023-2025") {
  return PutOk(store, {"plan", std::nullopt, {{"title", title}, {"status", "draft"}}});
}

TEST(StoreTest, CreatesARecordWithAGeneratedIdAndReadsItBack) {
  TempDir dir;
  auto store = NewStore(dir, "KH-NCCT");
  std::string id = NewPlan(*store);
  EXPECT_EQ(id.size(), 26u);
  EXPECT_TRUE(IsValidRecordId(id));
  auto record = store->Get(id);
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->type, "plan");
  EXPECT_EQ(*record->fields.at("title").value, "Plan of Action 2023-2025");
  EXPECT_EQ(record->fields.at("title").origin, "KH-NCCT");
  EXPECT_EQ(record->fields.at("title").version.ToText(), "KH-NCCT:1");
}

TEST(StoreTest, GeneratedIdsDoNotCollide) {
  std::set<std::string> ids;
  for (int i = 0; i < 10000; ++i) ids.insert(NewRecordId());
  EXPECT_EQ(ids.size(), 10000u);
}

TEST(StoreTest, EachLocalWriteDominatesWhatTheFieldHadBefore) {
  TempDir dir;
  auto store = NewStore(dir, "KH-NCCT");
  std::string id = NewPlan(*store);
  VersionVector before = store->Get(id)->fields.at("status").version;
  PutOk(*store, {"plan", id, {{"status", "under_review"}}});
  VersionVector after = store->Get(id)->fields.at("status").version;
  EXPECT_EQ(after.Compare(before), Order::kAfter);
  EXPECT_EQ(store->Knowledge()->Get("KH-NCCT"), 2u);
}

TEST(StoreTest, HistoryKeepsEveryValueWithWhoWhenAndVector) {
  TempDir dir;
  auto store = NewStore(dir, "KH-NCCT");
  std::string id = NewPlan(*store);
  PutOk(*store, {"plan", id, {{"status", "under_review"}}});
  PutOk(*store, {"plan", id, {{"status", "finalized"}}});
  auto history = store->History(id, std::string("status"));
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 3u);
  EXPECT_EQ(*(*history)[0].version.value, "draft");
  EXPECT_FALSE((*history)[0].live);
  EXPECT_EQ(*(*history)[2].version.value, "finalized");
  EXPECT_TRUE((*history)[2].winner);
  EXPECT_EQ((*history)[1].version.origin, "KH-NCCT");
  EXPECT_LT((*history)[0].version.origin_time_ms, (*history)[2].version.origin_time_ms);
  EXPECT_EQ((*history)[2].version.version.ToText(), "KH-NCCT:3");
}

TEST(StoreTest, WritingTheSameValueAgainChangesNothing) {
  TempDir dir;
  auto store = NewStore(dir, "KH-NCCT");
  std::string id = NewPlan(*store);
  std::string before = DumpOf(*store);
  PutOk(*store, {"plan", id, {{"status", "draft"}}});
  EXPECT_EQ(DumpOf(*store), before);
  EXPECT_EQ(store->History(id, std::string("status"))->size(), 1u);
}

TEST(StoreTest, AnEmptyValueClearsTheField) {
  TempDir dir;
  auto store = NewStore(dir, "KH-NCCT");
  std::string id = NewPlan(*store);
  PutOk(*store, {"plan", id, {{"status", std::nullopt}}});
  auto record = store->Get(id);
  EXPECT_FALSE(record->fields.at("status").value.has_value());
  EXPECT_EQ(store->List("plan", FieldWrite{"status", std::nullopt})->size(), 1u);
}

TEST(StoreTest, ListFiltersByTheCurrentValue) {
  TempDir dir;
  auto store = NewStore(dir, "KH-NCCT");
  NewPlan(*store, "A");
  std::string b = NewPlan(*store, "B");
  PutOk(*store, {"plan", b, {{"status", "signed"}}});
  auto signed_plans = store->List("plan", FieldWrite{"status", "signed"});
  ASSERT_TRUE(signed_plans.ok());
  ASSERT_EQ(signed_plans->size(), 1u);
  EXPECT_EQ((*signed_plans)[0].id, b);
  EXPECT_EQ(store->List("plan")->size(), 2u);
}

TEST(StoreTest, DeleteLeavesATombstoneWithItsOwnVector) {
  TempDir dir;
  auto store = NewStore(dir, "KH-NCCT");
  std::string id = NewPlan(*store);
  ASSERT_TRUE(store->Delete(id).ok());
  auto record = store->Get(id);
  ASSERT_TRUE(record.ok());
  EXPECT_TRUE(record->deleted);
  EXPECT_TRUE(store->List("plan")->empty());
  auto tomb = store->History(id, std::string(kDeletedField));
  ASSERT_EQ(tomb->size(), 1u);
  EXPECT_EQ(*(*tomb)[0].version.value, "1");
  // The tombstone has seen the record's fields: it dominates their vectors.
  EXPECT_EQ((*tomb)[0].version.version.ToText(), "KH-NCCT:2");
  EXPECT_NE(DumpOf(*store).find("\"deleted\":true"), std::string::npos);
  // A deleted record is not edited by mistake.
  auto edit = store->Put({"plan", id, {{"status", "signed"}}});
  EXPECT_EQ(edit.status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(store->Delete(id).code(), Code::kFailedPrecondition);
}

TEST(StoreTest, DumpIsByteIdenticalTwiceAndChangesOnlyWhereAFieldWasWritten) {
  TempDir dir;
  auto store = NewStore(dir, "KH-NCCT");
  std::string a = NewPlan(*store, "A");
  std::string b = NewPlan(*store, "B");
  std::string first = DumpOf(*store);
  EXPECT_EQ(first, DumpOf(*store));
  PutOk(*store, {"plan", b, {{"status", "signed"}}});
  std::string second = DumpOf(*store);
  // One line per record: only B's line differs.
  auto lines = [](const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  };
  auto l1 = lines(first), l2 = lines(second);
  ASSERT_EQ(l1.size(), l2.size());
  int differing = 0;
  for (size_t i = 0; i < l1.size(); ++i) {
    if (l1[i] != l2[i]) {
      ++differing;
      EXPECT_NE(l2[i].find(b), std::string::npos);
      EXPECT_NE(l2[i].find("signed"), std::string::npos);
    }
  }
  EXPECT_EQ(differing, 1);
  (void)a;
}

struct BadInput {
  const char* name;
  RecordWrite write;
  Code code;
  const char* message_part;
};

TEST(StoreTest, BadInputIsRejectedWithAMessageAndChangesNothing) {
  TempDir dir;
  auto store = NewStore(dir, "KH-NCCT");
  std::string plan = NewPlan(*store);
  std::string before = DumpOf(*store);
  auto knowledge_before = store->Knowledge()->ToText();
  std::vector<BadInput> cases = {
      {"unknown type",
       {"treaty", std::nullopt, {{"title", "x"}}},
       Code::kInvalidArgument,
       "unknown record type 'treaty'"},
      {"unknown field",
       {"plan", plan, {{"budget", "1"}}},
       Code::kInvalidArgument,
       "no field 'budget'"},
      {"bad date",
       {"plan", plan, {{"signed_on", "2023-02-30"}}},
       Code::kInvalidArgument,
       "plan.signed_on"},
      {"bad enum", {"plan", plan, {{"status", "approved"}}}, Code::kInvalidArgument, "not one of"},
      {"bad integer",
       {"plan", plan, {{"period_start", "twenty"}}},
       Code::kInvalidArgument,
       "not an integer"},
      {"missing reference",
       {"objective", std::nullopt, {{"plan", "no-such-plan"}, {"number", "1"}, {"text", "t"}}},
       Code::kInvalidArgument,
       "does not exist"},
      {"reference to wrong type",
       {"activity", std::nullopt, {{"objective", plan}, {"number", "1.1"}, {"description", "d"}}},
       Code::kInvalidArgument,
       "needs a objective"},
      {"malformed id",
       {"plan", std::string("bad id!"), {{"title", "x"}}},
       Code::kInvalidArgument,
       "not a valid record id"},
      {"required field missing",
       {"objective", std::nullopt, {{"number", "1"}}},
       Code::kInvalidArgument,
       "needs plan"},
      {"required field cleared",
       {"plan", plan, {{"title", std::nullopt}}},
       Code::kInvalidArgument,
       "required"},
      {"line break in a one-line field",
       {"plan", plan, {{"title", "a\nb"}}},
       Code::kInvalidArgument,
       "line break"},
      {"type mismatch on update",
       {"meeting", plan, {{"title", "x"}}},
       Code::kInvalidArgument,
       "is a plan"},
  };
  for (const auto& c : cases) {
    auto result = store->Put(c.write);
    ASSERT_FALSE(result.ok()) << c.name;
    EXPECT_EQ(result.status().code(), c.code) << c.name;
    EXPECT_NE(result.status().message().find(c.message_part), std::string::npos)
        << c.name << ": " << result.status().message();
    EXPECT_EQ(DumpOf(*store), before) << c.name;
    EXPECT_EQ(store->Knowledge()->ToText(), knowledge_before) << c.name;
  }
  auto wrong_type = store->Put(
      {"activity", std::nullopt, {{"objective", plan}, {"number", "1.1"}, {"description", "d"}}});
  EXPECT_NE(wrong_type.status().message().find("needs a objective"), std::string::npos);
  EXPECT_EQ(DumpOf(*store), before);
}

TEST(StoreTest, ALoadIsAllOrNothing) {
  TempDir dir;
  auto store = NewStore(dir, "KH-NCCT");
  std::string before = DumpOf(*store);
  std::vector<RecordWrite> batch = {
      {"party", std::string("party-kh"), {{"code", "KH"}, {"name", "Cambodia"}}},
      {"plan", std::string("plan-1"), {{"title", "Plan"}}},
      {"objective", std::string("obj-1"), {{"plan", "plan-1"}, {"number", "1"}, {"text", "t"}}},
      {"activity",
       std::string("act-1.1"),
       {{"objective", "obj-1"}, {"number", "1.1"}, {"description", "d"}, {"timeframe", "2024-Q2"}}},
      {"meeting", std::string("mtg-1"), {{"title", "Bilateral"}, {"start_date", "2023-01-32"}}},
  };
  auto result = store->PutMany(batch);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("record #5 (id mtg-1)"), std::string::npos)
      << result.status().message();
  EXPECT_NE(result.status().message().find("meeting.start_date"), std::string::npos);
  EXPECT_EQ(DumpOf(*store), before);
  EXPECT_EQ(store->GetStatus()->records_per_type.size(), 0u);

  batch.back().writes[1].value = "2023-01-18";
  // References may point forward inside one batch.
  std::swap(batch[1], batch[2]);
  auto loaded = store->PutMany(batch);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->size(), 5u);
  EXPECT_EQ(*store->Get("act-1.1")->fields.at("timeframe").value, "2024-Q2");
}

TEST(StoreTest, SqlViewsShowCurrentValuesAsOrdinaryRows) {
  TempDir dir;
  auto store = NewStore(dir, "KH-NCCT");
  std::string id = NewPlan(*store);
  PutOk(*store, {"plan", id, {{"status", "signed"}, {"signed_on", "2023-06-13"}}});
  NewPlan(*store, "Deleted plan");
  ASSERT_TRUE(
      store->Delete(store->List("plan", FieldWrite{"title", "Deleted plan"})->front().id).ok());
  auto stmt = PeekDb(*store).Prepare("SELECT id, title, status, signed_on FROM plans");
  ASSERT_TRUE(stmt.ok());
  ASSERT_TRUE(*(*stmt)->Step());
  EXPECT_EQ((*stmt)->Text(0), id);
  EXPECT_EQ((*stmt)->Text(2), "signed");
  EXPECT_EQ((*stmt)->Text(3), "2023-06-13");
  EXPECT_FALSE(*(*stmt)->Step());
  (*stmt)->Reset();
}

TEST(StoreTest, NoOtherCallRunsInsideAnOpenRemoteBatch) {
  TempDir dir;
  auto store = NewStore(dir, "KH-NCCT");
  std::string id = NewPlan(*store);
  auto batch = store->BeginRemoteBatch("TH-MSDHS");
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  // An officer's write would commit or roll back with the batch: refused.
  EXPECT_EQ(store->Put({"plan", id, {{"status", "signed"}}}).status().code(),
            Code::kFailedPrecondition);
  EXPECT_EQ(store->Get(id).status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(store->BeginRemoteBatch("TH-MSDHS").status().code(), Code::kFailedPrecondition);
  batch->reset();
  EXPECT_TRUE(store->Put({"plan", id, {{"status", "signed"}}}).ok());
}

// Regression: opening ran BEGIN IMMEDIATE even with nothing to migrate, so
// `accord get` queued behind a bundle apply and failed after the busy timeout.
TEST(StoreTest, OpeningAndReadingDoNotWaitForAnApplyHoldingTheWriteLock) {
  TempDir dir;
  auto store = NewStore(dir, "KH-NCCT");
  std::string id = NewPlan(*store);
  auto batch = store->BeginRemoteBatch("TH-MSDHS");  // holds the write lock until destroyed
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  auto reader = Store::Open(dir.File("KH-NCCT.db"));
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_TRUE((*reader)->Get(id).ok());
  EXPECT_TRUE((*reader)->GetStatus().ok());
  EXPECT_TRUE((*reader)->ListConflicts({}).ok());
}

TEST(StoreTest, TwoWritersOnOneNodeBothSucceed) {
  TempDir dir;
  NewStore(dir, "KH-NCCT");
  const std::string path = dir.File("KH-NCCT.db");
  auto writer = [&](const std::string& prefix, int* failures) {
    auto store = Store::Open(path);
    ASSERT_TRUE(store.ok());
    for (int i = 0; i < 150; ++i) {
      auto id =
          (*store)->Put({"party", prefix + std::to_string(i), {{"code", prefix}, {"name", "n"}}});
      if (!id.ok()) ++*failures;
    }
  };
  int failures_a = 0, failures_b = 0;
  std::thread a(writer, "a", &failures_a);
  std::thread b(writer, "b", &failures_b);
  a.join();
  b.join();
  EXPECT_EQ(failures_a + failures_b, 0);
  auto store = Store::Open(path);
  EXPECT_EQ((*store)->GetStatus()->records_per_type["party"], 300);
  // Every local write took its own counter: none was reused.
  EXPECT_EQ((*store)->Knowledge()->Get("KH-NCCT"), 300u);
}

TEST(StoreTest, AProcessKilledMidWriteLeavesTheDatabaseConsistent) {
  TempDir dir;
  NewStore(dir, "KH-NCCT");
  const std::string path = dir.File("KH-NCCT.db");
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto store = Store::Open(path);
    for (int batch = 0;; ++batch) {
      std::vector<RecordWrite> writes;
      for (int i = 0; i < 50; ++i) {
        writes.push_back({"party",
                          "p" + std::to_string(batch) + "-" + std::to_string(i),
                          {{"code", "KH"}, {"name", "n"}, {"kind", "government"}}});
      }
      (void)(*store)->PutMany(writes);
    }
  }
  usleep(300 * 1000);
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  auto store = Store::Open(path);
  ASSERT_TRUE(store.ok());
  auto check = PeekDb(**store).Prepare("PRAGMA integrity_check");
  ASSERT_TRUE(*(*check)->Step());
  EXPECT_EQ((*check)->Text(0), "ok");
  (*check)->Reset();
  // Whole batches only: records come in fifties, each with its three fields.
  int64_t records = (*store)->GetStatus()->records_per_type["party"];
  EXPECT_GT(records, 0);
  EXPECT_EQ(records % 50, 0);
  auto fields = PeekDb(**store).Prepare("SELECT count(*) FROM versions");
  ASSERT_TRUE(*(*fields)->Step());
  EXPECT_EQ((*fields)->Int(0), records * 3);
  (*fields)->Reset();
}

}  // namespace
}  // namespace accord
