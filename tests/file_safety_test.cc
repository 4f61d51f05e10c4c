// What accord writes stays with the office: owner-only files, outputs that
// cannot be redirected by a planted link or aimed at the node's own files,
// and no partial file left when the disk is full.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/cli_support.h"
#include "tests/test_support.h"

namespace accord {
namespace {

using testing::Accord;
using testing::Quote;
using testing::TempDir;

bool Exists(const std::string& path) {
  struct stat st {};
  return lstat(path.c_str(), &st) == 0;
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// `accord` with stderr kept, as a user sees it.
testing::CommandResult AccordShell(const std::string& prefix, const std::string& dir,
                                   const std::vector<std::string>& args) {
  std::string command = prefix + Quote(ACCORD_BINARY) + " --dir " + Quote(dir);
  for (const auto& a : args) command += " " + Quote(a);
  command = "sh -c " + Quote(command + " 2>&1");
  FILE* pipe = popen(command.c_str(), "r");
  std::string out;
  std::array<char, 4096> buffer;
  while (size_t n = fread(buffer.data(), 1, buffer.size(), pipe)) out.append(buffer.data(), n);
  int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

class FileSafetyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    old_umask_ = umask(022);  // a typical desktop umask: world-readable by default
    node = dir.File("poipet");
    ASSERT_EQ(Accord(dir.path(), {"cert", "ca", "--out", dir.File("ca")}).code, 0);
    ASSERT_EQ(Accord(node, {"init", "--node-id", "KH-POIPET"}).code, 0);
    ASSERT_EQ(Accord(node, {"cert", "node", "--ca-dir", dir.File("ca")}).code, 0);
    ASSERT_EQ(Accord(node, {"load", SAMPLE_DATA}).code, 0);
    // The capital the bundles are for: its certificate encrypts them.
    capital = dir.File("ncct");
    ASSERT_EQ(Accord(capital, {"init", "--node-id", "KH-NCCT"}).code, 0);
    ASSERT_EQ(Accord(capital, {"cert", "node", "--ca-dir", dir.File("ca")}).code, 0);
  }
  void TearDown() override { umask(old_umask_); }
  std::string Dump() { return Accord(node, {"dump", "--json"}).out; }
  int CreateBundle(const std::string& out) {
    return Accord(node, {"bundle", "create", "--for", "KH-NCCT", "--receiver-cert",
                         capital + "/tls/node.pem", "--out", out})
        .code;
  }

  TempDir dir;
  std::string node;
  std::string capital;
  mode_t old_umask_ = 0;
};

TEST_F(FileSafetyTest, NodeDirectoryDatabaseKeysAndBundlesAreOwnerOnly) {
  std::string bundle = dir.File("poipet.accord-bundle");
  ASSERT_EQ(CreateBundle(bundle), 0);
  for (const std::string& path : {node, node + "/accord.db", node + "/tls", node + "/tls/node.key",
                                  node + "/tls/node.pem", bundle}) {
    EXPECT_EQ(ModeOf(path) & 077, 0u) << path << " is readable by others";
  }
  if (Exists(node + "/accord.db-wal")) {
    EXPECT_EQ(ModeOf(node + "/accord.db-wal") & 077, 0u);
  }
}

TEST_F(FileSafetyTest, ANodeLeftReadableByAnOlderVersionIsTightenedWhenOpened) {
  ASSERT_EQ(chmod(node.c_str(), 0755), 0);
  ASSERT_EQ(chmod((node + "/accord.db").c_str(), 0644), 0);
  ASSERT_EQ(Accord(node, {"status"}).code, 0);
  EXPECT_EQ(ModeOf(node), 0700u);
  EXPECT_EQ(ModeOf(node + "/accord.db"), 0600u);
}

TEST_F(FileSafetyTest, ASymlinkPlantedAtThePartialPathIsRefused) {
  std::string victim = dir.File("minutes-signed.pdf");
  std::ofstream(victim) << "the signed minutes of 16-17 January 2023";
  std::string out = dir.File("poipet.accord-bundle");
  ASSERT_EQ(symlink(victim.c_str(), (out + ".partial").c_str()), 0);
  EXPECT_EQ(CreateBundle(out), 1);
  EXPECT_EQ(Read(victim), "the signed minutes of 16-17 January 2023");
  EXPECT_FALSE(Exists(out));
  struct stat st {};
  ASSERT_EQ(lstat((out + ".partial").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode)) << "the planted link was followed or replaced";
}

TEST_F(FileSafetyTest, OutputOntoTheNodesOwnFilesIsRefused) {
  std::string before = Dump();
  std::string key = Read(node + "/tls/node.key");
  EXPECT_EQ(CreateBundle(node + "/accord.db"), 1);
  EXPECT_EQ(CreateBundle(node + "/accord.db-wal"), 1);
  EXPECT_EQ(CreateBundle(node + "/tls/node.key"), 1);
  std::string link = dir.File("innocent-looking.bundle");
  ASSERT_EQ(symlink((node + "/accord.db").c_str(), link.c_str()), 0);
  EXPECT_EQ(CreateBundle(link), 1);
  EXPECT_EQ(Dump(), before);
  EXPECT_EQ(Read(node + "/tls/node.key"), key);
  EXPECT_EQ(Accord(node, {"status"}).code, 0);
}

// The signed minutes of Siem Reap as this node stores them: the attachment's
// id and the stored file.
struct StoredMinutes {
  std::string id, path;
};
StoredMinutes Minutes(const std::string& node) {
  auto listed = Accord(node, {"attachments", "mtg-2023-01-18-siemreap", "--json"});
  auto files = nlohmann::json::parse(listed.out);
  std::string sha = files.at(0).at("sha256");
  return {files.at(0).at("id"), node + "/attachments/" + sha.substr(0, 2) + "/" + sha};
}

// `bundle ack --out kh/attachments/53/536e…` replaced a stored scan, and
// `attachment save` then gave out the wrong bytes; `policy sign` and `key
// export` could write over the database or leave the raw key beside it.
// Every --out refuses the node directory, whatever is in it.
TEST_F(FileSafetyTest, EveryOutputRefusesAPathInsideTheNodeDirectory) {
  const StoredMinutes minutes = Minutes(node);
  const std::string scan = Read(minutes.path);
  ASSERT_FALSE(scan.empty());
  const std::string before = Dump();
  auto refused = [&](const std::vector<std::string>& args, const std::string& env = "") {
    auto r = AccordShell(env, node, args);
    EXPECT_EQ(r.code, 1) << r.out;
    EXPECT_NE(r.out.find("this node's own file"), std::string::npos) << r.out;
  };
  refused({"bundle", "ack", "--for", "KH-NCCT", "--out", minutes.path});
  refused({"bundle", "create", "--for", "KH-NCCT", "--receiver-cert", capital + "/tls/node.pem",
           "--out", node + "/ទៅ-KH-NCCT.bundle"});
  refused({"attachment", "save", minutes.id, "--out", node + "/บันทึก.pdf"});
  // A new sharing policy for the CA to sign (version 2, as an office would).
  auto policy = nlohmann::json::parse(Accord(node, {"policy", "show", "--json"}).out);
  for (const char* key : {"source", "versions_held", "signer", "key_id", "installed_at"}) {
    policy.erase(key);
  }
  policy["version"] = 2;
  std::ofstream(dir.File("นโยบาย.json")) << policy.dump(2);
  for (const std::string& out : {node + "/accord.db", node + "/accord.db-wal",
                                 node + "/tls/../นโยบาย.signed", node + "/นโยบาย.signed"}) {
    refused({"policy", "sign", "--ca-dir", dir.File("ca"), "--in", dir.File("นโยบาย.json"), "--out",
             out});
  }
  EXPECT_EQ(Read(minutes.path), scan);
  EXPECT_EQ(Dump(), before);
  for (const char* left : {"/ទៅ-KH-NCCT.bundle", "/บันทึก.pdf", "/นโยบาย.signed"}) {
    EXPECT_FALSE(Exists(node + left)) << left;
  }

  // The raw data key of an encrypted node goes anywhere but beside the data.
  const std::string laptop = dir.File("laptop");
  const std::string passphrase = "ACCORD_PASSPHRASE='ពាក្យសម្ងាត់ ការិយាល័យ' ";
  ASSERT_EQ(AccordShell(passphrase, laptop, {"init", "--node-id", "KH-BMC", "--encrypt"}).code, 0);
  for (const std::string& out : {laptop + "/keys/raw-key", laptop + "/accord.db-wal",
                                 laptop + "/tls/raw-key", laptop + "/កូនសោ.key"}) {
    auto r = AccordShell(passphrase, laptop, {"key", "export", "--out", out});
    EXPECT_EQ(r.code, 1) << out << ": " << r.out;
    EXPECT_NE(r.out.find("this node's own file"), std::string::npos) << r.out;
    EXPECT_FALSE(Exists(out) && out.find("raw-key") != std::string::npos) << out;
  }
  EXPECT_FALSE(Exists(laptop + "/កូនសោ.key"));
  EXPECT_EQ(AccordShell(passphrase, laptop, {"key", "export", "--out", dir.File("កូនសោ.key")}).code,
            0);
}

TEST_F(FileSafetyTest, AStoredScanChangedOnDiskIsNotGivenOut) {
  const StoredMinutes minutes = Minutes(node);
  std::ofstream(minutes.path, std::ios::binary | std::ios::trunc)
      << "%PDF-1.4 not the signed minutes of 18 January 2023";
  const std::string out = dir.File("កំណត់ហេតុ.pdf");
  auto r = AccordShell("", node, {"attachment", "save", minutes.id, "--out", out});
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("no longer matches its SHA-256"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(minutes.id), std::string::npos) << r.out;
  EXPECT_FALSE(Exists(out));
  EXPECT_FALSE(Exists(out + ".partial"));
}

TEST_F(FileSafetyTest, AFullDiskNamesTheReasonAndLeavesNoPartialFile) {
  // Enough records that the bundle outgrows a 64 KiB file size limit, which
  // then fails the write as a full USB stick would (SQLite's own files, only
  // read here, stay within it). Names that compress poorly keep the load
  // small: 2,500 records make a bundle of ~165 KB.
  std::string records;
  for (int i = 0; i < 2500; ++i) {
    records += std::string(i ? "," : "") + "{\"type\":\"party\",\"id\":\"p" + std::to_string(i) +
               "\",\"code\":\"P" + std::to_string(i) + "\",\"name\":\"Provincial office " +
               std::to_string(i * 2654435761ULL % 1000000007) + "\"}";
  }
  std::ofstream(dir.File("more.json")) << "{\"records\":[" << records << "]}";
  ASSERT_EQ(Accord(node, {"load", dir.File("more.json")}).code, 0);
  std::string out = dir.File("poipet.accord-bundle");
  // A first bundle seals the office's writes (sync/signed_changes.h), which
  // writes to its database: done before the disk "fills".
  ASSERT_EQ(CreateBundle(dir.File("first.accord-bundle")), 0);
  auto r = AccordShell("ulimit -f 128; trap '' XFSZ; exec ", node,
                       {"bundle", "create", "--for", "KH-NCCT", "--receiver-cert",
                        capital + "/tls/node.pem", "--out", out});
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("File too large"), std::string::npos) << r.out;
  EXPECT_FALSE(Exists(out));
  EXPECT_FALSE(Exists(out + ".partial"));
  // With room again, the same command works.
  EXPECT_EQ(CreateBundle(out), 0);
}

}  // namespace
}  // namespace accord
