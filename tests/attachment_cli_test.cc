// `accord attach`, `attachments` and `attachment save` as a secretariat runs
// them on the sample data: the signed minutes are listed as held, saved back
// byte for byte, never over an existing file; bad usage exits 2.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/cli_support.h"
#include "tests/test_support.h"

namespace accord {
namespace {

using nlohmann::json;
using testing::Accord;
using testing::AccordWithMessages;
using testing::FileBytes;
using testing::TempDir;

std::string SampleFile(const std::string& name) {
  return (std::filesystem::path(SAMPLE_DATA).parent_path() / "attachments" / name).string();
}

class AttachmentCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node = dir.File("node");
    ASSERT_EQ(Accord(node, {"init", "--node-id", "TH-MSDHS"}).code, 0);
    auto loaded = Accord(node, {"load", SAMPLE_DATA, "--json"});
    ASSERT_EQ(loaded.code, 0);
    EXPECT_EQ(json::parse(loaded.out)["attached"], 3);
  }
  TempDir dir;
  std::string node;
};

TEST_F(AttachmentCliTest, TheSampleMinutesAreHeldAndSaveBackByteForByte) {
  auto listed = Accord(node, {"attachments", "mtg-2023-01-18-siemreap", "--json"});
  ASSERT_EQ(listed.code, 0);
  json files = json::parse(listed.out);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0]["media_type"], "application/pdf");
  EXPECT_EQ(files[0]["held"], true);
  std::string id = files[0]["id"];

  auto text = Accord(node, {"attachments", "mtg-2023-01-18-siemreap"});
  ASSERT_EQ(text.code, 0);
  EXPECT_NE(text.out.find("signed-minutes-2023-01-18-siemreap.pdf"), std::string::npos);
  EXPECT_NE(text.out.find("held here"), std::string::npos);
  EXPECT_NE(text.out.find("บันทึกการประชุมที่ลงนามแล้ว"), std::string::npos);

  std::string out = dir.File("ฉบับลงนาม.pdf");
  ASSERT_EQ(Accord(node, {"attachment", "save", id, "--out", out}).code, 0);
  EXPECT_EQ(FileBytes(out), FileBytes(SampleFile("signed-minutes-2023-01-18-siemreap.pdf")));
  // Never over a file that is there.
  auto again = AccordWithMessages(node, {"attachment", "save", id, "--out", out});
  EXPECT_EQ(again.code, 1);
  EXPECT_NE(again.out.find("already exists"), std::string::npos) << again.out;
}

TEST_F(AttachmentCliTest, AttachPrintsTheIdAndASecondFileListsBesideTheFirst) {
  std::string slides = dir.File("ស្លាយបទបង្ហាញ.pdf");
  std::filesystem::copy_file(SampleFile("referral-form-kh-2023-021.pdf"), slides);
  auto attached = Accord(node, {"attach", "mtg-2023-01-18-siemreap", slides, "--caption",
                                "ស្លាយរបស់គណៈប្រតិភូកម្ពុជា", "--json"});
  ASSERT_EQ(attached.code, 0) << attached.out;
  json a = json::parse(attached.out);
  EXPECT_EQ(a["type"], "attachment");
  EXPECT_EQ(a["file_name"], "ស្លាយបទបង្ហាញ.pdf");
  EXPECT_EQ(a["sha256"].get<std::string>().size(), 64u);
  auto listed = Accord(node, {"attachments", "mtg-2023-01-18-siemreap", "--json"});
  ASSERT_EQ(listed.code, 0);
  EXPECT_EQ(json::parse(listed.out).size(), 2u);
}

TEST_F(AttachmentCliTest, BadUsageExitsTwoAndAMissingFileOrRecordOne) {
  EXPECT_EQ(Accord(node, {"attach", "mtg-2023-01-18-siemreap"}).code, 2);
  EXPECT_EQ(Accord(node, {"attachment", "save", "x"}).code, 2);
  EXPECT_EQ(Accord(node, {"attachment"}).code, 2);
  EXPECT_EQ(Accord(node, {"attach", "--help"}).code, 0);
  EXPECT_EQ(Accord(node, {"attachments", "--help"}).code, 0);
  EXPECT_EQ(Accord(node, {"attachment", "save", "--help"}).code, 0);
  EXPECT_EQ(Accord(node, {"attach", "mtg-2023-01-18-siemreap", dir.File("none.pdf")}).code, 1);
  EXPECT_EQ(Accord(node, {"attach", "no-such-record", SampleFile("progress-chart-2023.png")}).code,
            1);
  EXPECT_EQ(Accord(node, {"attachments", "no-such-record"}).code, 1);
}

// A load file received by mail names the node's own key and database: they
// would be attached and shipped, in the clear, to every office the meeting
// goes to. Its files are its own folder's, and never the node's.
TEST_F(AttachmentCliTest, ALoadFileCannotAttachTheNodesKeyOrAnythingOutsideItsFolder) {
  std::filesystem::create_directories(dir.File("ឯកសារ"));
  std::ofstream(node + "/tls/node.key") << "-----BEGIN PRIVATE KEY----- KH-NCCT";
  std::ofstream(dir.File("ข้อมูลลับ.txt")) << "ข้อมูลผู้เสียหาย";
  ASSERT_EQ(symlink(dir.File("ข้อมูลลับ.txt").c_str(), dir.File("ឯកសារ/scan.pdf").c_str()), 0);
  auto load = [&](const std::string& doc, const std::string& file) {
    std::ofstream(doc) << json{
        {"records",
         {{{"type", "party"}, {"id", "p-ncct"}, {"code", "NCCT"}, {"name", "គណៈកម្មាធិការជាតិ"}}}},
        {"attachments",
         {{{"record", "mtg-2023-01-18-siemreap"},
           {"file", file}}}}}.dump();
    return AccordWithMessages(node, {"load", doc});
  };
  const std::string doc = dir.File("ឯកសារ/ការប្រជុំ.json");
  for (const std::string& file :
       {std::string("../node/tls/node.key"), std::string("../node/accord.db"),
        std::string("x/../../ข้อมูลลับ.txt"), node + "/accord.db", dir.File("ข้อมูลลับ.txt"),
        std::string("scan.pdf")}) {
    auto refused = load(doc, file);
    EXPECT_EQ(refused.code, 1) << file << ": " << refused.out;
    EXPECT_NE(refused.out.find("mtg-2023-01-18-siemreap"), std::string::npos) << refused.out;
    EXPECT_NE(refused.out.find("folder"), std::string::npos) << refused.out;
  }
  // Inside its folder but the node's own files (the load file is beside
  // the node directory).
  for (const std::string& file :
       {std::string("node/tls/node.key"), std::string("node/accord.db")}) {
    auto refused = load(dir.File("beside.json"), file);
    EXPECT_EQ(refused.code, 1) << file << ": " << refused.out;
    EXPECT_NE(refused.out.find("this node's own file"), std::string::npos) << refused.out;
  }
  // Nothing was loaded or attached.
  EXPECT_EQ(Accord(node, {"get", "p-ncct"}).code, 1);
  auto listed = Accord(node, {"attachments", "mtg-2023-01-18-siemreap", "--json"});
  ASSERT_EQ(listed.code, 0);
  EXPECT_EQ(json::parse(listed.out).size(), 1u);
}

TEST_F(AttachmentCliTest, AttachRefusesTheNodesOwnFilesHoweverTheyAreNamed) {
  std::ofstream(node + "/tls/node.key") << "-----BEGIN PRIVATE KEY----- TH-MSDHS";
  const std::string link = dir.File("บันทึก.pdf"), hard = dir.File("สแกน.pdf");
  ASSERT_EQ(symlink((node + "/accord.db").c_str(), link.c_str()), 0);
  ASSERT_EQ(::link((node + "/tls/node.key").c_str(), hard.c_str()), 0);
  for (const std::string& file :
       {node + "/accord.db", node + "/tls/node.key", node + "/tls/../accord.db", link, hard}) {
    auto refused = AccordWithMessages(node, {"attach", "mtg-2023-01-18-siemreap", file});
    EXPECT_EQ(refused.code, 1) << file << ": " << refused.out;
    EXPECT_NE(refused.out.find("this node's own file"), std::string::npos) << refused.out;
  }
  auto listed = Accord(node, {"attachments", "mtg-2023-01-18-siemreap", "--json"});
  ASSERT_EQ(listed.code, 0);
  EXPECT_EQ(json::parse(listed.out).size(), 1u);
}

// A file name from a Windows-874 USB stick is not UTF-8: --json used to
// throw after the file was written (exit 1, no JSON).
TEST_F(AttachmentCliTest, JsonOutputNamingAFileThatIsNotUtf8StillPrints) {
  auto listed = Accord(node, {"attachments", "mtg-2023-01-18-siemreap", "--json"});
  ASSERT_EQ(listed.code, 0);
  std::string id = json::parse(listed.out)[0]["id"];
  const std::string out = dir.File("\xba\xd1\xb9\xb7\xd6\xa1.pdf");  // "บันทึก" in Windows-874
  auto saved = Accord(node, {"attachment", "save", id, "--out", out, "--json"});
  ASSERT_EQ(saved.code, 0) << saved.out;
  json shown = json::parse(saved.out);
  EXPECT_EQ(shown["attachment"], id);
  EXPECT_NE(shown["file"].get<std::string>().find("\xEF\xBF\xBD"), std::string::npos)
      << "shown with U+FFFD";
  EXPECT_EQ(FileBytes(out), FileBytes(SampleFile("signed-minutes-2023-01-18-siemreap.pdf")));
}

}  // namespace
}  // namespace accord
