// Issue 11: a deployment replaces the sharing policy (docs/sharing.md,
// "Replacing the policy"). A new version signed by the deployment CA travels
// by sync and bundle, every node takes the newest one it can verify, and
// while two nodes hold different versions each sends only what both allow.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sync/bundle.h"
#include "sync/signed_changes.h"
#include "sync/signed_policy.h"
#include "tests/sharing_support.h"

namespace accord {
namespace {

using nlohmann::json;
using testing::CredentialsFor;
using testing::FiveOffices;
using testing::Holds;
using testing::TempDir;
using testing::TestDeployment;

std::string CaDir() {
  std::string pem = TestDeployment::Get().ca_pem();
  return pem.substr(0, pem.size() - std::string("/ca.pem").size());
}
std::string CaKey() {
  return CaDir() + "/ca.key";
}

// The built-in policy with `version`, edited by `change`.
std::string PolicyText(int version, const std::function<void(json&)>& change = {}) {
  json doc = json::parse(SharingPolicy::Default().ToJson());
  doc["version"] = version;
  if (change) change(doc);
  return doc.dump(2);
}

// Version 2 as a deployment might sign it: a meeting recorded without a plan
// stays with the party of the office that held it (version 1 sent it to
// every node), and agenda items are published to every node.
std::string NarrowerMeetings(int version = 2) {
  return PolicyText(version, [](json& doc) {
    doc["roots"]["meeting"]["unstated"] = "owner";
    doc["everyone"].push_back("agenda_item");
  });
}

std::string Signed(const std::string& policy) {
  auto signed_text = sync::SignPolicy(policy, TestDeployment::Get().ca_pem(), CaKey());
  EXPECT_TRUE(signed_text.ok()) << signed_text.status().ToString();
  return signed_text.ok() ? *signed_text : "";
}

const sync::PeerVerifier& Verifier() {
  return *TestDeployment::Get().For("KH-NCCT").verifier;
}

void Install(Store& store, const std::string& signed_text) {
  auto taken = sync::TakeSignedPolicy(store, Verifier(), signed_text, "installed");
  ASSERT_TRUE(taken.ok()) << taken.status().ToString();
  ASSERT_EQ(taken->outcome, PolicyInstall::kInstalled);
}

int PolicyVersionOf(Store& store) {
  auto current = store.CurrentPolicy();
  EXPECT_TRUE(current.ok()) << current.status().ToString();
  return current.ok() ? current->policy.version : -1;
}

void Put(Store& store, RecordWrite write) {
  auto id = store.Put(write);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
}

// ---- Signing and verifying.

TEST(SignedPolicyTest, APolicySignedByTheDeploymentCaVerifiesAndNamesItsSigner) {
  auto held = sync::VerifySignedPolicy(Verifier(), Signed(NarrowerMeetings()));
  ASSERT_TRUE(held.ok()) << held.status().ToString();
  EXPECT_EQ(held->policy.version, 2);
  EXPECT_FALSE(held->policy.roots.at("meeting").unstated_goes_everywhere);
  EXPECT_NE(held->signer.find("Accord test deployment"), std::string::npos) << held->signer;
  EXPECT_EQ(held->key_id.size(), 64u);
}

TEST(SignedPolicyTest, AnUnsignedPolicyIsRefusedAndSaysHowToSignIt) {
  auto held = sync::VerifySignedPolicy(Verifier(), NarrowerMeetings());
  ASSERT_FALSE(held.ok());
  EXPECT_EQ(held.status().code(), Code::kInvalidArgument);
  EXPECT_NE(held.status().message().find("unsigned"), std::string::npos);
  EXPECT_NE(held.status().message().find("accord policy sign"), std::string::npos);
}

TEST(SignedPolicyTest, APolicyAlteredAfterSigningIsRefused) {
  json doc = json::parse(Signed(NarrowerMeetings()));
  // Someone widens what goes to every node, after the CA signed.
  std::string policy = doc["policy"];
  json inner = json::parse(policy);
  inner["everyone"].push_back("case");
  doc["policy"] = inner.dump(2);
  auto held = sync::VerifySignedPolicy(Verifier(), doc.dump());
  ASSERT_FALSE(held.ok());
  EXPECT_EQ(held.status().code(), Code::kPermissionDenied);
  EXPECT_NE(held.status().message().find("does not match"), std::string::npos)
      << held.status().message();
}

TEST(SignedPolicyTest, APolicySignedByAnotherDeploymentsCaIsRefused) {
  TempDir dir;
  ASSERT_TRUE(sync::MakeDeploymentCa(dir.File("other-ca"), "Someone else's deployment").ok());
  auto foreign = sync::SignPolicy(NarrowerMeetings(), dir.File("other-ca/ca.pem"),
                                  dir.File("other-ca/ca.key"));
  ASSERT_TRUE(foreign.ok()) << foreign.status().ToString();
  auto held = sync::VerifySignedPolicy(Verifier(), *foreign);
  ASSERT_FALSE(held.ok());
  EXPECT_EQ(held.status().code(), Code::kPermissionDenied);
  EXPECT_NE(held.status().message().find("not the key of this deployment's CA"), std::string::npos)
      << held.status().message();
}

TEST(SignedPolicyTest, OnlyTheCaSignsAndOnlyAVersionAboveTheBuiltInOne) {
  auto one = sync::SignPolicy(PolicyText(1), TestDeployment::Get().ca_pem(), CaKey());
  ASSERT_FALSE(one.ok());
  EXPECT_NE(one.status().message().find("built-in version 1"), std::string::npos);
  // A node's own key is not the deployment's.
  TempDir dir;
  ASSERT_TRUE(sync::MakeNodeCertificate(CaDir(), "KH-NCCT", dir.File("kh"), "KH").ok());
  auto by_node =
      sync::SignPolicy(NarrowerMeetings(), dir.File("kh/node.pem"), dir.File("kh/node.key"));
  ASSERT_FALSE(by_node.ok());
  EXPECT_NE(by_node.status().message().find("not a CA certificate"), std::string::npos)
      << by_node.status().message();
}

// ---- Holding versions.

TEST(SignedPolicyTest, ANodeKeepsEveryVersionAndJudgesWithTheNewest) {
  TempDir dir;
  auto kh = testing::NewStore(dir, "KH-NCCT");
  EXPECT_EQ(PolicyVersionOf(*kh), 1);
  Install(*kh, Signed(NarrowerMeetings(3)));
  EXPECT_EQ(PolicyVersionOf(*kh), 3);
  // An older version is kept (a peer may still judge with it), not used.
  auto older = sync::TakeSignedPolicy(*kh, Verifier(), Signed(NarrowerMeetings(2)), "sync with X");
  ASSERT_TRUE(older.ok()) << older.status().ToString();
  EXPECT_EQ(older->outcome, PolicyInstall::kKeptOlder);
  EXPECT_EQ(PolicyVersionOf(*kh), 3);
  // The same text again changes nothing; another text with the same version
  // is a mistake of the deployment, said so.
  auto current = kh->CurrentPolicy();
  ASSERT_TRUE(current.ok());
  auto again = sync::TakeSignedPolicy(*kh, Verifier(), current->signed_text, "installed");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->outcome, PolicyInstall::kAlreadyHeld);
  auto twin = sync::TakeSignedPolicy(*kh, Verifier(), Signed(PolicyText(3)), "installed");
  ASSERT_FALSE(twin.ok());
  EXPECT_NE(twin.status().message().find("two policies with one version"), std::string::npos);
  auto held = kh->HeldPolicies();
  ASSERT_TRUE(held.ok());
  ASSERT_EQ(held->size(), 3u);
  EXPECT_EQ((*held)[0].source, "built in");
  EXPECT_EQ((*held)[1].policy.version, 2);
  EXPECT_EQ((*held)[2].policy.version, 3);
  // Still held after the node is opened again.
  std::string path = dir.File("KH-NCCT.db");
  kh.reset();
  auto reopened = Store::Open(path);
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(PolicyVersionOf(**reopened), 3);
}

TEST(SignedPolicyTest, AnotherConnectionSeesANewPolicyAtOnce) {
  TempDir dir;
  auto kh = testing::NewStore(dir, "KH-NCCT");
  ASSERT_TRUE(kh->RecordNodeParty("KH-NCCT", "KH").ok());
  Put(*kh, {"meeting",
            std::string("mtg-kh-2026-poipet"),
            {{"title", "កិច្ចប្រជុំគ្រប់គ្រងករណីនៅប៉ោយប៉ែត"}, {"start_date", "2026-03-04"}}});
  auto other = Store::Open(dir.File("KH-NCCT.db"));
  ASSERT_TRUE(other.ok());
  auto before = (*other)->ScopeOf("mtg-kh-2026-poipet");
  ASSERT_TRUE(before.ok());
  EXPECT_TRUE(before->everyone);
  Install(*kh, Signed(NarrowerMeetings()));
  auto after = (*other)->ScopeOf("mtg-kh-2026-poipet");
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(after->everyone);
  EXPECT_EQ(after->parties, std::set<std::string>{"KH"});
}

// ---- Travel, and mixed versions.

const char kPlanlessMeeting[] = "mtg-kh-2026-poipet";  // v1: every node; v2: KH only
const char kVnPlan[] = "plan-vnkh-2026";
const char kVnAgendaItem[] = "agenda-vnkh-2026-1";  // v1: KH, VN (its plan); v2: every node

void PutMeetingsAndAgenda(Store& kh) {
  Put(kh, {"meeting",
           std::string(kPlanlessMeeting),
           {{"title", "កិច្ចប្រជុំគ្រប់គ្រងករណីនៅប៉ោយប៉ែត"}, {"start_date", "2026-03-04"}}});
  Put(kh,
      {"plan",
       std::string(kVnPlan),
       {{"title", "Kế hoạch hành động chung Việt Nam – Campuchia 2026"}, {"parties", "KH,VN"}}});
  Put(kh, {"meeting",
           std::string("mtg-vnkh-2026"),
           {{"title", "Cuộc họp song phương Việt Nam – Campuchia"},
            {"start_date", "2026-05-12"},
            {"related_plan", std::string(kVnPlan)}}});
  Put(kh, {"agenda_item",
           std::string(kVnAgendaItem),
           {{"meeting", std::string("mtg-vnkh-2026")},
            {"description", "Thảo luận về hồi hương nạn nhân bị mua bán"}}});
  Put(kh, {"party", std::string("party-th"), {{"code", "TH"}, {"name", "ราชอาณาจักรไทย"}}});
}

void LearnParty(Store& store, const std::string& peer) {
  ASSERT_TRUE(sync::LearnPeerParty(store, *CredentialsFor(store).verifier,
                                   TestDeployment::Get().For(peer).signer->cert_pem(), peer)
                  .ok());
}

Result<sync::BundleApplyResult> CarryBundle(FiveOffices& o, Store& from, Store& to,
                                            const std::string& name, bool ack = false) {
  std::string path = o.dir.File(name);
  sync::BundleCreateOptions options;
  options.receiver = to.node_id();
  options.verifier = CredentialsFor(from).verifier;
  options.receiver_cert_pem = CredentialsFor(to).signer->cert_pem();
  auto made = ack ? sync::CreateAck(from, *CredentialsFor(from).signer, path, options)
                  : sync::CreateBundle(from, *CredentialsFor(from).signer, path, options);
  if (!made.ok()) return made.status();
  return sync::ApplyBundle(to, *CredentialsFor(to).verifier, path, CredentialsFor(to).signer);
}

TEST(SignedPolicyTest, ANewPolicyReachesOfficesBySyncBothWaysAndByBundle) {
  FiveOffices o;
  PutMeetingsAndAgenda(*o.kh);
  Install(*o.kh, Signed(NarrowerMeetings()));

  // The border office asks the capital: it takes version 2 from the reply.
  testing::InProcessTransport to_kh(*o.kh, o.poipet->node_id());
  auto pulled = testing::SyncWith(*o.poipet, to_kh);
  ASSERT_TRUE(pulled.ok()) << pulled.status().ToString();
  EXPECT_EQ(pulled->policy_taken, 2);
  // The capital asks Hanoi: Hanoi takes it from the request, before any page.
  testing::InProcessTransport to_vn(*o.vn, o.kh->node_id());
  auto pushed = testing::SyncWith(*o.kh, to_vn);
  ASSERT_TRUE(pushed.ok()) << pushed.status().ToString();
  EXPECT_EQ(pushed->policy_taken, 0);
  // The border office carries it to Aranyaprathet on a USB stick.
  LearnParty(*o.poipet, "TH-ARANYA");
  auto carried = CarryBundle(o, *o.poipet, *o.aranya, "poipet-to-aranya.bundle");
  ASSERT_TRUE(carried.ok()) << carried.status().ToString();
  EXPECT_EQ(carried->policy_taken, 2);

  for (Store* s : {o.kh.get(), o.poipet.get(), o.vn.get(), o.aranya.get()}) {
    EXPECT_EQ(PolicyVersionOf(*s), 2) << s->node_id();
  }
  EXPECT_EQ(PolicyVersionOf(*o.th), 1);  // never in contact
  auto source = [](Store& s) {
    auto held = s.CurrentPolicy();
    return held.ok() ? held->source : held.status().ToString();
  };
  EXPECT_EQ(source(*o.poipet), "sync with KH-NCCT");
  EXPECT_EQ(source(*o.vn), "sync with KH-NCCT");
  EXPECT_EQ(source(*o.aranya), "bundle from KH-POIPET");

  // Everyone judges alike: the planless meeting stays in Cambodia, the
  // agenda item goes to every node, the Viet Nam plan to KH and VN.
  for (Store* s : {o.kh.get(), o.poipet.get()}) {
    auto scope = s->ScopeOf(kPlanlessMeeting);
    ASSERT_TRUE(scope.ok()) << s->node_id() << ": " << scope.status().ToString();
    EXPECT_FALSE(scope->everyone) << s->node_id();
    EXPECT_EQ(scope->parties, std::set<std::string>{"KH"}) << s->node_id();
  }
  for (Store* s : {o.kh.get(), o.poipet.get(), o.vn.get()}) {
    auto plan = s->ScopeOf(kVnPlan);
    ASSERT_TRUE(plan.ok()) << s->node_id() << ": " << plan.status().ToString();
    EXPECT_EQ(plan->parties, (std::set<std::string>{"KH", "VN"})) << s->node_id();
    auto item = s->ScopeOf(kVnAgendaItem);
    ASSERT_TRUE(item.ok()) << s->node_id();
    EXPECT_TRUE(item->everyone) << s->node_id();
  }
  EXPECT_FALSE(Holds(*o.vn, kPlanlessMeeting));
  EXPECT_TRUE(Holds(*o.vn, kVnAgendaItem));
  EXPECT_FALSE(Holds(*o.aranya, kPlanlessMeeting));
  EXPECT_FALSE(Holds(*o.aranya, kVnPlan));
  // Poi Pet could not know that Aranyaprathet would take version 2 from the
  // bundle: it judged for version 1 as well, which keeps the Viet Nam plan's
  // agenda to KH and VN.
  EXPECT_FALSE(Holds(*o.aranya, kVnAgendaItem));
}

TEST(SignedPolicyTest, AReceiverKnownToHoldTheOldPolicyGetsOnlyWhatBothVersionsAllow) {
  FiveOffices o;
  PutMeetingsAndAgenda(*o.kh);
  Install(*o.kh, Signed(NarrowerMeetings()));
  // The capital never heard from Aranyaprathet: as far as it knows, that
  // office still judges with the built-in version 1.
  LearnParty(*o.kh, "TH-ARANYA");
  auto first = CarryBundle(o, *o.kh, *o.aranya, "kh-to-aranya-1.bundle");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->policy_taken, 2);
  EXPECT_TRUE(Holds(*o.aranya, "party-th"));
  // Version 1 would send the planless meeting, version 2 the agenda item:
  // neither both.
  EXPECT_FALSE(Holds(*o.aranya, kPlanlessMeeting));
  EXPECT_FALSE(Holds(*o.aranya, kVnAgendaItem));

  // Aranyaprathet's acknowledgement says it holds version 2 now: the next
  // bundle judges with version 2 alone, and the agenda item, held back
  // before, goes.
  auto ack = CarryBundle(o, *o.aranya, *o.kh, "aranya-to-kh.ack", /*ack=*/true);
  ASSERT_TRUE(ack.ok()) << ack.status().ToString();
  auto peer = o.kh->GetPeer("TH-ARANYA");
  ASSERT_TRUE(peer.ok());
  EXPECT_EQ(peer->policy_version, 2);
  auto second = CarryBundle(o, *o.kh, *o.aranya, "kh-to-aranya-2.bundle");
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->policy_taken, 0);
  EXPECT_TRUE(Holds(*o.aranya, kVnAgendaItem));
  EXPECT_FALSE(Holds(*o.aranya, kPlanlessMeeting));
  EXPECT_FALSE(Holds(*o.aranya, kVnPlan));
}

TEST(SignedPolicyTest, APolicyTheCaDidNotSignStopsSyncAndBundleAndChangesNothing) {
  FiveOffices o;
  Put(*o.kh, {"party", std::string("party-th"), {{"code", "TH"}, {"name", "ราชอาณาจักรไทย"}}});
  // A node that kept a policy no CA of this deployment signed (its store
  // was written to directly).
  TempDir dir;
  ASSERT_TRUE(sync::MakeDeploymentCa(dir.File("other-ca"), "Someone else's deployment").ok());
  auto foreign = sync::SignPolicy(NarrowerMeetings(), dir.File("other-ca/ca.pem"),
                                  dir.File("other-ca/ca.key"));
  ASSERT_TRUE(foreign.ok());
  HeldPolicy forged;
  forged.policy = *SharingPolicy::Parse(NarrowerMeetings());
  forged.signed_text = *foreign;
  forged.source = "installed";
  ASSERT_TRUE(o.kh->InstallPolicy(forged).ok());

  testing::InProcessTransport to_th(*o.th, o.kh->node_id());
  auto synced = testing::SyncWith(*o.kh, to_th);
  ASSERT_FALSE(synced.ok());
  EXPECT_NE(synced.status().message().find("is refused"), std::string::npos)
      << synced.status().message();
  EXPECT_EQ(PolicyVersionOf(*o.th), 1);
  EXPECT_FALSE(Holds(*o.th, "party-th"));

  LearnParty(*o.kh, "TH-ARANYA");
  auto carried = CarryBundle(o, *o.kh, *o.aranya, "kh-to-aranya.bundle");
  ASSERT_FALSE(carried.ok());
  EXPECT_NE(carried.status().message().find("carries a sharing policy this node refuses"),
            std::string::npos)
      << carried.status().message();
  EXPECT_NE(carried.status().message().find("nothing applied"), std::string::npos);
  EXPECT_EQ(PolicyVersionOf(*o.aranya), 1);
  EXPECT_FALSE(Holds(*o.aranya, "party-th"));
}

}  // namespace
}  // namespace accord
