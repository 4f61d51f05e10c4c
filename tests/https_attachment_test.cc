// Issue 13's acceptance for attachments, over real HTTPS on 127.0.0.1: the
// link is cut in the middle of a file; the records are in at once, and the
// next sync resumes the file where the cut left it, not from its start.
#include <gtest/gtest.h>

#include <fstream>

#include "tests/https_nodes.h"
#include "tests/office_phrases.h"

namespace accord::testing {
namespace {

// Lets `file_replies` pieces of files through, then loses the reply of the
// next file request (the server read and sent it; the link died on the way)
// and every request after it: a cable pulled mid-file.
class CutMidFile : public sync::Transport {
 public:
  CutMidFile(sync::Transport& inner, int file_replies)
      : inner_(inner), file_replies_(file_replies) {}
  Result<std::string> RoundTrip(std::string_view op, const std::string& request) override {
    if (cut_) return Unavailable("link down");
    auto reply = inner_.RoundTrip(op, request);
    if (op == sync::kOpFile && reply.ok() && file_replies_-- == 0) {
      cut_ = true;
      return Unavailable("link cut in the middle of a file");
    }
    return reply;
  }

 private:
  sync::Transport& inner_;
  int file_replies_;
  bool cut_ = false;
};

class HttpsAttachmentTest : public HttpsNodesTest {};

TEST_F(HttpsAttachmentTest, SignedMinutesSyncWithTheLinkCutMidFileAndResume) {
  Node& kh = AddNode("KH-NCCT");
  Node& th = AddNode("TH-MSDHS");
  const auto& khmer = KhmerPhrases();
  auto meeting = kh.store->Put(
      {"meeting",
       std::nullopt,
       {{"title", khmer.meeting_title}, {"start_date", "2026-03-18"}, {"city", khmer.city}}});
  ASSERT_TRUE(meeting.ok());
  auto minute =
      kh.store->Put({"minute",
                     std::nullopt,
                     {{"meeting", *meeting}, {"number", "1"}, {"text", khmer.minutes[0]}}});
  ASSERT_TRUE(minute.ok());
  // 300 KiB of scan, moved in 32 KiB pieces: ten pieces.
  constexpr uint64_t kPiece = 32 * 1024;
  const std::string scan = ScanBytes(300 * 1024 + 77);
  std::string path = dir_ / "កំណត់ហេតុប្រជុំដែលបានចុះហត្ថលេខា.pdf";
  std::ofstream(path, std::ios::binary) << scan;
  auto pdf = kh.store->Attach({*meeting, path, "", "", ThaiPhrases().minutes[0]});
  ASSERT_TRUE(pdf.ok()) << pdf.status().ToString();

  sync::SyncOptions options;
  options.expected_peer = kh.id;
  options.files.piece_bytes = kPiece;
  uint64_t progress_seen = 0;
  options.files.on_progress = [&](const sync::FileProgress& p) {
    EXPECT_EQ(p.total, scan.size());
    progress_seen = std::max(progress_seen, p.bytes);
  };
  {
    auto https = TransportTo(th, kh);
    CutMidFile cut(*https, 3);
    auto summary = sync::RunSync(*th.store, cut, Credentials(th.id), options);
    ASSERT_TRUE(summary.ok()) << summary.status().ToString();
    // The records did not wait for the file.
    EXPECT_EQ(summary->files_status.code(), Code::kUnavailable);
    EXPECT_EQ(Current(th, *minute, "text"), khmer.minutes[0]);
    auto listed = th.store->Attachments(*meeting);
    ASSERT_TRUE(listed.ok());
    ASSERT_EQ(listed->size(), 1u);
    EXPECT_FALSE((*listed)[0].held);
    // Three pieces kept; the fourth was lost on the way.
    EXPECT_EQ((*listed)[0].partial_bytes, 3 * kPiece);
    EXPECT_EQ(summary->files.bytes_received, 3 * kPiece);
    EXPECT_EQ(progress_seen, 3 * kPiece);
  }
  // Bangkok's process restarts: a fresh store on the same file.
  th.store.reset();
  auto reopened = Store::Open(dir_ / "TH-MSDHS.db", StoreOptions{clock_.Fn()});
  ASSERT_TRUE(reopened.ok());
  th.store = std::move(reopened).value();
  auto https = TransportTo(th, kh);
  auto summary = sync::RunSync(*th.store, *https, Credentials(th.id), options);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  ASSERT_TRUE(summary->files_status.ok()) << summary->files_status.ToString();
  EXPECT_EQ(summary->files.files_received, 1u);
  // Only the rest of the file came: not its first pieces again.
  EXPECT_EQ(summary->files.bytes_received, scan.size() - 3 * kPiece);
  EXPECT_LT(https->bytes_received(), scan.size() - 2 * kPiece);
  auto held = th.store->Attachment(pdf->id);
  ASSERT_TRUE(held.ok());
  ASSERT_TRUE(held->held);
  EXPECT_EQ(*th.store->ReadAttachment(*held, 0, held->size), scan);
  EXPECT_EQ(held->file_name, "កំណត់ហេតុប្រជុំដែលបានចុះហត្ថលេខា.pdf");
}

}  // namespace
}  // namespace accord::testing
