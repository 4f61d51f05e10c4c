// Offline bundles: a border office with no link carries its changes on a USB stick.
#include "sync/bundle.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "accord_bundle.pb.h"
#include "core/hex.h"
#include "core/sha256.h"
#include "sync/sync_session.h"
#include "test_support.h"
#include "tests/file_bytes.h"

namespace accord {
namespace {

using testing::DumpOf;
using testing::FakeClock;
using testing::InProcessTransport;
using testing::NewStore;
using testing::TempDir;

void WriteFile(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}

class BundleTest : public ::testing::Test, public testing::ThreeOffices {
 protected:
  // The offices belong to the test deployment (tests/test_support.h), whose
  // keys they seal and sign with; "impostor" holds a certificate for
  // KH-POIPET from another CA.
  void SetUp() override {
    ASSERT_TRUE(sync::MakeDeploymentCa(dir.File("other-ca"), "Another deployment").ok());
    ASSERT_TRUE(
        sync::MakeNodeCertificate(dir.File("other-ca"), "KH-POIPET", dir.File("impostor")).ok());
    verifier = testing::TestDeployment::Get().For("KH-NCCT").verifier;
  }
  const sync::NodeSigner& Signer(const std::string& node) {
    return *testing::TestDeployment::Get().For(node).signer;
  }
  std::string Bundle(Store& from, const std::string& to, const std::string& name,
                     bool scratch = false) {
    sync::BundleCreateOptions options;
    options.receiver = to;
    options.from_scratch = scratch;
    options.chunk_states = 7;
    // The receiver's party, from its certificate, as `bundle create
    // --receiver-cert` learns it when the two nodes never synced.
    Status learnt = sync::LearnPeerParty(from, *verifier, Signer(to).cert_pem(), to);
    EXPECT_TRUE(learnt.ok()) << learnt.ToString();
    options.verifier = verifier;
    options.receiver_cert_pem = Signer(to).cert_pem();
    auto info = sync::CreateBundle(from, Signer(from.node_id()), dir.File(name), options);
    EXPECT_TRUE(info.ok()) << info.status().ToString();
    return dir.File(name);
  }
  Result<sync::BundleApplyResult> Apply(Store& to, const std::string& path) {
    return sync::ApplyBundle(to, *verifier, path, &Signer(to.node_id()));
  }
  void SyncOk(Store& client, Store& server) {
    InProcessTransport transport(server, client.node_id());
    auto summary = testing::SyncWith(client, transport);
    ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  }

  const sync::PeerVerifier* verifier = nullptr;
};

TEST_F(BundleTest, BorderOfficeRoundTripByBundleAndCapitalSyncConverges) {
  ASSERT_TRUE(
      kh->Put({"plan", std::string("plan-1"), {{"title", "Plan of Action 2023-2025"}}}).ok());
  SyncOk(*th, *kh);
  ASSERT_TRUE(Apply(*border, Bundle(*kh, "KH-POIPET", "kh-to-border.bundle")).ok());
  // The border office works offline for days.
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(border
                    ->Put({"case", "case-" + std::to_string(i),
                           testing::SharedCase("TH-KH",
                                               {{"reference", "KH-2023-0" + std::to_string(10 + i)},
                                                {"step", "returned"},
                                                {"return_checkpoint", "Poi Pet"}})})
                    .ok());
  }
  auto applied = Apply(*kh, Bundle(*border, "KH-NCCT", "border-to-kh.bundle"));
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(applied->applied.applied, 30u * (3 + testing::kConsentFields));
  EXPECT_TRUE(applied->knowledge_merged);
  SyncOk(*kh, *th);
  auto put = th->Put({"case", std::string("case-3"), {{"step", "transit_centre"}}});
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  SyncOk(*kh, *th);
  auto back = Apply(*border, Bundle(*kh, "KH-POIPET", "kh-to-border-2.bundle"));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*border->Get("case-3")->fields.at("step").value, "transit_centre");
  EXPECT_EQ(DumpOf(*border), DumpOf(*kh));
  EXPECT_EQ(DumpOf(*th), DumpOf(*kh));
}

TEST_F(BundleTest, ReplayedAndReorderedBundlesChangeNothing) {
  ASSERT_TRUE(border->Put({"case", std::string("c1"), {{"reference", "KH-1"}}}).ok());
  std::string first = Bundle(*border, "KH-NCCT", "1.bundle");
  ASSERT_TRUE(border->Put({"case", std::string("c1"), {{"step", "returned"}}}).ok());
  std::string second = Bundle(*border, "KH-NCCT", "2.bundle");
  ASSERT_TRUE(Apply(*kh, second).ok());
  std::string after_second = DumpOf(*kh);
  auto older = Apply(*kh, first);  // arrives late
  ASSERT_TRUE(older.ok());
  EXPECT_EQ(older->applied.applied, 0u);
  auto replay = Apply(*kh, second);
  ASSERT_TRUE(replay.ok());
  EXPECT_EQ(replay->applied.applied, 0u);
  EXPECT_EQ(DumpOf(*kh), after_second);
  EXPECT_EQ(DumpOf(*kh), DumpOf(*border));
}

TEST_F(BundleTest, AnAcknowledgementShrinksTheNextBundle) {
  for (int i = 0; i < 10; ++i)
    ASSERT_TRUE(
        border->Put({"party", "p" + std::to_string(i), {{"code", "KH"}, {"name", "n"}}}).ok());
  ASSERT_TRUE(Apply(*kh, Bundle(*border, "KH-NCCT", "1.bundle")).ok());
  auto ack = sync::CreateAck(*kh, Signer("KH-NCCT"), dir.File("ack.bundle"), "KH-POIPET");
  ASSERT_TRUE(ack.ok()) << ack.status().ToString();
  ASSERT_TRUE(Apply(*border, dir.File("ack.bundle")).ok());
  ASSERT_TRUE(border->Put({"party", std::string("p0"), {{"name", "renamed"}}}).ok());
  Status verify;
  auto info = sync::InspectBundle(Bundle(*border, "KH-NCCT", "2.bundle"), verifier, &verify);
  ASSERT_TRUE(info.ok());
  EXPECT_TRUE(verify.ok());
  EXPECT_EQ(info->states, 1u);
  EXPECT_EQ(info->states_per_type.at("party"), 1u);
  auto full = sync::InspectBundle(Bundle(*border, "KH-NCCT", "3.bundle", true), verifier, &verify);
  EXPECT_EQ(full->states, 20u);
}

TEST_F(BundleTest, TheBundleBackLeavesOutWhatItsSenderAlreadyHolds) {
  ASSERT_TRUE(kh->Put({"plan", std::string("plan-1"), {{"title", "Plan"}}}).ok());
  for (int i = 0; i < 10; ++i)
    ASSERT_TRUE(
        border->Put({"party", "p" + std::to_string(i), {{"code", "KH"}, {"name", "n"}}}).ok());
  auto applied = Apply(*kh, Bundle(*border, "KH-NCCT", "up.bundle"));
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_TRUE(applied->sender_noted);
  // With no acknowledgement, the capital still knows the office wrote those 20.
  Status verify;
  auto back = sync::InspectBundle(Bundle(*kh, "KH-POIPET", "back.bundle"), verifier, &verify);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->states, 1u);
  EXPECT_EQ(back->states_per_type.at("plan"), 1u);
  ASSERT_TRUE(Apply(*border, dir.File("back.bundle")).ok());
  EXPECT_EQ(DumpOf(*border), DumpOf(*kh));
}

// Regression (issue 11, found by the scoped convergence run): a sync recorded
// that its peer held everything the syncing node knew, even the cases the
// peer's party was kept from. Once consent was given, a bundle to the peer
// left those cases out and carried only the new consent: Bangkok held a
// case with no reference, no notes, and no path by bundle to the rest.
TEST_F(BundleTest, ABundleAfterASyncThatHeldCasesBackBringsThemWholeOnceConsentIsGiven) {
  auto open_case = [](Store& office, const std::string& id, const std::string& notes) {
    ASSERT_TRUE(office
                    .Put({"case",
                          id,
                          {{"reference", "KH-2026-" + id.substr(id.size() - 3)},
                           {"direction", "TH-KH"},
                           {"consent", "not_asked"},
                           {"notes", notes}}})
                    .ok());
  };
  // Poi Pet's case reaches the capital; the capital opens one of its own.
  open_case(*border, "case-kh-2026-061", "បានសម្ភាសន៍ជនរងគ្រោះនៅប៉ោយប៉ែត");
  open_case(*kh, "case-kh-2026-062", "កំពុងស្វែងរកគ្រួសារ");
  SyncOk(*kh, *border);
  // The capital syncs with Bangkok: neither case may go yet.
  SyncOk(*kh, *th);
  ASSERT_FALSE(th->Get("case-kh-2026-061").ok());
  ASSERT_FALSE(th->Get("case-kh-2026-062").ok());
  // Both victims agree: at Poi Pet (which the capital learns by sync) and at the capital.
  ASSERT_TRUE(border->Put({"case", std::string("case-kh-2026-061"), {{"consent", "given"}}}).ok());
  SyncOk(*kh, *border);
  ASSERT_TRUE(kh->Put({"case", std::string("case-kh-2026-062"), {{"consent", "given"}}}).ok());
  // The link to Bangkok is down: the capital's news goes on a USB stick.
  ASSERT_TRUE(Apply(*th, Bundle(*kh, "TH-MSDHS", "kh-to-th.bundle")).ok());
  for (const char* id : {"case-kh-2026-061", "case-kh-2026-062"}) {
    auto at_th = th->Get(id);
    ASSERT_TRUE(at_th.ok()) << id;
    auto at_kh = kh->Get(id);
    for (const char* field : {"reference", "notes", "consent"}) {
      if (!at_th->Value(field)) {
        ADD_FAILURE() << id << "." << field << " did not arrive";
        continue;
      }
      EXPECT_EQ(*at_th->Value(field), *at_kh->Value(field)) << id << "." << field;
    }
  }
}

// A long apply commits a chunk at a time. Stopped after two chunks (as a
// crash would stop it), the node holds whole chunks but not yet the sender's
// knowledge; the same file applied again skips what is in and finishes.
TEST_F(BundleTest, AnInterruptedApplyResumesAfterTheChunksItCommitted) {
  for (int i = 0; i < 12; ++i) {
    ASSERT_TRUE(border
                    ->Put({"case",
                           "case-" + std::to_string(i),
                           {{"reference", "KH-2026-" + std::to_string(i)}, {"step", "returned"}}})
                    .ok());
  }
  // 24 states in chunks of 7, each rounded up to the end of a case's write
  // (a chunk never holds part of one): 8, 8, 8.
  std::string file = Bundle(*border, "KH-NCCT", "poipet.bundle");
  auto stopped = sync::ApplyBundle(*kh, *verifier, file, &Signer("KH-NCCT"), {},
                                   [](uint64_t chunks_in) { return chunks_in == 2; });
  ASSERT_FALSE(stopped.ok());
  EXPECT_EQ(stopped.status().code(), Code::kUnavailable);
  EXPECT_NE(stopped.status().message().find("after chunk 2 of 3"), std::string::npos)
      << stopped.status().message();
  EXPECT_EQ(kh->GetStatus()->last_seq, 16);          // two whole chunks
  EXPECT_EQ(kh->Knowledge()->Get("KH-POIPET"), 0u);  // the sender's knowledge waits
  auto resumed = Apply(*kh, file);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  EXPECT_EQ(resumed->chunks_resumed, 2u);
  EXPECT_EQ(resumed->states_resumed, 16u);
  EXPECT_EQ(resumed->applied.received, 8u);  // only what was missing
  EXPECT_EQ(resumed->applied.applied, 8u);
  EXPECT_EQ(resumed->applied.unchanged, 0u);
  EXPECT_TRUE(resumed->knowledge_merged);
  EXPECT_EQ(DumpOf(*kh), DumpOf(*border));
  EXPECT_EQ(kh->Knowledge()->Get("KH-POIPET"), 12u);
  // Fully applied, the file is an ordinary replay: every chunk again, nothing changes.
  auto replay = Apply(*kh, file);
  ASSERT_TRUE(replay.ok());
  EXPECT_EQ(replay->chunks_resumed, 0u);
  EXPECT_EQ(replay->applied.received, 24u);
  EXPECT_EQ(replay->applied.applied, 0u);
  EXPECT_EQ(DumpOf(*kh), DumpOf(*border));
}

// An officer's write between two chunks of an apply is neither lost nor
// undone when the apply resumes.
TEST_F(BundleTest, AWriteBetweenChunksSurvivesTheResumedApply) {
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(
        border->Put({"party", "p" + std::to_string(i), {{"code", "KH"}, {"name", "n"}}}).ok());
  }
  std::string file = Bundle(*border, "KH-NCCT", "parties.bundle");
  ASSERT_FALSE(sync::ApplyBundle(*kh, *verifier, file, &Signer("KH-NCCT"), {}, [](uint64_t n) {
                 return n == 1;
               }).ok());
  ASSERT_TRUE(kh->Put({"plan", std::string("plan-1"), {{"title", "Plan"}}}).ok());
  ASSERT_TRUE(Apply(*kh, file).ok());
  EXPECT_TRUE(kh->Get("plan-1").ok());
  EXPECT_EQ(kh->GetStatus()->records_per_type["party"], 10);
  SyncOk(*border, *kh);
  EXPECT_EQ(DumpOf(*kh), DumpOf(*border));
}

// Recomputes a bundle's checksum and seal after the test changed its bytes,
// as the sender's own accord would have written them.
std::string Resealed(const std::string& data, const sync::NodeSigner& signer) {
  auto u32 = [&](size_t at) {
    uint32_t n = 0;
    for (int i = 3; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(data[at + i]);
    return n;
  };
  size_t pos = 8;
  pos += 4 + u32(pos);                         // header
  while (uint32_t n = u32(pos)) pos += 4 + n;  // chunks
  pos += 4;                                    // end of chunks
  pos += 4 + u32(pos);                         // summary
  std::string body = data.substr(0, pos);
  std::string digest = Sha256Of(body).value();
  wire::BundleSeal seal;
  seal.set_signature(signer.Sign("accord-bundle-v1\n" + HexEncode(digest)).value());
  seal.set_certificate_pem(signer.cert_pem());
  std::string sealed = seal.SerializeAsString();
  std::string length(4, '\0');
  for (int i = 0; i < 4; ++i) length[i] = static_cast<char>((sealed.size() >> (8 * i)) & 0xff);
  return body + digest + length + sealed;
}

class BadBundleTest : public BundleTest {
 protected:
  void SetUp() override {
    BundleTest::SetUp();
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE(
          border->Put({"case", "c" + std::to_string(i), {{"reference", "KH-" + std::to_string(i)}}})
              .ok());
    }
    good = Bundle(*border, "KH-NCCT", "good.bundle");
    before = DumpOf(*kh);
  }
  void ExpectRejected(const std::string& path, const std::string& part) {
    auto result = Apply(*kh, path);
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.status().message().find(part), std::string::npos) << result.status().message();
    EXPECT_EQ(DumpOf(*kh), before);
  }
  std::string good, before;
};

TEST_F(BadBundleTest, Truncated) {
  std::string data = testing::FileBytes(good);
  for (size_t cut : {size_t{5}, data.size() / 2, data.size() - 1}) {
    WriteFile(dir.File("cut.bundle"), data.substr(0, cut));
    ExpectRejected(dir.File("cut.bundle"), "truncated");
  }
}

TEST_F(BadBundleTest, BitFlipped) {
  std::string data = testing::FileBytes(good);
  for (size_t at : {size_t{20}, data.size() / 2, data.size() - 200}) {
    std::string flipped = data;
    flipped[at] ^= 0x10;
    WriteFile(dir.File("flip.bundle"), flipped);
    auto result = Apply(*kh, dir.File("flip.bundle"));
    EXPECT_FALSE(result.ok()) << "flip at " << at;
    EXPECT_EQ(DumpOf(*kh), before);
  }
}

TEST_F(BadBundleTest, SignedByAKeyFromAnotherCa) {
  auto impostor =
      sync::NodeSigner::Load(dir.File("impostor/node.pem"), dir.File("impostor/node.key"));
  ASSERT_TRUE(impostor.ok());
  sync::BundleCreateOptions options;
  options.receiver = "KH-NCCT";
  ASSERT_TRUE(sync::CreateBundle(*border, *impostor, dir.File("forged.bundle"), options).ok());
  ExpectRejected(dir.File("forged.bundle"), "signature does not verify");
}

TEST_F(BadBundleTest, MeantForAnotherNode) {
  ExpectRejected(Bundle(*border, "TH-MSDHS", "for-th.bundle"), "meant for TH-MSDHS");
}

// The file as a newer accord at KH-POIPET would write it: a format version
// this build does not know, checksummed and signed like any other.
TEST_F(BadBundleTest, FromAFutureFormatVersion) {
  std::string data = testing::FileBytes(good);
  // The header's first field (format_version) sits right after magic and length.
  ASSERT_EQ(static_cast<unsigned char>(data[12]), 0x08u);
  data[13] = 9;
  WriteFile(dir.File("future.bundle"), Resealed(data, Signer("KH-POIPET")));
  ExpectRejected(dir.File("future.bundle"), "format version 9");
}

// A format-1 bundle (states not signed by their origin) from an older
// accord: it verifies as a file, and is refused for what it carries.
TEST_F(BadBundleTest, FromAnOlderFormatWithUnsignedStates) {
  std::string data = testing::FileBytes(good);
  data[13] = 1;
  WriteFile(dir.File("old.bundle"), Resealed(data, Signer("KH-POIPET")));
  ExpectRejected(dir.File("old.bundle"), "the sender must upgrade");
}

TEST_F(BadBundleTest, NotABundleAtAll) {
  WriteFile(dir.File("minutes.txt"), "Bilateral Meeting on the Plan of Action, 18-19 January 2023");
  ExpectRejected(dir.File("minutes.txt"), "not an Accord bundle");
}

}  // namespace
}  // namespace accord
