// Attachments kept by content in the node directory (core/attachment_files.h,
// core/attachments.cc): stored once, checked before they are visible,
// resumable, bounded, and sealed at rest when they are a case's.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/sha256.h"
#include "tests/file_bytes.h"
#include "tests/office_phrases.h"
#include "tests/test_support.h"

namespace accord {
namespace {

using testing::FakeClock;
using testing::NewStore;
using testing::ScanBytes;
using testing::TempDir;

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

// Every regular file under `dir`, with its bytes.
std::vector<std::pair<std::string, std::string>> FilesUnder(const std::string& dir) {
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file())
      files.emplace_back(entry.path().string(), testing::FileBytes(entry.path()));
  }
  return files;
}

std::string MeetingOn(Store& store, const std::string& title) {
  auto id = store.Put({"meeting", std::nullopt, {{"title", title}, {"start_date", "2026-03-02"}}});
  EXPECT_TRUE(id.ok()) << id.status().ToString();
  return id.ok() ? *id : "";
}

TEST(AttachmentFilesTest, SignedMinutesAreStoredOnceByContentOwnerOnly) {
  TempDir dir;
  auto store = NewStore(dir, "TH-MSDHS");
  const std::string title = testing::ThaiPhrases().meeting_title;
  std::string first = MeetingOn(*store, title);
  std::string second = MeetingOn(*store, title + " (2)");
  const std::string scan = ScanBytes(40000, "signed");
  std::string path = dir.File("บันทึกการประชุมที่ลงนามแล้ว.pdf");
  WriteFile(path, scan);

  auto a = store->Attach({first, path, "", "", "ลงนามโดยหัวหน้าคณะผู้แทนทั้งสองฝ่าย"});
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  auto b = store->Attach({second, path, "", "", ""});
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_NE(a->id, b->id);
  EXPECT_EQ(a->sha256, *Sha256Hex(scan));
  EXPECT_EQ(a->sha256, b->sha256);
  EXPECT_EQ(a->file_name, "บันทึกการประชุมที่ลงนามแล้ว.pdf");
  EXPECT_EQ(a->media_type, "application/pdf");
  EXPECT_TRUE(a->held);

  // Two records, one stored file, named by its SHA-256, owner-only.
  auto files = FilesUnder(store->attachments_dir());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(std::filesystem::path(files[0].first).filename(), a->sha256);
  EXPECT_EQ(files[0].second, scan);
  struct stat st {};
  ASSERT_EQ(::stat(files[0].first.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat(store->attachments_dir().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  auto listed = store->Attachments(first);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].caption, "ลงนามโดยหัวหน้าคณะผู้แทนทั้งสองฝ่าย");

  // Saved back out: the same bytes; never over an existing file.
  std::string out = dir.File("copy.pdf");
  ASSERT_TRUE(store->SaveAttachment(a->id, out, {}).ok());
  EXPECT_EQ(testing::FileBytes(out), scan);
  Status again = store->SaveAttachment(a->id, out, {});
  EXPECT_EQ(again.code(), Code::kFailedPrecondition) << again.ToString();
}

TEST(AttachmentFilesTest, AFileOverTheLimitIsRefusedAndNothingIsWritten) {
  TempDir dir;
  FakeClock clock;
  StoreOptions options{clock.Fn()};
  options.max_attachment_bytes = 4096;
  auto store = Store::Create(dir.File("KH-NCCT.db"), "KH-NCCT", options);
  ASSERT_TRUE(store.ok());
  std::string meeting = MeetingOn(**store, testing::KhmerPhrases().meeting_title);
  std::string path = dir.File("ស្លាយ.pdf");
  WriteFile(path, ScanBytes(5000, "slides"));
  auto refused = (*store)->Attach({meeting, path, "", "", ""});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("at most 4096 bytes"), std::string::npos)
      << refused.status().message();
  auto listed = (*store)->Attachments(meeting);
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
  EXPECT_FALSE(std::filesystem::exists((*store)->attachments_dir()));
}

TEST(AttachmentFilesTest, BytesThatDoNotMatchTheirSha256AreDiscardedAndSaySo) {
  TempDir dir;
  AttachmentFiles files(dir.File("attachments"), nullptr);
  const std::string real = ScanBytes(3000, "annex");
  FileKey key{*Sha256Hex(real), false};
  std::string forged = real;
  forged[2000] ^= 0x5a;
  auto first = files.Receive(key, real.size(), 0, std::string_view(forged).substr(0, 1000));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, 1000u);
  auto last = files.Receive(key, real.size(), 1000, std::string_view(forged).substr(1000));
  ASSERT_FALSE(last.ok());
  EXPECT_EQ(last.status().code(), Code::kCorruption);
  EXPECT_NE(last.status().message().find("discarded"), std::string::npos);
  EXPECT_FALSE(*files.Held(key));
  EXPECT_EQ(*files.PartialBytes(key), 0u);
  // The true bytes, next time, from nothing.
  auto good = files.Receive(key, real.size(), 0, real);
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  EXPECT_TRUE(*files.Held(key));
  EXPECT_EQ(*files.Read(key, 0, real.size()), real);
}

TEST(AttachmentFilesTest, ATransferCutShortResumesFromThePartialAfterARestart) {
  TempDir dir;
  const std::string real = ScanBytes(70000, "slides");
  FileKey key{*Sha256Hex(real), false};
  {
    AttachmentFiles files(dir.File("attachments"), nullptr);
    ASSERT_EQ(*files.Receive(key, real.size(), 0, std::string_view(real).substr(0, 30000)), 30000u);
  }
  AttachmentFiles reopened(dir.File("attachments"), nullptr);
  EXPECT_EQ(*reopened.PartialBytes(key), 30000u);
  // A piece that overlaps what is held keeps only what is new; one beyond
  // the end is not kept.
  EXPECT_EQ(*reopened.Receive(key, real.size(), 50000, std::string_view(real).substr(50000)),
            30000u);
  EXPECT_EQ(*reopened.Receive(key, real.size(), 20000, std::string_view(real).substr(20000)),
            real.size());
  EXPECT_TRUE(*reopened.Held(key));
  EXPECT_EQ(*reopened.Read(key, 0, real.size()), real);
}

// A laptop of the border office is stolen: its case scans are sealed under
// the node's data key, under names that do not confirm a known file, while
// the meeting's minutes stay readable for reports.
TEST(AttachmentFilesTest, ACaseScanIsSealedAtRestOnAnEncryptedNode) {
  TempDir dir;
  FakeClock clock;
  auto key = std::make_shared<const DataKey>(DataKey::Generate());
  auto store = Store::Create(dir.File("KH-POIPET.db"), "KH-POIPET", StoreOptions{clock.Fn(), key});
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  Store& kh = **store;
  auto case_id = kh.Put({"case", std::nullopt, {{"reference", "KH-2026-ZX811"}}});
  ASSERT_TRUE(case_id.ok()) << case_id.status().ToString();
  std::string meeting = MeetingOn(kh, testing::KhmerPhrases().meeting_title);
  const std::string marker = "ZX811-FORM-MARKER-" + testing::KhmerPhrases().case_notes[0];
  // Three sealed blocks and a short last one.
  const std::string form = ScanBytes(3 * AttachmentFiles::kBlockBytes + 777, marker);
  WriteFile(dir.File("form.pdf"), form);
  const std::string minutes = ScanBytes(5000, "MINUTES-IN-CLEAR");
  WriteFile(dir.File("minutes.pdf"), minutes);

  auto scan = kh.Attach({*case_id, dir.File("form.pdf"), "ទម្រង់បញ្ជូនបន្ត.pdf", "",
                         testing::KhmerPhrases().case_notes[1]});
  ASSERT_TRUE(scan.ok()) << scan.status().ToString();
  EXPECT_EQ(scan->type, "case_attachment");
  EXPECT_TRUE(scan->sealed);
  auto open = kh.Attach({meeting, dir.File("minutes.pdf"), "", "", ""});
  ASSERT_TRUE(open.ok()) << open.status().ToString();
  EXPECT_FALSE(open->sealed);
  std::filesystem::remove(dir.File("form.pdf"));

  // Nothing under the node's folder shows the form's bytes or its digest.
  bool minutes_in_clear = false;
  for (const auto& [path, bytes] : FilesUnder(dir.path())) {
    EXPECT_EQ(bytes.find("ZX811-FORM-MARKER"), std::string::npos) << path;
    EXPECT_EQ(path.find(scan->sha256), std::string::npos) << path;
    minutes_in_clear = minutes_in_clear || bytes.find("MINUTES-IN-CLEAR") != std::string::npos;
  }
  EXPECT_TRUE(minutes_in_clear);
  // With the key, the officer reads it back whole.
  EXPECT_EQ(*kh.ReadAttachment(*scan, 0, form.size()), form);
  ASSERT_TRUE(kh.SaveAttachment(scan->id, dir.File("out.pdf"), {}).ok());
  EXPECT_EQ(testing::FileBytes(dir.File("out.pdf")), form);

  // Without it, the scan is locked; the minutes are not.
  store->reset();
  auto locked = Store::Open(dir.File("KH-POIPET.db"), StoreOptions{clock.Fn()});
  ASSERT_TRUE(locked.ok());
  auto sealed = (*locked)->Attachment(scan->id);
  EXPECT_FALSE(sealed.ok());
  auto clear = (*locked)->Attachment(open->id);
  ASSERT_TRUE(clear.ok()) << clear.status().ToString();
  EXPECT_TRUE(clear->held);
}

// An office that attached a case's scan before it turned encryption on:
// `accord encrypt` seals the file too, and no clear copy is left.
TEST(AttachmentFilesTest, EncryptingTheNodeSealsTheCaseScansItHeldInClear) {
  TempDir dir;
  FakeClock clock;
  auto store = NewStore(dir, "KH-POIPET", clock);
  auto case_id = store->Put({"case", std::nullopt, {{"reference", "KH-2026-ZX902"}}});
  ASSERT_TRUE(case_id.ok());
  const std::string form = ScanBytes(2 * AttachmentFiles::kBlockBytes + 5, "ZX902-CLEAR-SCAN");
  WriteFile(dir.File("form.pdf"), form);
  auto scan = store->Attach({*case_id, dir.File("form.pdf"), "", "", ""});
  ASSERT_TRUE(scan.ok()) << scan.status().ToString();
  EXPECT_FALSE(scan->sealed);
  std::filesystem::remove(dir.File("form.pdf"));

  auto report = store->EncryptPersonalData(std::make_shared<const DataKey>(DataKey::Generate()));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->files_sealed, 1);
  auto sealed = store->Attachment(scan->id);
  ASSERT_TRUE(sealed.ok()) << sealed.status().ToString();
  EXPECT_TRUE(sealed->sealed);
  EXPECT_TRUE(sealed->held);
  EXPECT_EQ(*store->ReadAttachment(*sealed, 0, form.size()), form);
  for (const auto& [path, bytes] : FilesUnder(dir.path())) {
    EXPECT_EQ(bytes.find("ZX902-CLEAR-SCAN"), std::string::npos) << path;
  }
}

}  // namespace
}  // namespace accord
