// Collecting tombstones (docs/security.md, "Collecting tombstones"): four
// Cambodian offices over real HTTPS. Pailin syncs only with Battambang, so
// for the national office it is a peer of a peer. The national office
// purges a case with a victim's real name while Pailin is away holding it
// (and editing it); nobody collects the tombstone until Pailin comes back,
// erases the case and its signed acknowledgement has reached everyone (its
// old bundle meanwhile refused as purged). Then every office collects, and
// neither that old bundle, nor Poipet and Pailin restored from backups made
// before the purge, nor a forged acknowledgement brings anything back; a new
// office still joins.
#include <gtest/gtest.h>

#include <filesystem>

#include "accord_sync.pb.h"
#include "sync/purge_ack.h"
#include "tests/purge_nodes.h"

namespace accord {
namespace {

using testing::FilesHold;
using testing::kCase;
using testing::kKhmerName;
using testing::kPlan;
using testing::kReason;
using testing::kThaiName;
using testing::Node;
using testing::PurgeTest;

class TombstoneCollectionTest : public PurgeTest {
 protected:
  PurgeCollection Collect(Node& n) {
    auto done = n.store->CollectPurgeOrders(/*dry_run=*/false);
    EXPECT_TRUE(done.ok()) << n.id << ": " << done.status().ToString();
    return done.ok() ? *done : PurgeCollection{};
  }

  bool HoldsTombstone(Node& n) {
    auto order = n.store->FindPurgeOrder(kCase);
    EXPECT_TRUE(order.ok()) << order.status().ToString();
    return order.ok() && order->has_value();
  }

  // A copy of `n`'s database as it is now: what a backup holds.
  std::string Backup(Node& n, const std::string& name) {
    std::string to = dir_ / (name + ".db");
    std::filesystem::copy_file(DbPath(n), to);
    if (std::filesystem::exists(DbPath(n) + "-wal")) {
      std::filesystem::copy_file(DbPath(n) + "-wal", to + "-wal");
    }
    return to;
  }

  // `id`'s database restored from `path`: a client only (no server).
  Node Restored(const std::string& id, const std::string& path) {
    Node n;
    n.id = id;
    auto store = Store::Open(path, StoreOptions{clock_.Fn()});
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    if (store.ok()) n.store = std::move(store).value();
    return n;
  }

  // Pailin's acknowledgement as a thief would make it: `body` signed by
  // `signer_node`'s key, with `cert_node`'s certificate.
  std::string ForgedAck(const wire::PurgeAck& body, const std::string& signer_node,
                        const std::string& cert_node) {
    std::string bytes = body.SerializeAsString();
    auto signature = Credentials(signer_node).signer->Sign(sync::kPurgeAckSigningContext + bytes);
    EXPECT_TRUE(signature.ok());
    wire::SignedPurgeAck forged;
    forged.set_ack(bytes);
    forged.set_signature(*signature);
    forged.set_certificate_pem(Credentials(cert_node).signer->cert_pem());
    return forged.SerializeAsString();
  }
};

TEST_F(TombstoneCollectionTest, AnOfficeAwayHoldsEveryTombstoneUntilItReturnsThenNothingComesBack) {
  Node& ncct = AddNode("KH-NCCT");
  Node& poipet = AddNode("KH-POIPET");
  Node& battambang = AddNode("KH-BATTAMBANG");
  Node& pailin = AddNode("KH-PAILIN");
  WriteCaseAndPlan(ncct);
  SyncOk(poipet, ncct);
  SyncOk(battambang, ncct);
  SyncOk(poipet, battambang);
  SyncOk(pailin, battambang);  // Pailin's only link
  ASSERT_TRUE(HoldsName(pailin));
  const std::string poipet_backup = Backup(poipet, "poipet-backup-before-purge");

  // Pailin goes away: it edits the case and writes a bundle for Battambang
  // that nobody carries yet.
  Put(pailin, {"case", kCase, {{"vulnerability", "ជនពិការ — " + kThaiName}}});
  Put(pailin, {"meeting",
               std::string("mtg-2026-pailin"),
               {{"title", "កិច្ចប្រជុំ ប៉ៃលិន ព្រំដែនថៃ"}, {"start_date", "2026-05-04"}}});
  std::string old_bundle = dir_ / "pailin-before-purge.bundle";
  {
    auto sender = Credentials(pailin.id);
    ASSERT_TRUE(sync::LearnPeerParty(*pailin.store, *sender.verifier,
                                     Credentials(ncct.id).signer->cert_pem(), ncct.id)
                    .ok());
    sync::BundleCreateOptions options;
    options.receiver = ncct.id;
    options.verifier = sender.verifier;
    options.receiver_cert_pem = Credentials(ncct.id).signer->cert_pem();
    options.from_scratch = true;
    auto created = sync::CreateBundle(*pailin.store, *sender.signer, old_bundle, options);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
  }
  const std::string pailin_backup = Backup(pailin, "pailin-backup-before-purge");

  PurgeOn(ncct, kCase, kReason);
  for (int round = 0; round < 3; ++round) {
    SyncOk(poipet, ncct);
    SyncOk(battambang, ncct);
    SyncOk(poipet, battambang);
  }
  for (Node* n : {&ncct, &poipet, &battambang}) {
    EXPECT_FALSE(HoldsName(*n)) << n->id;
    PurgeCollection kept = Collect(*n);
    EXPECT_TRUE(kept.collected.empty()) << n->id << " collected while Pailin is away";
    ASSERT_EQ(kept.waiting.size(), 1u) << n->id;
    EXPECT_NE(kept.waiting[0].find("KH-PAILIN"), std::string::npos) << kept.waiting[0];
    EXPECT_TRUE(HoldsTombstone(*n)) << n->id;
  }

  // A forged acknowledgement of Pailin's changes nothing: Battambang's key
  // signing in Pailin's name, or Pailin's certificate with a wrong key.
  wire::PurgeAck claim;
  claim.set_record_id(kCase);
  claim.set_issuer(ncct.id);
  claim.set_sequence(1);
  claim.set_acker(pailin.id);
  claim.set_acked_ms(clock_.Fn()());
  const std::vector<std::string> forged = {ForgedAck(claim, battambang.id, battambang.id),
                                           ForgedAck(claim, battambang.id, pailin.id)};
  auto taken =
      sync::TakePurgeAcks(*ncct.store, *Credentials(ncct.id).verifier, forged, battambang.id);
  ASSERT_TRUE(taken.ok()) << taken.status().ToString();
  EXPECT_EQ(taken->kept, 0u);
  ASSERT_EQ(taken->refused.size(), 2u);
  EXPECT_NE(taken->refused[0].find("says it is KH-PAILIN's but is signed by KH-BATTAMBANG"),
            std::string::npos)
      << taken->refused[0];
  EXPECT_NE(taken->refused[1].find("does not verify"), std::string::npos) << taken->refused[1];
  EXPECT_TRUE(Collect(ncct).collected.empty());
  EXPECT_TRUE(HoldsTombstone(ncct));

  // Pailin's bundle written before the purge reaches the national office
  // while it still holds the tombstone: the edit of the case is refused as
  // purged, the meeting goes in.
  auto early = sync::ApplyBundle(*ncct.store, *Credentials(ncct.id).verifier, old_bundle,
                                 Credentials(ncct.id).signer);
  ASSERT_TRUE(early.ok()) << early.status().ToString();
  ASSERT_FALSE(early->applied.refused.empty());
  for (const RefusedState& r : early->applied.refused) {
    EXPECT_EQ(r.record_id, kCase);
    EXPECT_TRUE(r.purged);
  }
  EXPECT_EQ(Current(ncct, "mtg-2026-pailin", "title"), "កិច្ចប្រជុំ ប៉ៃលិន ព្រំដែនថៃ");
  EXPECT_FALSE(HoldsName(ncct));

  // Pailin comes back: it takes the order before it pushes, and its edit of
  // the case goes with the case.
  auto back = Sync(pailin, battambang);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->purge_orders_taken.size(), 1u);
  EXPECT_FALSE(HoldsName(pailin));
  for (int round = 0; round < 3; ++round) {
    SyncOk(battambang, ncct);
    SyncOk(poipet, ncct);
    SyncOk(poipet, battambang);
    SyncOk(pailin, battambang);
  }
  for (Node* n : {&ncct, &poipet, &battambang, &pailin}) {
    PurgeCollection done = Collect(*n);
    ASSERT_EQ(done.collected.size(), 1u) << n->id << ": " << ::testing::PrintToString(done.waiting);
    EXPECT_EQ(done.collected[0].record_id, kCase);
    EXPECT_EQ(done.collected[0].reason, kReason);
    EXPECT_FALSE(HoldsTombstone(*n)) << n->id;
    auto orders = n->store->PurgeOrders();
    ASSERT_TRUE(orders.ok());
    EXPECT_TRUE(orders->empty()) << n->id;
    auto acks = n->store->PurgeAcksFor("KH-ELSEWHERE", 1000);
    ASSERT_TRUE(acks.ok());
    EXPECT_TRUE(acks->empty()) << n->id << " keeps acknowledgements of a collected order";
    auto audit = n->store->CollectedPurgeOrders();
    ASSERT_TRUE(audit.ok());
    ASSERT_EQ(audit->size(), 1u);
    EXPECT_EQ((*audit)[0].issuer, "KH-NCCT");
    auto frontier = n->store->PurgeCollectedFrontier();
    ASSERT_TRUE(frontier.ok());
    EXPECT_EQ(frontier->Get("KH-NCCT"), 1u) << n->id;
    EXPECT_EQ(Current(*n, "mtg-2026-pailin", "title"), "កិច្ចប្រជុំ ប៉ៃលិន ព្រំដែនថៃ") << n->id;
  }

  // The same bundle, applied again after the collection, is refused whole.
  auto stale = sync::ApplyBundle(*ncct.store, *Credentials(ncct.id).verifier, old_bundle,
                                 Credentials(ncct.id).signer);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(stale.status().message().find("has not applied purge orders"), std::string::npos)
      << stale.status().message();
  EXPECT_NE(stale.status().message().find("orders 1..1 of KH-NCCT"), std::string::npos)
      << stale.status().message();

  // Poipet and Pailin restored from backups made before the purge: their
  // pushes of the old case are refused, and so are their hellos as servers.
  Node old_poipet = Restored(poipet.id, poipet_backup);
  auto restored = Sync(old_poipet, ncct);
  ASSERT_FALSE(restored.ok());
  EXPECT_NE(restored.status().message().find("has not applied purge orders"), std::string::npos)
      << restored.status().message();
  Node old_pailin = Restored(pailin.id, pailin_backup);
  auto restored_pailin = Sync(old_pailin, battambang);
  ASSERT_FALSE(restored_pailin.ok());
  EXPECT_NE(restored_pailin.status().message().find("has not applied purge orders"),
            std::string::npos)
      << restored_pailin.status().message();
  old_poipet.store.reset();
  old_pailin.store.reset();

  // A new office joins after the collection: it holds nothing, so it takes
  // the frontier of its first peer, and syncs both ways.
  Node& kampot = AddNode("KH-KAMPOT");
  SyncOk(kampot, ncct);
  SyncOk(poipet, kampot);
  EXPECT_EQ(Current(kampot, kPlan, "title"), "ផែនការស្តារនីតិសម្បទា ២០២៦");
  EXPECT_EQ(kampot.store->Get(kCase).status().code(), Code::kNotFound);
  auto kampot_frontier = kampot.store->PurgeCollectedFrontier();
  ASSERT_TRUE(kampot_frontier.ok());
  EXPECT_EQ(kampot_frontier->Get("KH-NCCT"), 1u);

  for (int round = 0; round < 2; ++round) {
    for (Node* n : {&poipet, &battambang, &pailin, &kampot}) {
      if (n->id != "KH-PAILIN") SyncOk(*n, ncct);
    }
    SyncOk(pailin, battambang);
  }
  for (Node* n : {&ncct, &poipet, &battambang, &pailin, &kampot}) {
    EXPECT_EQ(n->store->Get(kCase).status().code(), Code::kNotFound) << n->id;
    EXPECT_FALSE(FilesHold(DbPath(*n), kKhmerName)) << n->id;
    EXPECT_FALSE(FilesHold(DbPath(*n), kThaiName)) << n->id;
  }
}

// Orders are collected in each issuer's order: one that a known office has
// not acknowledged holds back the issuer's later ones, so that a frontier
// never passes a tombstone still needed.
TEST_F(TombstoneCollectionTest, AnOrderNotAcknowledgedHoldsBackTheIssuersLaterOnes) {
  Node& ncct = AddNode("KH-NCCT");
  Node& poipet = AddNode("KH-POIPET");
  WriteCaseAndPlan(ncct);
  SyncOk(poipet, ncct);
  PurgeOrder first = PurgeOn(ncct, kCase, kReason);
  EXPECT_EQ(first.sequence, 1u);
  PurgeOrder second = PurgeOn(ncct, kPlan, "ផែនការចាស់ (plan replaced)");
  EXPECT_EQ(second.sequence, 2u);
  // Poipet takes both but has not answered yet: nothing goes.
  auto dry = ncct.store->CollectPurgeOrders(/*dry_run=*/true);
  ASSERT_TRUE(dry.ok());
  EXPECT_TRUE(dry->collected.empty());
  ASSERT_EQ(dry->waiting.size(), 2u);
  EXPECT_NE(dry->waiting[0].find("acknowledgement of KH-POIPET"), std::string::npos)
      << dry->waiting[0];
  EXPECT_NE(dry->waiting[1].find("waits for order 1 of KH-NCCT"), std::string::npos)
      << dry->waiting[1];
  SyncOk(poipet, ncct);
  SyncOk(poipet, ncct);
  auto applied = poipet.store->PurgeOrdersApplied();
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(applied->Get("KH-NCCT"), 2u);
  // Each side holds the other's acknowledgements and knows it: none is sent again.
  auto to_poipet = ncct.store->PurgeAcksFor("KH-POIPET", 1000);
  auto to_ncct = poipet.store->PurgeAcksFor("KH-NCCT", 1000);
  ASSERT_TRUE(to_poipet.ok() && to_ncct.ok());
  EXPECT_TRUE(to_poipet->empty()) << to_poipet->size() << " sent again with every hello";
  EXPECT_TRUE(to_ncct->empty());
  auto dry_again = ncct.store->CollectPurgeOrders(/*dry_run=*/true);
  ASSERT_TRUE(dry_again.ok());
  EXPECT_EQ(dry_again->collected.size(), 2u);
  EXPECT_EQ(ncct.store->PurgeOrders()->size(), 2u) << "a dry run changes nothing";
  EXPECT_EQ(Collect(ncct).collected.size(), 2u);
  EXPECT_EQ(ncct.store->PurgeCollectedFrontier()->Get("KH-NCCT"), 2u);
  // The next order of the national office continues the count.
  Put(ncct,
      {"meeting", std::string("mtg-2026-ncct"), {{"title", "ប្រជុំ"}, {"start_date", "2026-06-01"}}});
  EXPECT_EQ(PurgeOn(ncct, "mtg-2026-ncct", "ប្រជុំខុស (wrong meeting)").sequence, 3u);
}

}  // namespace
}  // namespace accord
