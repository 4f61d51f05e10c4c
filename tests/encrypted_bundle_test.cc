// A bundle that carries personal data is encrypted for its receiver: a lost
// USB stick, or a file opened by any other node, reveals no value.
#include <gtest/gtest.h>

#include <filesystem>

#include "accord_bundle.pb.h"
#include "sync/bundle.h"
#include "sync/bundle_cipher.h"
#include "sync/wire_codec.h"
#include "tests/tamper.h"
#include "tests/test_support.h"

namespace accord {
namespace {

using testing::InProcessTransport;

// Strings that must never be readable outside KH-NCCT (Khmer, Thai, ASCII).
const char kKhmerNote[] = "បានរកឃើញម្តាយនៅភូមិអូរជ្រៅ-សម្គាល់៧៣៩";
const char kThaiNote[] = "พบครอบครัวที่อำเภออรัญประเทศ-เครื่องหมาย๔๑";
const char kReference[] = "KH-2026-ZX739";

class EncryptedBundleTest : public ::testing::Test, public testing::ThreeOffices {
 protected:
  const sync::NodeSigner& Key(const std::string& node) {
    return *testing::TestDeployment::Get().For(node).signer;
  }
  const sync::PeerVerifier& Verifier() {
    return *testing::TestDeployment::Get().For("KH-NCCT").verifier;
  }
  void OpenCase() {
    auto id = border->Put({"case",
                           std::string("case-poipet-739"),
                           {{"reference", std::string(kReference)},
                            {"notes", std::string(kKhmerNote)},
                            {"shelter", std::string(kThaiNote)}}});
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    // A second case, so that the file holds more than one chunk.
    auto other = border->Put(
        {"case",
         std::string("case-poipet-740"),
         {{"reference", std::string("KH-2026-ZX740")}, {"notes", std::string("ក្មេងប្រុសអាយុ១៤ឆ្នាំ")}}});
    ASSERT_TRUE(other.ok()) << other.status().ToString();
  }
  // A bundle from the border office for the capital: encrypted with the
  // capital's certificate when `with_cert`, else with what the office keeps.
  Result<sync::BundleInfo> Write(const std::string& name, bool with_cert = true) {
    // The capital's party, so that the cases may go to it.
    Status learnt = sync::LearnPeerParty(*border, Verifier(), Key("KH-NCCT").cert_pem(), "KH-NCCT");
    if (!learnt.ok()) return learnt;
    sync::BundleCreateOptions options;
    options.receiver = "KH-NCCT";
    options.chunk_states = 3;
    options.verifier = &Verifier();
    if (with_cert) options.receiver_cert_pem = Key("KH-NCCT").cert_pem();
    return sync::CreateBundle(*border, Key("KH-POIPET"), dir.File(name), options);
  }
};

TEST_F(EncryptedBundleTest, OnlyTheReceiverCanReadAPersonalBundle) {
  OpenCase();
  auto info = Write("poipet.bundle");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_TRUE(info->encrypted);
  EXPECT_EQ(info->format_version, sync::kBundleFormatVersion);
  std::string path = dir.File("poipet.bundle");

  // The file as it lies on the stick: no value, and no chunk decompresses.
  std::string bytes = testing::ReadBytes(path);
  for (const char* secret : {kKhmerNote, kThaiNote, kReference}) {
    EXPECT_EQ(bytes.find(secret), std::string::npos) << secret;
  }
  testing::BundleParts parts = testing::ReadBundleParts(path);
  ASSERT_GT(parts.chunks.size(), 1u);
  for (const std::string& chunk : parts.chunks) {
    EXPECT_FALSE(sync::Decompress(chunk, sync::kMaxFrameBytes).ok());
  }
  // Inspected anywhere: the header and the counts, which say it is encrypted.
  Status verified;
  auto seen = sync::InspectBundle(path, &Verifier(), &verified);
  ASSERT_TRUE(seen.ok());
  EXPECT_TRUE(verified.ok()) << verified.ToString();
  EXPECT_TRUE(seen->encrypted);
  EXPECT_EQ(seen->receiver_key_id, Key("KH-NCCT").key_id());
  EXPECT_EQ(seen->states_per_type.at("case"), info->states);

  // Another node's key, even with the header's key id, opens nothing.
  wire::BundleHeader header;
  ASSERT_TRUE(header.ParseFromString(parts.header));
  auto wrong = sync::BundleCipher::ForThisNode(Key("TH-MSDHS"), header.ephemeral_public_key(),
                                               header.receiver_key_id());
  EXPECT_EQ(wrong.status().code(), Code::kPermissionDenied) << wrong.status().ToString();
  auto forced = sync::BundleCipher::ForThisNode(Key("TH-MSDHS"), header.ephemeral_public_key(),
                                                Key("TH-MSDHS").key_id());
  ASSERT_TRUE(forced.ok()) << forced.status().ToString();
  EXPECT_EQ(forced->Open(0, parts.chunks[0]).status().code(), Code::kPermissionDenied);
  // Nor does applying it there (it is meant for the capital).
  std::string th_before = testing::DumpOf(*th);
  EXPECT_FALSE(sync::ApplyBundle(*th, Verifier(), path, &Key("TH-MSDHS")).ok());
  EXPECT_EQ(testing::DumpOf(*th), th_before);

  // The capital without its key cannot apply it, and nothing changes.
  std::string kh_before = testing::DumpOf(*kh);
  auto keyless = sync::ApplyBundle(*kh, Verifier(), path);
  EXPECT_EQ(keyless.status().code(), Code::kFailedPrecondition) << keyless.status().ToString();
  EXPECT_NE(keyless.status().message().find("nothing applied"), std::string::npos);
  EXPECT_EQ(testing::DumpOf(*kh), kh_before);
  // With it, the case arrives whole.
  auto applied = sync::ApplyBundle(*kh, Verifier(), path, &Key("KH-NCCT"));
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  auto record = kh->Get("case-poipet-739");
  ASSERT_TRUE(record.ok()) << record.status().ToString();
  EXPECT_EQ(*record->fields.at("notes").value, kKhmerNote);
  EXPECT_EQ(*record->fields.at("shelter").value, kThaiNote);
}

TEST_F(EncryptedBundleTest, AChunkMovedOrAlteredInTheFileDoesNotOpen) {
  OpenCase();
  ASSERT_TRUE(Write("poipet.bundle").ok());
  std::string path = dir.File("poipet.bundle");
  testing::BundleParts parts = testing::ReadBundleParts(path);
  ASSERT_GT(parts.chunks.size(), 1u);
  // Re-signed by the writer itself, so only the encryption can tell.
  std::swap(parts.chunks[0], parts.chunks[1]);
  testing::WriteSignedBundle(path, parts, Key("KH-POIPET"));
  std::string before = testing::DumpOf(*kh);
  auto swapped = sync::ApplyBundle(*kh, Verifier(), path, &Key("KH-NCCT"));
  ASSERT_FALSE(swapped.ok());
  EXPECT_NE(swapped.status().message().find("does not open"), std::string::npos)
      << swapped.status().ToString();
  EXPECT_EQ(testing::DumpOf(*kh), before);
}

TEST_F(EncryptedBundleTest, PersonalDataNeverGoesInClearAndOtherDataStillDoes) {
  // No key of the capital known here: a bundle with a case is refused and
  // leaves no file.
  OpenCase();
  auto refused = Write("clear.bundle", /*with_cert=*/false);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("--receiver-cert"), std::string::npos)
      << refused.status().ToString();
  EXPECT_FALSE(std::filesystem::exists(dir.File("clear.bundle")));
  EXPECT_FALSE(std::filesystem::exists(dir.File("clear.bundle.partial")));

  // What is not personal (a plan and its parties) still goes in clear to a
  // node whose key is not known, in the format older nodes read.
  auto fresh = testing::NewStore(dir, "KH-SIEMREAP", clock);
  ASSERT_TRUE(fresh
                  ->Put({"plan",
                         std::string("plan-kh-th"),
                         {{"title", std::string("แผนปฏิบัติการร่วม ២០២៦")}, {"parties", "KH,TH"}}})
                  .ok());
  sync::BundleCreateOptions options;
  options.receiver = "KH-NCCT";
  options.verifier = &Verifier();
  auto clear = sync::CreateBundle(*fresh, *testing::CredentialsFor(*fresh).signer,
                                  dir.File("plan.bundle"), options);
  ASSERT_TRUE(clear.ok()) << clear.status().ToString();
  EXPECT_FALSE(clear->encrypted);
  EXPECT_EQ(clear->format_version, sync::kClearBundleFormatVersion);
  EXPECT_TRUE(sync::ApplyBundle(*kh, Verifier(), dir.File("plan.bundle")).ok());
}

TEST_F(EncryptedBundleTest, TheReceiversKeyIsTheOneItsProvedWritesBrought) {
  // The capital wrote, and the border office received it by sync: the
  // capital's certificate came with its writes, so no --receiver-cert.
  ASSERT_TRUE(
      kh->Put({"party", std::string("party-kh"), {{"code", "KH"}, {"name", "កម្ពុជា"}}}).ok());
  InProcessTransport transport(*kh, border->node_id());
  ASSERT_TRUE(testing::SyncWith(*border, transport).ok());
  OpenCase();
  auto info = Write("poipet.bundle", /*with_cert=*/false);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_TRUE(info->encrypted);
  EXPECT_EQ(info->receiver_key_id, Key("KH-NCCT").key_id());
  auto applied = sync::ApplyBundle(*kh, Verifier(), dir.File("poipet.bundle"), &Key("KH-NCCT"));
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_TRUE(kh->Get("case-poipet-739").ok());
}

}  // namespace
}  // namespace accord
