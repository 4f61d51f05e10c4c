// Schema migrations: a node database made by an older accord opens in this
// one with its data intact; one made by a newer accord is refused untouched.
#include "core/migrations.h"

#include <gtest/gtest.h>

#include <thread>

#include "core/conflicts.h"
#include "core/store.h"
#include "tests/store_peek.h"
#include "tests/test_support.h"

namespace accord {
namespace {

using testing::PeekDb;
using testing::TempDir;

// Layout version 1 exactly as it shipped (commit 4500cad, "Node store: ..."):
// frozen here, so the test keeps describing the databases in the field even
// if someone edits core/migrations.cc's first step (which must not happen).
constexpr const char* kLayoutVersion1 = R"sql(
    CREATE TABLE meta(
      key TEXT PRIMARY KEY,
      value TEXT NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE records(
      id TEXT PRIMARY KEY,
      type TEXT NOT NULL,
      deleted INTEGER NOT NULL DEFAULT 0,        -- derived: tombstone has seen every edit
      has_tombstone INTEGER NOT NULL DEFAULT 0,  -- derived: a live _deleted = 1 exists
      created_at INTEGER NOT NULL                -- local time of first sight
    ) WITHOUT ROWID;
    CREATE INDEX records_by_type ON records(type, id);

    -- The change log and the history: one row per version ever stored.
    -- state: 0 superseded, 1 live (conflicting sibling), 2 live provisional winner.
    CREATE TABLE versions(
      seq INTEGER PRIMARY KEY,
      record_id TEXT NOT NULL,
      field TEXT NOT NULL,
      value TEXT,
      vv TEXT NOT NULL,
      origin TEXT NOT NULL,
      origin_time INTEGER NOT NULL,
      note TEXT NOT NULL DEFAULT '',
      state INTEGER NOT NULL,
      received_at INTEGER NOT NULL,
      received_from TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX versions_by_field ON versions(record_id, field, state);

    CREATE TABLE knowledge(
      node TEXT PRIMARY KEY,
      counter INTEGER NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE conflicts(
      record_id TEXT NOT NULL,
      field TEXT NOT NULL,
      detected_at INTEGER NOT NULL,
      PRIMARY KEY(record_id, field)
    ) WITHOUT ROWID;

    -- The address book: peers this node syncs with by name.
    CREATE TABLE peers(
      name TEXT PRIMARY KEY,
      url TEXT NOT NULL,
      peer_id TEXT NOT NULL DEFAULT ''  -- learnt at first contact
    ) WITHOUT ROWID;

    -- What this node knows of each peer node, whichever side started the sync.
    CREATE TABLE peer_state(
      peer_id TEXT PRIMARY KEY,
      inbound_cursor INTEGER NOT NULL DEFAULT 0,  -- how far into its log we have applied
      their_knowledge TEXT NOT NULL DEFAULT '',   -- what it held at last contact
      last_contact_at INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID;
    )sql";

int64_t UserVersion(Database& db) {
  auto stmt = db.Prepare("PRAGMA user_version");
  EXPECT_TRUE(stmt.ok());
  EXPECT_TRUE(*(*stmt)->Step());
  int64_t version = (*stmt)->Int(0);
  (*stmt)->Reset();
  return version;
}

// A capital's database as accord 0.1 left it: a plan whose status two offices
// set concurrently, and a party deleted at KH while TH restored it (live
// tombstones 1 and 0: a delete-versus-edit conflict version 1 did not flag in
// records.has_tombstone).
void MakeVersion1Database(const std::string& path) {
  auto db = Database::Open(path, /*create=*/true);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  Database& d = **db;
  ASSERT_TRUE(d.Exec(kLayoutVersion1).ok());
  ASSERT_TRUE(d.Exec(R"sql(
    PRAGMA user_version = 1;
    INSERT INTO meta VALUES('node_id', 'KH-NCCT');
    INSERT INTO knowledge VALUES('KH-NCCT', 4), ('TH-MSDHS', 2);
    INSERT INTO records VALUES('plan-1', 'plan', 0, 0, 1700000000000);
    INSERT INTO records VALUES('party-x', 'party', 0, 0, 1700000000001);
    INSERT INTO versions(record_id, field, value, vv, origin, origin_time, note, state,
                         received_at, received_from) VALUES
      ('plan-1', 'title', 'Plan of Action 2023-2025', 'KH-NCCT:1', 'KH-NCCT', 1700000000000, '',
       2, 1700000000000, ''),
      ('plan-1', 'status', 'draft', 'KH-NCCT:2', 'KH-NCCT', 1700000000002, '', 1,
       1700000000002, ''),
      ('plan-1', 'status', 'signed', 'KH-NCCT:1,TH-MSDHS:1', 'TH-MSDHS', 1700000000003, '', 2,
       1700000000005, 'TH-MSDHS'),
      ('party-x', 'code', 'X', 'KH-NCCT:3', 'KH-NCCT', 1700000000004, '', 2, 1700000000004, ''),
      ('party-x', 'name', 'Observer X', 'KH-NCCT:3', 'KH-NCCT', 1700000000004, '', 2,
       1700000000004, ''),
      ('party-x', '_deleted', '1', 'KH-NCCT:4', 'KH-NCCT', 1700000000006, '', 1,
       1700000000006, ''),
      ('party-x', '_deleted', '0', 'KH-NCCT:3,TH-MSDHS:2', 'TH-MSDHS', 1700000000007,
       'restored', 2, 1700000000008, 'TH-MSDHS');
    INSERT INTO conflicts VALUES('plan-1', 'status', 1700000000005);
    INSERT INTO conflicts VALUES('party-x', '_deleted', 1700000000008);
    INSERT INTO peers VALUES('th-capital', 'https://10.0.0.2:8443', 'TH-MSDHS');
    INSERT INTO peer_state VALUES('TH-MSDHS', 17, 'KH-NCCT:3,TH-MSDHS:2', 1700000000008);
  )sql")
                  .ok());
}

TEST(MigrationsTest, ADatabaseMadeByLayoutVersion1OpensWithItsDataIntact) {
  TempDir dir;
  std::string path = dir.File("accord.db");
  MakeVersion1Database(path);
  auto store = Store::Open(path);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  Store& s = **store;
  EXPECT_EQ(UserVersion(PeekDb(s)), kDatabaseVersion);
  EXPECT_EQ(s.node_id(), "KH-NCCT");
  EXPECT_EQ(s.Knowledge()->ToText(), "KH-NCCT:4,TH-MSDHS:2");

  auto plan = s.Get("plan-1");
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_EQ(*plan->fields.at("title").value, "Plan of Action 2023-2025");
  EXPECT_EQ(*plan->fields.at("status").value, "signed");
  EXPECT_EQ(plan->conflicts.at("status").size(), 2u);
  EXPECT_EQ(s.History("plan-1", std::nullopt)->size(), 3u);
  auto party = s.Get("party-x");
  ASSERT_TRUE(party.ok());
  EXPECT_FALSE(party->deleted);

  // Both conflicts got their ids, the ones their live versions give, and are found by them.
  auto open = s.ListConflicts({});
  ASSERT_TRUE(open.ok());
  ASSERT_EQ(open->total, 2u);
  for (const ConflictRef& ref : open->conflicts) {
    EXPECT_EQ(ref.id, *s.ConflictId(ref.record_id, ref.field)) << ref.record_id;
    auto found = GetConflict(s, ref.id);
    ASSERT_TRUE(found.ok()) << found.status().ToString();
    EXPECT_EQ(found->record_id, ref.record_id);
  }
  // has_tombstone now flags the disputed deletion, so writes keep its id current.
  auto flag = PeekDb(s).Prepare("SELECT has_tombstone FROM records WHERE id = 'party-x'");
  ASSERT_TRUE(*(*flag)->Step());
  EXPECT_EQ((*flag)->Int(0), 1);
  (*flag)->Reset();
  ASSERT_TRUE(s.Put({"party", std::string("party-x"), {{"name", "Observer X (IOM)"}}}).ok());
  auto deletion = s.ListConflicts({"party", 0, std::nullopt});
  ASSERT_EQ(deletion->conflicts.size(), 1u);
  EXPECT_EQ(deletion->conflicts[0].id, *s.ConflictId("party-x", kDeletedField));
  EXPECT_EQ(s.Knowledge()->Get("KH-NCCT"), 5u);  // the write took the next counter

  // The address book, peer state, views and the new tables work.
  auto peer = s.GetPeer("TH-MSDHS");
  EXPECT_EQ(peer->inbound_cursor, 17u);
  EXPECT_EQ(peer->their_knowledge.ToText(), "KH-NCCT:3,TH-MSDHS:2");
  auto view = PeekDb(s).Prepare("SELECT title, status FROM plans WHERE id = 'plan-1'");
  ASSERT_TRUE(view.ok()) << view.status().ToString();
  ASSERT_TRUE(*(*view)->Step());
  EXPECT_EQ((*view)->Text(1), "signed");
  (*view)->Reset();
  EXPECT_EQ(*s.BundleChunksApplied("00"), 0u);

  // Opening a current database again changes nothing.
  std::string dump = testing::DumpOf(s);
  store->reset();
  auto again = Store::Open(path);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(testing::DumpOf(**again), dump);
}

// Processes that open an old database at once: one migrates, the others find
// it migrated when they get the write lock and do not run the steps again.
TEST(MigrationsTest, SeveralOpeningAnOldDatabaseAtOnceAllSucceed) {
  TempDir dir;
  std::string path = dir.File("accord.db");
  MakeVersion1Database(path);
  std::vector<Status> results(4);
  std::vector<std::thread> openers;
  for (auto& result : results) {
    openers.emplace_back([&path, &result] { result = Store::Open(path).status(); });
  }
  for (auto& t : openers) t.join();
  for (const auto& r : results) EXPECT_TRUE(r.ok()) << r.ToString();
  auto store = Store::Open(path);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(UserVersion(PeekDb(**store)), kDatabaseVersion);
}

// Layout 10: purge orders. A layout-9 node keeps its records and takes its
// first order after the upgrade.
TEST(MigrationsTest, ALayout9DatabaseGainsPurgeOrders) {
  TempDir dir;
  std::string path = dir.File("KH-NCCT.db");
  {
    auto kh = Store::Create(path, "KH-NCCT");
    ASSERT_TRUE(kh.ok());
    ASSERT_TRUE((*kh)->Put({"plan", std::string("plan-2026"), {{"title", "ផែនការ ២០២៦"}}}).ok());
  }
  {
    auto db = Database::Open(path, /*create=*/false);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)
                    ->Exec(std::string(testing::kBackToLayout11) +
                           "ALTER TABLE versions DROP COLUMN pruned_at; "
                           "DROP TABLE purge_orders; DROP TABLE purge_order_peers; "
                           "PRAGMA user_version = 9;")
                    .ok());
  }
  auto kh = Store::Open(path);
  ASSERT_TRUE(kh.ok()) << kh.status().ToString();
  auto orders = (*kh)->PurgeOrders();
  ASSERT_TRUE(orders.ok()) << orders.status().ToString();
  EXPECT_TRUE(orders->empty());
  auto order = (*kh)->PreparePurge("plan-2026", "ตั้งขึ้นผิดพลาด");
  ASSERT_TRUE(order.ok()) << order.status().ToString();
  order->signed_bytes = "signed elsewhere";  // the store keeps it as given
  ASSERT_TRUE((*kh)->ApplyPurgeOrder(*order, "", "").ok());
  EXPECT_EQ((*kh)->Get("plan-2026").status().code(), Code::kNotFound);
}

// Layout 12: tombstone collection. An order a layout-11 node took has no
// sequence: it stays a tombstone for good, and the node's next order is its 1.
TEST(MigrationsTest, ALayout11TombstoneIsKeptForGoodAndTheNextOrderCountsFromOne) {
  TempDir dir;
  std::string path = dir.File("KH-NCCT.db");
  {
    auto kh = Store::Create(path, "KH-NCCT");
    ASSERT_TRUE(kh.ok());
    ASSERT_TRUE((*kh)->Put({"plan", std::string("plan-2025"), {{"title", "ផែនការ ២០២៥"}}}).ok());
    ASSERT_TRUE((*kh)->Put({"plan", std::string("plan-2026"), {{"title", "ផែនការ ២០២៦"}}}).ok());
    auto order = (*kh)->PreparePurge("plan-2025", "ตั้งขึ้นผิดพลาด");
    ASSERT_TRUE(order.ok());
    order->sequence = 0;  // as a layout-11 build made it
    order->signed_bytes = "signed elsewhere";
    ASSERT_TRUE((*kh)->ApplyPurgeOrder(*order, "", "").ok());
  }
  {
    auto db = Database::Open(path, /*create=*/false);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec(testing::kBackToLayout11).ok());
  }
  auto kh = Store::Open(path);
  ASSERT_TRUE(kh.ok()) << kh.status().ToString();
  EXPECT_EQ(UserVersion(PeekDb(**kh)), kDatabaseVersion);
  auto kept = (*kh)->CollectPurgeOrders(/*dry_run=*/false);
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  EXPECT_TRUE(kept->collected.empty());
  ASSERT_EQ(kept->waiting.size(), 1u);
  EXPECT_NE(kept->waiting[0].find("kept for good"), std::string::npos) << kept->waiting[0];
  auto next = (*kh)->PreparePurge("plan-2026", "ซ้ำ");
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->sequence, 1u);
}

TEST(MigrationsTest, ADatabaseFromANewerAccordIsRefusedAndLeftUntouched) {
  TempDir dir;
  std::string path = dir.File("accord.db");
  ASSERT_TRUE(Store::Create(path, "KH-NCCT").ok());
  {
    auto db = Database::Open(path, /*create=*/false);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec("PRAGMA user_version = " + std::to_string(kDatabaseVersion + 1)).ok());
  }
  auto store = Store::Open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Code::kIncompatibleVersion);
  EXPECT_NE(store.status().message().find("layout version " + std::to_string(kDatabaseVersion + 1)),
            std::string::npos)
      << store.status().message();
  EXPECT_NE(store.status().message().find("upgrade accord"), std::string::npos);
  auto db = Database::Open(path, /*create=*/false);
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(UserVersion(**db), kDatabaseVersion + 1);
}

}  // namespace
}  // namespace accord
