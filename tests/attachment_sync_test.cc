// Attachments' files between offices (sync/file_transfer.h,
// sync/file_service.cc, sync/bundle_files.h): after the records, both ways,
// by bundle, and only where their record may go.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "sync/bundle.h"
#include "sync/wire_codec.h"
#include "tests/file_bytes.h"
#include "tests/office_phrases.h"
#include "tests/sharing_support.h"
#include "tests/test_support.h"

namespace accord {
namespace {

using testing::InProcessTransport;
using testing::ScanBytes;
using testing::SharedCase;
using testing::SyncWith;
using testing::TempDir;

// What a transport carried of attachments: the ids offered and fetched.
class FileLog : public sync::Transport {
 public:
  explicit FileLog(sync::Transport& inner) : inner_(inner) {}
  std::vector<std::string> offered, asked;
  Result<std::string> RoundTrip(std::string_view op, const std::string& request) override {
    auto frame = sync::DecodeFrame(request);
    if (frame.ok()) {
      for (const auto& f : frame->file_offer().files()) offered.push_back(f.attachment_id());
      if (frame->has_file_request()) asked.push_back(frame->file_request().attachment_id());
    }
    return inner_.RoundTrip(op, request);
  }

 private:
  sync::Transport& inner_;
};

class AttachmentSyncTest : public ::testing::Test, public testing::ThreeOffices {
 protected:
  AttachmentInfo AttachBytes(Store& store, const std::string& owner, const std::string& name,
                             const std::string& bytes, const std::string& caption = "") {
    std::string path = dir.File("upload-" + std::to_string(++uploads_));
    std::ofstream(path, std::ios::binary) << bytes;
    auto info = store.Attach({owner, path, name, "", caption});
    EXPECT_TRUE(info.ok()) << info.status().ToString();
    return info.ok() ? *info : AttachmentInfo{};
  }
  std::string Meeting(Store& store) {
    auto id = store.Put({"meeting",
                         std::nullopt,
                         {{"title", testing::ThaiPhrases().meeting_title},
                          {"start_date", "2026-02-10"},
                          {"city", testing::ThaiPhrases().city}}});
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return *id;
  }
  Result<std::string> FileOf(Store& store, const std::string& attachment_id) {
    ASSIGN_OR_RETURN(AttachmentInfo info, store.Attachment(attachment_id));
    if (!info.held) return NotFound("not held");
    return store.ReadAttachment(info, 0, info.size);
  }
  int uploads_ = 0;
};

TEST_F(AttachmentSyncTest, SignedMinutesReachTheOtherCapitalAndItsSlidesComeBack) {
  std::string meeting = Meeting(*kh);
  const std::string minutes = ScanBytes(90000, "signed minutes");
  AttachmentInfo pdf =
      AttachBytes(*kh, meeting, "កំណត់ហេតុប្រជុំ.pdf", minutes, "ចុះហត្ថលេខាដោយប្រធានគណៈប្រតិភូទាំងពីរ");
  {
    InProcessTransport transport(*kh, th->node_id());
    sync::SyncOptions options;
    options.files.piece_bytes = 32 * 1024;
    auto summary = SyncWith(*th, transport, options);
    ASSERT_TRUE(summary.ok()) << summary.status().ToString();
    EXPECT_TRUE(summary->files_status.ok()) << summary->files_status.ToString();
    EXPECT_EQ(summary->files.files_received, 1u);
    EXPECT_EQ(summary->files.bytes_received, minutes.size());
  }
  EXPECT_EQ(*FileOf(*th, pdf.id), minutes);

  // Bangkok adds its slides to the same meeting; its next sync sends them.
  const std::string slides = ScanBytes(20000, "slides");
  AttachmentInfo pptx = AttachBytes(*th, meeting, "สไลด์นำเสนอ.pptx", slides);
  InProcessTransport transport(*kh, th->node_id());
  auto summary = SyncWith(*th, transport);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->files.files_sent, 1u);
  EXPECT_EQ(*FileOf(*kh, pptx.id), slides);
  auto listed = kh->Attachments(meeting);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_TRUE((*listed)[0].held && (*listed)[1].held);
}

// A peer that says, every other piece, that it holds none of the file:
// once is a partial file it lost, and the rest is sent again; twice ends
// the file's sending for this sync, with the reason, and the sync goes on.
// (It used to send for ever.)
class ForgetfulPeer : public sync::Transport {
 public:
  explicit ForgetfulPeer(sync::Transport& inner) : inner_(inner) {}
  int pushes = 0;
  Result<std::string> RoundTrip(std::string_view op, const std::string& request) override {
    ASSIGN_OR_RETURN(std::string reply, inner_.RoundTrip(op, request));
    if (op != sync::kOpFilePush || ++pushes % 2 != 0 || pushes > 100) return reply;
    auto frame = sync::DecodeFrame(reply);
    if (!frame.ok() || !frame->has_file_push_reply()) return reply;
    frame->mutable_file_push_reply()->mutable_held()->set_bytes(0);
    return sync::EncodeFrame(*frame, frame->node_id()).value();
  }

 private:
  sync::Transport& inner_;
};

TEST_F(AttachmentSyncTest, APeerThatKeepsLosingAFileIsSentItTwiceAtMostAndTheSyncGoesOn) {
  std::string meeting = Meeting(*th);
  const std::string slides = ScanBytes(60000, "slides");
  AttachBytes(*th, meeting, "สไลด์นำเสนอ.pptx", slides);
  InProcessTransport direct(*kh, th->node_id());
  ForgetfulPeer transport(direct);
  sync::SyncOptions options;
  options.files.piece_bytes = 16 * 1024;
  auto summary = SyncWith(*th, transport, options);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->files.files_sent, 0u);
  ASSERT_EQ(summary->files.problems.size(), 1u);
  EXPECT_NE(summary->files.problems[0].find("สไลด์นำเสนอ.pptx"), std::string::npos);
  EXPECT_NE(summary->files.problems[0].find("a second time"), std::string::npos)
      << summary->files.problems[0];
  EXPECT_LE(transport.pushes, 4) << "piece, back to 0, piece, back to 0 again: stop";
  // The records went in all the same.
  EXPECT_TRUE(kh->Get(meeting).ok());
}

TEST_F(AttachmentSyncTest, ACaseScanStaysWithTheCaseBySyncAndByBundle) {
  std::string meeting = Meeting(*kh);
  AttachmentInfo minutes = AttachBytes(*kh, meeting, "minutes.pdf", ScanBytes(3000, "minutes"));
  auto case_id = kh->Put({"case", std::nullopt, {{"reference", "KH-2026-ZX512"}}});
  ASSERT_TRUE(case_id.ok());
  AttachmentInfo scan = AttachBytes(*kh, *case_id, "ទម្រង់.pdf", ScanBytes(5000, "ZX512"));
  ASSERT_EQ(scan.type, "case_attachment");

  // Bangkok syncs with the capital as client, then the capital with Bangkok.
  InProcessTransport to_kh(*kh, th->node_id());
  FileLog th_log(to_kh);
  ASSERT_TRUE(SyncWith(*th, th_log).ok());
  InProcessTransport to_th(*th, kh->node_id());
  FileLog kh_log(to_th);
  ASSERT_TRUE(SyncWith(*kh, kh_log).ok());
  EXPECT_FALSE(testing::Holds(*th, *case_id));
  EXPECT_FALSE(testing::Holds(*th, scan.id));
  EXPECT_TRUE(FileOf(*th, minutes.id).ok());
  EXPECT_EQ(std::count(kh_log.offered.begin(), kh_log.offered.end(), scan.id), 0);

  // Bangkok asks for the scan anyway, naming it: refused, no byte sent.
  sync::SyncService service(*kh, testing::CredentialsFor(*kh));
  wire::Envelope ask;
  ask.mutable_file_request()->set_attachment_id(scan.id);
  ask.mutable_file_request()->set_sha256(scan.sha256);
  ask.mutable_file_request()->set_max_bytes(1 << 20);
  auto frame = sync::EncodeFrame(ask, th->node_id());
  ASSERT_TRUE(frame.ok());
  sync::ServiceReply reply = service.Handle(sync::kOpFile, *frame, th->node_id());
  EXPECT_EQ(reply.code, Code::kPermissionDenied);
  auto decoded = sync::DecodeFrame(reply.body);
  ASSERT_TRUE(decoded.ok());
  EXPECT_TRUE(decoded->has_error());
  EXPECT_FALSE(decoded->has_file_reply());

  // Nor does a bundle for Bangkok carry it.
  auto& deployment = testing::TestDeployment::Get();
  sync::BundleCreateOptions options;
  options.receiver = th->node_id();
  options.from_scratch = true;
  options.verifier = deployment.For("KH-NCCT").verifier;
  options.receiver_cert_pem = deployment.For("TH-MSDHS").signer->cert_pem();
  auto info =
      sync::CreateBundle(*kh, *deployment.For("KH-NCCT").signer, dir.File("to-th.bundle"), options);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->attachment_files, 1u);
  EXPECT_EQ(info->attachment_bytes, minutes.size);
}

TEST_F(AttachmentSyncTest, ABundleCarriesTheMinutesAndAConsentedCaseScanEncrypted) {
  std::string meeting = Meeting(*kh);
  const std::string minutes = ScanBytes(300 * 1024 + 123, "minutes");
  AttachmentInfo pdf = AttachBytes(*kh, meeting, "บันทึกการประชุม.pdf", minutes);
  auto case_id = kh->Put(
      {"case", std::nullopt, SharedCase("KH-TH", {{"reference", std::string("KH-2026-ZX990")}})});
  ASSERT_TRUE(case_id.ok());
  const std::string form = ScanBytes(7000, "ZX990-SCAN-MARKER");
  AttachmentInfo scan = AttachBytes(*kh, *case_id, "แบบฟอร์ม.pdf", form);

  auto& deployment = testing::TestDeployment::Get();
  const sync::PeerVerifier& verifier = *deployment.For("KH-NCCT").verifier;
  ASSERT_TRUE(
      sync::LearnPeerParty(*kh, verifier, deployment.For("TH-MSDHS").signer->cert_pem(), "TH-MSDHS")
          .ok());
  sync::BundleCreateOptions options;
  options.receiver = "TH-MSDHS";
  options.verifier = &verifier;
  options.receiver_cert_pem = deployment.For("TH-MSDHS").signer->cert_pem();
  std::string path = dir.File("kh-to-th.bundle");
  auto info = sync::CreateBundle(*kh, *deployment.For("KH-NCCT").signer, path, options);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->attachment_files, 2u);
  EXPECT_EQ(testing::FileBytes(path).find("ZX990-SCAN-MARKER"), std::string::npos);

  std::vector<sync::BundleProgress> progress;
  auto applied = sync::ApplyBundle(*th, verifier, path, deployment.For("TH-MSDHS").signer,
                                   [&](const sync::BundleProgress& p) { progress.push_back(p); });
  ASSERT_TRUE(applied.ok()) << applied.status().ToString();
  EXPECT_EQ(applied->files.files, 2u);
  EXPECT_TRUE(applied->files.problems.empty());
  EXPECT_EQ(*FileOf(*th, pdf.id), minutes);
  EXPECT_EQ(*FileOf(*th, scan.id), form);
  // Progress names the files as they come in, up to their whole size.
  bool minutes_done = false;
  for (const auto& p : progress) {
    minutes_done =
        minutes_done || (p.file_name == "บันทึกการประชุม.pdf" && p.file_bytes == minutes.size() &&
                         p.file_total == minutes.size());
  }
  EXPECT_TRUE(minutes_done);
  // Applied again: nothing new, nothing wrong.
  auto again = sync::ApplyBundle(*th, verifier, path, deployment.For("TH-MSDHS").signer);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again->files.problems.empty());
}

// A peer whose bytes do not match the digest its record names: the file is
// discarded and the sync says so; the records are in.
TEST_F(AttachmentSyncTest, AFileThatDoesNotMatchItsDigestIsDiscardedAndReported) {
  std::string meeting = Meeting(*kh);
  AttachmentInfo pdf = AttachBytes(*kh, meeting, "annex.pdf", ScanBytes(4000, "annex"));
  // The capital's stored copy is damaged on disk after it was checked.
  std::string stored = kh->attachments_dir() + "/" + pdf.sha256.substr(0, 2) + "/" + pdf.sha256;
  {
    std::fstream f(stored, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(3000);
    f.put('X');
  }
  InProcessTransport transport(*kh, th->node_id());
  auto summary = SyncWith(*th, transport);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_TRUE(testing::Holds(*th, pdf.id));
  ASSERT_EQ(summary->files.problems.size(), 1u);
  EXPECT_NE(summary->files.problems[0].find("do not match their SHA-256"), std::string::npos)
      << summary->files.problems[0];
  auto info = th->Attachment(pdf.id);
  ASSERT_TRUE(info.ok());
  EXPECT_FALSE(info->held);
  EXPECT_EQ(info->partial_bytes, 0u);
}

// The victim withdraws consent: Bangkok purges the case at its next sync,
// and the scanned form goes from its disk with it.
TEST_F(AttachmentSyncTest, WhenConsentIsWithdrawnTheScanLeavesBangkokWithTheCase) {
  auto case_id = kh->Put(
      {"case", std::nullopt, SharedCase("KH-TH", {{"reference", std::string("KH-2026-ZX377")}})});
  ASSERT_TRUE(case_id.ok());
  const std::string form = ScanBytes(6000, "ZX377-FORM");
  AttachmentInfo scan = AttachBytes(*kh, *case_id, "แบบฟอร์มส่งต่อ.pdf", form);
  {
    InProcessTransport transport(*kh, th->node_id());
    ASSERT_TRUE(SyncWith(*th, transport).ok());
  }
  ASSERT_EQ(*FileOf(*th, scan.id), form);
  ASSERT_TRUE(kh->Put({"case",
                       *case_id,
                       {{"consent", "refused"},
                        {"consent_recorded_by", "Case manager, MoSVY"},
                        {"consent_recorded_on", "2026-05-04"}}})
                  .ok());
  InProcessTransport transport(*kh, th->node_id());
  auto summary = SyncWith(*th, transport);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_FALSE(testing::Holds(*th, *case_id));
  EXPECT_FALSE(testing::Holds(*th, scan.id));
  bool any = false;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(th->attachments_dir())) {
    any = any || entry.is_regular_file();
  }
  EXPECT_FALSE(any) << "the scan stayed in " << th->attachments_dir();
  EXPECT_EQ(*FileOf(*kh, scan.id), form);  // the capital keeps it
}

}  // namespace
}  // namespace accord
