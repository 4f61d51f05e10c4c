// `accord purge` run as an office runs it (docs/security.md, "Purge
// orders"): only a user with the purge right erases, the tombstone says who,
// when and why, and nothing of the value stays in the database files.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/cli_support.h"
#include "tests/test_support.h"

namespace accord {
namespace {

using nlohmann::json;
using testing::Accord;
using testing::CommandResult;
using testing::Quote;
using testing::TempDir;

const std::string kCase = "case-KH-2026-044";
// A real name where only initials belong: the marker searched for.
const std::string kName = "ចាន់ សុភា ភូមិព្រៃវែង";
const std::string kThaiName = "นายสมชาย ชายแดน";

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class PurgeCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node = dir.File("kh");
    ca = dir.File("ca");
    ASSERT_EQ(Accord(node, {"init", "--node-id", "KH-NCCT"}).code, 0);
    ASSERT_EQ(Accord("", {"cert", "ca", "--out", ca}).code, 0);
    ASSERT_EQ(Accord(node, {"cert", "node", "--ca-dir", ca}).code, 0);
    sokha_password = Secret("sokha", "ពាក្យសម្ងាត់ សុខា");
    dara_password = Secret("dara", "รหัสผ่าน ดารา");
  }
  std::string Secret(const std::string& name, const std::string& text) {
    std::string path = dir.File(name + ".password");
    std::ofstream(path) << text;
    return path;
  }
  std::vector<std::string> PutCase() {
    return {"put",
            "case",
            "--id",
            kCase,
            "reference=KH-2026-044",
            "initials=" + kName,
            "notes=ผู้เสียหาย " + kThaiName};
  }
  bool FilesHold(const std::string& marker) {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      if (ReadAll(node + "/accord.db" + suffix).find(marker) != std::string::npos) return true;
    }
    return false;
  }
  std::string Dump() { return Accord(node, {"dump", "--json"}).out; }
  TempDir dir;
  std::string node, ca, sokha_password, dara_password;
};

TEST_F(PurgeCliTest, PurgeHasHelpAndNeedsAReason) {
  for (std::vector<std::string> args : {std::vector<std::string>{"purge", "--help"},
                                        {"purge", "list", "--help"},
                                        {"purge", "collect", "--help"}}) {
    CommandResult r = Accord(node, args);
    EXPECT_EQ(r.code, 0);
    EXPECT_NE(r.out.find("--json"), std::string::npos) << r.out;
  }
  EXPECT_NE(Accord(node, {"purge", "--help"}).out.find("--reason"), std::string::npos);
  ASSERT_EQ(Accord(node, PutCase()).code, 0);
  EXPECT_EQ(Accord(node, {"purge", kCase}).code, 2) << "no reason";
  EXPECT_EQ(Accord(node, {"purge", "--reason", "x"}).code, 2) << "no record";
  EXPECT_EQ(Accord(node, {"purge", "not an id", "--reason", "x"}).code, 2);
  EXPECT_EQ(Accord(node, {"purge", "case-KH-2026-999", "--reason", "x"}).code, 1) << "not held";
  EXPECT_TRUE(FilesHold(kName));
}

// A reason pasted from a Windows-874 file is not UTF-8: the signed order
// would erase the case here while every other office refuses it, forever.
// It is refused as bad usage before anything is erased.
TEST_F(PurgeCliTest, AReasonThatIsNotUtf8OrHoldsControlCharactersErasesNothing) {
  ASSERT_EQ(Accord(node, PutCase()).code, 0);
  std::string before = Dump();
  const std::string windows_874 = "\xaa\xd7\xe8\xcd\xa8\xc3\xd4\xa7";  // "ชื่อจริง"
  for (const std::string& reason :
       {windows_874, "ชื่อจริง " + windows_874, std::string("ឈ្មោះពិត\x1b[2J"),
        std::string("ឈ្មោះពិត\nline two")}) {
    CommandResult refused =
        testing::AccordWithMessages(node, {"purge", kCase, "--reason", reason, "--json"});
    EXPECT_EQ(refused.code, 2) << refused.out;
    EXPECT_NE(refused.out.find("--reason"), std::string::npos) << refused.out;
  }
  EXPECT_EQ(Dump(), before) << "nothing erased";
  EXPECT_TRUE(FilesHold(kName));
  // The same reason in UTF-8 erases, and --json reads back.
  CommandResult done = Accord(node, {"purge", kCase, "--reason", "ชื่อจริง", "--json"});
  ASSERT_EQ(done.code, 0);
  EXPECT_EQ(json::parse(done.out)["reason"], "ชื่อจริง");
}

TEST_F(PurgeCliTest, OnlyAUserWithThePurgeRightErasesAndTheTombstoneSaysWho) {
  ASSERT_EQ(Accord(node, {"user", "add", "sokha.kh", "--display", "ស៊ុន សុខា", "--new-password-file",
                          sokha_password})
                .code,
            0);
  ASSERT_EQ(
      Accord(node, {"user", "add", "dara.kh", "--rights", "write,purge", "--new-password-file",
                    dara_password, "--as", "sokha.kh", "--password-file", sokha_password})
          .code,
      0);
  std::vector<std::string> put = PutCase();
  put.insert(put.end(), {"--as", "sokha.kh", "--password-file", sokha_password});
  ASSERT_EQ(Accord(node, put).code, 0);
  ASSERT_TRUE(FilesHold(kName)) << "the search finds the name before the purge";

  // Sokha writes and resolves, but may not purge.
  std::string before = Dump();
  CommandResult refused =
      testing::AccordWithMessages(node, {"purge", kCase, "--reason", "ឈ្មោះពិត", "--as", "sokha.kh",
                                         "--password-file", sokha_password});
  EXPECT_EQ(refused.code, 1);
  EXPECT_NE(refused.out.find("may not purge"), std::string::npos) << refused.out;
  EXPECT_EQ(Accord(node, {"purge", kCase, "--reason", "ឈ្មោះពិត"}).code, 1) << "nobody named";
  EXPECT_EQ(Dump(), before) << "nothing changed";
  EXPECT_EQ(json::parse(Accord(node, {"purge", "list", "--json"}).out), json::array());

  const std::string reason = "ឈ្មោះពិតរបស់ជនរងគ្រោះ បញ្ចូលដោយច្រឡំ";
  CommandResult purged = Accord(node, {"purge", kCase, "--reason", reason, "--as", "dara.kh",
                                       "--password-file", dara_password, "--json"});
  ASSERT_EQ(purged.code, 0) << purged.out;
  json out = json::parse(purged.out);
  EXPECT_EQ(out["record_id"], kCase);
  EXPECT_EQ(out["type"], "case");
  EXPECT_EQ(out["user"], "dara.kh");
  EXPECT_EQ(out["issuer"], "KH-NCCT");
  EXPECT_EQ(out["reason"], reason);
  EXPECT_EQ(out["wal_emptied"], true);
  EXPECT_FALSE(FilesHold(kName));
  EXPECT_FALSE(FilesHold(kThaiName));

  json list = json::parse(Accord(node, {"purge", "list", "--json"}).out);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["record_id"], kCase);
  EXPECT_EQ(list[0]["user"], "dara.kh");
  EXPECT_NE(Accord(node, {"purge", "list"}).out.find("purged by dara.kh on KH-NCCT"),
            std::string::npos);
  // A node that never met another: nobody else can hold the case, so its
  // tombstone could go at once; a dry run only says so.
  json would = json::parse(Accord(node, {"purge", "collect", "--dry-run", "--json"}).out);
  EXPECT_EQ(would["dry_run"], true);
  ASSERT_EQ(would["collected"].size(), 1u);
  EXPECT_EQ(would["collected"][0]["record_id"], kCase);
  EXPECT_EQ(would["collected"][0]["sequence"], 1);
  EXPECT_EQ(json::parse(Accord(node, {"purge", "list", "--json"}).out).size(), 1u);
  CommandResult get = testing::AccordWithMessages(node, {"get", kCase});
  EXPECT_EQ(get.code, 1);
  EXPECT_NE(get.out.find("purged by dara.kh on KH-NCCT"), std::string::npos) << get.out;
  EXPECT_NE(get.out.find(reason), std::string::npos) << get.out;
  CommandResult history = testing::AccordWithMessages(node, {"history", kCase});
  EXPECT_EQ(history.code, 1);
  EXPECT_NE(history.out.find("purged by dara.kh"), std::string::npos) << history.out;
  // The erased id cannot be written again: every peer would refuse it.
  CommandResult again =
      testing::AccordWithMessages(node, {"put", "case", "--id", kCase, "reference=KH-2026-044",
                                         "--as", "dara.kh", "--password-file", dara_password});
  EXPECT_EQ(again.code, 1);
  EXPECT_NE(again.out.find("was purged by dara.kh"), std::string::npos) << again.out;
  // Once is enough.
  EXPECT_EQ(Accord(node, {"purge", kCase, "--reason", reason, "--as", "dara.kh", "--password-file",
                          dara_password})
                .code,
            1);
}

// A node without users lets anyone purge, as it lets anyone write.
TEST_F(PurgeCliTest, ANodeWithoutUsersPurgesAsItWrites) {
  ASSERT_EQ(Accord(node, PutCase()).code, 0);
  CommandResult purged =
      testing::AccordWithMessages(node, {"purge", kCase, "--reason", "retention ended"});
  ASSERT_EQ(purged.code, 0) << purged.out;
  EXPECT_NE(purged.out.find("purged by no user on KH-NCCT"), std::string::npos) << purged.out;
  EXPECT_FALSE(FilesHold(kName));
}

}  // namespace
}  // namespace accord
