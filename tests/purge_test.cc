// Erasure that travels (docs/security.md, "Purge orders"): a case with a
// victim's real name typed into it by mistake is purged at the national
// office; the order reaches a border office over HTTPS, a provincial office
// by bundle, and an office that was offline holding the old states. Nothing
// of the name stays in any database file, WAL or free page, and nothing
// comes back.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "accord_sync.pb.h"
#include "sync/bundle.h"
#include "sync/purge_order.h"
#include "tests/purge_nodes.h"

namespace accord {
namespace {

using testing::FilesHold;
using testing::HttpsNodesTest;
using testing::kCase;
using testing::kKhmerName;
using testing::kPlan;
using testing::kReason;
using testing::kThaiName;
using testing::Node;
using testing::PurgeTest;

TEST_F(PurgeTest, ANameTypedByMistakeIsErasedEverywhereAndNeverComesBack) {
  Node& ncct = AddNode("KH-NCCT");
  Node& poipet = AddNode("KH-POIPET");
  Node& battambang = AddNode("KH-BATTAMBANG");
  Node& siemreap = AddNode("KH-SIEMREAP");
  WriteCaseAndPlan(ncct);
  SyncOk(poipet, ncct);
  SyncOk(siemreap, ncct);
  ASSERT_TRUE(HoldsName(siemreap)) << "the search finds the name before the purge";
  ASSERT_TRUE(Current(poipet, kCase, "initials").has_value());

  // Siem Reap goes offline, and meanwhile edits the case and records a meeting.
  Put(siemreap, {"case", kCase, {{"vulnerability", "ពិការភាព — " + kKhmerName}}});
  Put(siemreap, {"meeting",
                 std::string("mtg-2026-siemreap"),
                 {{"title", "កិច្ចប្រជុំ សៀមរាប"}, {"start_date", "2026-04-02"}}});

  ASSERT_TRUE(HoldsName(ncct));
  PurgeOn(ncct, kCase, kReason);
  EXPECT_FALSE(HoldsName(ncct));
  auto gone = ncct.store->Get(kCase);
  ASSERT_EQ(gone.status().code(), Code::kNotFound);
  EXPECT_NE(gone.status().message().find("purged by no user on KH-NCCT"), std::string::npos)
      << gone.status().message();
  EXPECT_NE(gone.status().message().find(kReason), std::string::npos);
  EXPECT_TRUE(Current(ncct, kPlan, "title").has_value()) << "the plan stays";

  // Poipet over HTTPS: it takes the order at hello and erases the case.
  auto poipet_sync = Sync(poipet, ncct);
  ASSERT_TRUE(poipet_sync.ok()) << poipet_sync.status().ToString();
  ASSERT_EQ(poipet_sync->purge_orders_taken.size(), 1u);
  EXPECT_FALSE(HoldsName(poipet));
  EXPECT_EQ(poipet.store->Get(kCase).status().code(), Code::kNotFound);
  auto tombstone = poipet.store->FindPurgeOrder(kCase);
  ASSERT_TRUE(tombstone.ok() && tombstone->has_value());
  EXPECT_EQ((*tombstone)->issuer, "KH-NCCT");
  EXPECT_EQ((*tombstone)->reason, kReason);
  EXPECT_EQ((*tombstone)->received_from, "KH-NCCT");

  // Battambang by bundle from Poipet: the plan arrives (its unit shared
  // with the erased case still proves it), the case never does.
  auto bundled = Bundle(poipet, battambang);
  ASSERT_TRUE(bundled.ok()) << bundled.status().ToString();
  EXPECT_EQ(bundled->purge_orders.taken.size(), 1u);
  EXPECT_TRUE(bundled->applied.refused.empty());
  EXPECT_EQ(Current(battambang, kPlan, "title"), "ផែនការស្តារនីតិសម្បទា ២០២៦");
  EXPECT_EQ(battambang.store->Get(kCase).status().code(), Code::kNotFound);
  EXPECT_FALSE(HoldsName(battambang));
  auto battambang_tombstone = battambang.store->FindPurgeOrder(kCase);
  ASSERT_TRUE(battambang_tombstone.ok() && battambang_tombstone->has_value());

  // Siem Reap, still offline, sends a bundle it wrote before it heard: the
  // edit of the case is refused as purged, the meeting goes in.
  auto stale = Bundle(siemreap, ncct);
  ASSERT_TRUE(stale.ok()) << stale.status().ToString();
  ASSERT_FALSE(stale->applied.refused.empty());
  for (const RefusedState& r : stale->applied.refused) {
    EXPECT_EQ(r.record_id, kCase);
    EXPECT_TRUE(r.purged);
    EXPECT_NE(r.reason.find("purged by no user on KH-NCCT"), std::string::npos) << r.reason;
  }
  EXPECT_EQ(Current(ncct, "mtg-2026-siemreap", "title"), "កិច្ចប្រជុំ សៀមរាប");
  EXPECT_EQ(ncct.store->Get(kCase).status().code(), Code::kNotFound);
  EXPECT_FALSE(HoldsName(ncct));

  // Siem Reap comes back online: it takes the order before it pushes.
  auto back = Sync(siemreap, ncct);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->purge_orders_taken.size(), 1u);
  EXPECT_EQ(siemreap.store->Get(kCase).status().code(), Code::kNotFound);
  EXPECT_FALSE(HoldsName(siemreap));
  EXPECT_TRUE(Current(siemreap, kPlan, "title").has_value());

  // Everyone syncs with everyone: nothing comes back, and the purged
  // writes count as known (no node asks for them again).
  for (int round = 0; round < 2; ++round) {
    SyncOk(poipet, siemreap);
    SyncOk(battambang, poipet);
    SyncOk(ncct, siemreap);
    SyncOk(battambang, ncct);
    SyncOk(battambang, siemreap);
  }
  for (Node* n : {&ncct, &poipet, &battambang, &siemreap}) {
    EXPECT_EQ(n->store->Get(kCase).status().code(), Code::kNotFound) << n->id;
    EXPECT_FALSE(HoldsName(*n)) << n->id;
    EXPECT_EQ(Current(*n, "mtg-2026-siemreap", "title"), "កិច្ចប្រជុំ សៀមរាប") << n->id;
    auto orders = n->store->PurgeOrders();
    ASSERT_TRUE(orders.ok());
    ASSERT_EQ(orders->size(), 1u) << n->id;
    auto knowledge = n->store->Knowledge();
    auto siemreap_knowledge = siemreap.store->Knowledge();
    ASSERT_TRUE(knowledge.ok() && siemreap_knowledge.ok());
    EXPECT_EQ(knowledge->Get("KH-SIEMREAP"), siemreap_knowledge->Get("KH-SIEMREAP")) << n->id;
  }
  auto siemreap_k = siemreap.store->Knowledge();
  auto ncct_k = ncct.store->Knowledge();
  ASSERT_TRUE(siemreap_k.ok() && ncct_k.ok());
  EXPECT_EQ(siemreap_k->Get("KH-NCCT"), ncct_k->Get("KH-NCCT"));
}

// A certificate says who the issuer is, not that its order is true.
TEST_F(PurgeTest, ForgedUnsignedAlteredAndOverreachingOrdersChangeNothing) {
  Node& ncct = AddNode("KH-NCCT");
  Node& poipet = AddNode("KH-POIPET");
  AddNode("TH-MSDHS");
  Node& stolen = AddNode("KH-STOLEN-LAPTOP");
  WriteCaseAndPlan(ncct);
  SyncOk(poipet, ncct);
  ASSERT_TRUE(HoldsName(poipet));
  auto& verifier = *Credentials("KH-POIPET").verifier;
  auto take = [&](const std::string& bytes) {
    auto taken = sync::TakePurgeOrders(*poipet.store, verifier, {bytes}, "KH-NCCT");
    EXPECT_TRUE(taken.ok()) << taken.status().ToString();
    return taken.ok() ? *taken : sync::PurgeOrdersTaken{};
  };
  PurgeOrder base;
  base.record_id = kCase;
  base.type = "case";
  base.issuer = "KH-NCCT";
  base.issued_at_ms = clock_.Fn()();
  base.reason = "ពិនិត្យ";

  // Unsigned.
  wire::PurgeOrder body;
  body.set_record_id(kCase);
  body.set_record_type("case");
  body.set_issuer("KH-NCCT");
  body.set_reason("no signature");
  wire::SignedPurgeOrder unsigned_order;
  unsigned_order.set_order(body.SerializeAsString());
  auto refused = take(unsigned_order.SerializeAsString());
  ASSERT_EQ(refused.refused.size(), 1u);
  EXPECT_NE(refused.refused[0].second.find("unsigned"), std::string::npos);

  // Altered after signing: another record named.
  PurgeOrder plan_order = base;
  plan_order.record_id = kPlan;
  plan_order.type = "plan";
  ASSERT_TRUE(sync::SignPurgeOrder(*Credentials("KH-NCCT").signer, plan_order).ok());
  wire::SignedPurgeOrder altered;
  ASSERT_TRUE(altered.ParseFromString(plan_order.signed_bytes));
  wire::PurgeOrder altered_body;
  ASSERT_TRUE(altered_body.ParseFromString(altered.order()));
  altered_body.set_record_id(kCase);
  altered_body.set_record_type("case");
  altered.set_order(altered_body.SerializeAsString());
  refused = take(altered.SerializeAsString());
  ASSERT_EQ(refused.refused.size(), 1u);
  EXPECT_NE(refused.refused[0].second.find("does not verify"), std::string::npos)
      << refused.refused[0].second;

  // Forged: says KH-NCCT issued it, but Bangkok signed it.
  PurgeOrder forged = base;
  forged.issuer = "KH-NCCT";
  wire::PurgeOrder forged_body;
  forged_body.set_record_id(kCase);
  forged_body.set_record_type("case");
  forged_body.set_issuer("KH-NCCT");
  forged_body.set_reason("forged");
  wire::SignedPurgeOrder forged_signed;
  forged_signed.set_order(forged_body.SerializeAsString());
  auto signature =
      Credentials("TH-MSDHS")
          .signer->Sign(sync::kPurgeOrderSigningContext + forged_body.SerializeAsString());
  ASSERT_TRUE(signature.ok());
  forged_signed.set_signature(*signature);
  forged_signed.set_certificate_pem(Credentials("TH-MSDHS").signer->cert_pem());
  refused = take(forged_signed.SerializeAsString());
  ASSERT_EQ(refused.refused.size(), 1u);
  EXPECT_NE(refused.refused[0].second.find("signed by TH-MSDHS"), std::string::npos)
      << refused.refused[0].second;

  // From another deployment.
  EnrolElsewhere("KH-NCCT");
  auto foreign = sync::NodeSigner::Load(node_dir("other-KH-NCCT") + "/node.pem",
                                        node_dir("other-KH-NCCT") + "/node.key");
  ASSERT_TRUE(foreign.ok());
  PurgeOrder foreign_order = base;
  ASSERT_TRUE(sync::SignPurgeOrder(*foreign, foreign_order).ok());
  refused = take(foreign_order.signed_bytes);
  ASSERT_EQ(refused.refused.size(), 1u);
  EXPECT_NE(refused.refused[0].second.find("certificate is refused"), std::string::npos);

  // Bangkok's own, properly signed, for a case of Cambodia's that its party
  // may not hold.
  PurgeOrder overreach = base;
  overreach.issuer = "TH-MSDHS";
  ASSERT_TRUE(sync::SignPurgeOrder(*Credentials("TH-MSDHS").signer, overreach).ok());
  refused = take(overreach.signed_bytes);
  ASSERT_EQ(refused.refused.size(), 1u);
  EXPECT_NE(refused.refused[0].second.find("TH-MSDHS (party TH) may not hold"), std::string::npos)
      << refused.refused[0].second;

  // A revoked node (a stolen laptop) signed it.
  PurgeOrder revoked = base;
  revoked.issuer = "KH-STOLEN-LAPTOP";
  ASSERT_TRUE(sync::SignPurgeOrder(*Credentials(stolen.id).signer, revoked).ok());
  testing::WriteText(revoked_path(), "KH-STOLEN-LAPTOP\n");
  ReloadTrust();
  refused = sync::TakePurgeOrders(*poipet.store, *Credentials("KH-POIPET").verifier,
                                  {revoked.signed_bytes}, "KH-NCCT")
                .value();
  ASSERT_EQ(refused.refused.size(), 1u);
  EXPECT_NE(refused.refused[0].second.find("revoked"), std::string::npos)
      << refused.refused[0].second;

  // None of them changed anything.
  EXPECT_TRUE(HoldsName(poipet));
  EXPECT_TRUE(Current(poipet, kCase, "initials").has_value());
  EXPECT_TRUE(Current(poipet, kPlan, "title").has_value());
  auto orders = poipet.store->PurgeOrders();
  ASSERT_TRUE(orders.ok());
  EXPECT_TRUE(orders->empty());
}

// The office that heard the order syncs as the client of one that was
// offline: its first pull carries the order, taken before the page is read,
// and each side then knows the other holds it (no order is sent twice).
TEST_F(PurgeTest, AnOfficeThatWasOfflineTakesTheOrderFromItsClient) {
  Node& ncct = AddNode("KH-NCCT");
  Node& siemreap = AddNode("KH-SIEMREAP");
  Node& poipet = AddNode("KH-POIPET");
  WriteCaseAndPlan(ncct);
  SyncOk(siemreap, ncct);
  SyncOk(poipet, ncct);
  PurgeOn(ncct, kCase, kReason);
  ASSERT_TRUE(HoldsName(siemreap));

  auto pushed = Sync(ncct, siemreap);
  ASSERT_TRUE(pushed.ok()) << pushed.status().ToString();
  EXPECT_EQ(pushed->purge_orders_sent, 1u);
  EXPECT_TRUE(pushed->purge_orders_refused_by_peer.empty());
  EXPECT_TRUE(
      ServiceLogged("KH-SIEMREAP: took the purge order of no user on KH-NCCT for case " + kCase));
  EXPECT_EQ(siemreap.store->Get(kCase).status().code(), Code::kNotFound);
  EXPECT_FALSE(HoldsName(siemreap));
  auto pending = ncct.store->PurgeOrdersFor("KH-SIEMREAP", 100);
  ASSERT_TRUE(pending.ok());
  EXPECT_TRUE(pending->empty()) << "the pull reply said it read the order";
  auto again = Sync(ncct, siemreap);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->purge_orders_sent, 0u);

  // Poipet takes it from Siem Reap's hello reply, and says so in its pull:
  // Siem Reap does not send it again.
  auto relayed = Sync(poipet, siemreap);
  ASSERT_TRUE(relayed.ok()) << relayed.status().ToString();
  EXPECT_EQ(relayed->purge_orders_taken.size(), 1u);
  EXPECT_FALSE(HoldsName(poipet));
  pending = siemreap.store->PurgeOrdersFor("KH-POIPET", 100);
  ASSERT_TRUE(pending.ok());
  EXPECT_TRUE(pending->empty());
  auto quiet = Sync(poipet, siemreap);
  ASSERT_TRUE(quiet.ok());
  EXPECT_TRUE(quiet->purge_orders_taken.empty());
}

// An office whose cases are encrypted at rest erases the ciphertext; one
// whose laptop is locked (no passphrase given) takes the order all the
// same: erasing needs no value.
TEST_F(PurgeTest, EncryptedAndLockedNodesTakeTheOrderToo) {
  Node& ncct = AddNode("KH-NCCT");
  Enrol("KH-KAMPOT");
  const std::string kampot_path = dir_ / "KH-KAMPOT.db";
  auto key = std::make_shared<const DataKey>(DataKey::Generate());
  StoreOptions unlocked{clock_.Fn(), key};
  auto created = Store::Create(kampot_path, "KH-KAMPOT", unlocked);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  Node kampot;
  kampot.id = "KH-KAMPOT";
  kampot.store = std::move(created).value();
  WriteCaseAndPlan(ncct);
  auto first = Bundle(ncct, kampot);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE(Current(kampot, kCase, "initials").has_value());
  EXPECT_FALSE(FilesHold(kampot_path, kKhmerName)) << "sealed at rest";

  PurgeOn(ncct, kCase, kReason);
  // The laptop is opened without its passphrase: personal data locked.
  kampot.store.reset();
  auto locked = Store::Open(kampot_path, StoreOptions{clock_.Fn()});
  ASSERT_TRUE(locked.ok()) << locked.status().ToString();
  ASSERT_FALSE((*locked)->unlocked());
  kampot.store = std::move(locked).value();
  ASSERT_EQ(kampot.store->Get(kCase).status().code(), Code::kFailedPrecondition)
      << "locked before the order: " << kampot.store->Get(kCase).status().ToString();
  auto second = Bundle(ncct, kampot);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  ASSERT_EQ(second->purge_orders.taken.size(), 1u);
  ASSERT_EQ(second->purge_orders.purged.size(), 1u);
  EXPECT_EQ(second->purge_orders.purged[0].record_id, kCase);

  kampot.store.reset();
  auto reopened = Store::Open(kampot_path, unlocked);
  ASSERT_TRUE(reopened.ok());
  kampot.store = std::move(reopened).value();
  auto gone = kampot.store->Get(kCase);
  EXPECT_EQ(gone.status().code(), Code::kNotFound);
  EXPECT_NE(gone.status().message().find("purged by no user on KH-NCCT"), std::string::npos)
      << gone.status().message();
  EXPECT_EQ(kampot.store->History(kCase, std::nullopt).status().code(), Code::kNotFound);
  EXPECT_EQ(Current(kampot, kPlan, "title"), "ផែនការស្តារនីតិសម្បទា ២០២៦");
}

// A peer cannot flood a node with orders: one exchange takes at most 100.
TEST_F(PurgeTest, OneExchangeTakesAtMostAHundredOrders) {
  Node& ncct = AddNode("KH-NCCT");
  Node& poipet = AddNode("KH-POIPET");
  std::vector<std::string> orders;
  for (int i = 0; i < 101; ++i) {
    PurgeOrder o;
    o.record_id = "case-KH-2026-" + std::to_string(1000 + i);
    o.type = "case";
    o.issuer = ncct.id;
    o.issued_at_ms = clock_.Fn()();
    o.reason = "ការរក្សាទុកផុតកំណត់ (retention ended)";
    ASSERT_TRUE(sync::SignPurgeOrder(*Credentials(ncct.id).signer, o).ok());
    orders.push_back(o.signed_bytes);
  }
  auto taken =
      sync::TakePurgeOrders(*poipet.store, *Credentials(poipet.id).verifier, orders, ncct.id);
  ASSERT_TRUE(taken.ok()) << taken.status().ToString();
  EXPECT_EQ(taken->taken.size(), 100u);
  ASSERT_EQ(taken->refused.size(), 1u);
  EXPECT_NE(taken->refused[0].second.find("beyond the 100"), std::string::npos);
}

}  // namespace
}  // namespace accord
