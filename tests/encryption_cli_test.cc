// Encryption at rest through the command line (docs/encryption.md, issue
// 12), as an office lives it: `init --encrypt` or `accord encrypt` of a node
// that already holds cases, every command with the passphrase, a clear
// error without it or with a wrong one, a passphrase change, and `accord
// serve` with a key file syncing over HTTPS with a clear node.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "server/loopback_port.h"
#include "tests/cli_support.h"
#include "tests/serve_support.h"
#include "tests/test_support.h"

namespace accord {
namespace {

using nlohmann::json;
using testing::Quote;
using testing::ServeProcess;
using testing::TempDir;

constexpr const char* kPassphrase = "ស្ពានមិត្តភាព Friendship Bridge 2026";

struct Ran {
  int code = -1;
  std::string out, err;
};

// `accord --dir DIR ARGS...` with `env` ("NAME=VALUE" each) and no terminal
// (stdin from /dev/null: no passphrase is asked for).
Ran AccordWith(const std::string& dir, const std::vector<std::string>& args,
               const std::vector<std::string>& env = {}) {
  static int serial = 0;
  std::string err_file = dir + ".err-" + std::to_string(++serial);
  std::string command = "env";
  for (const auto& e : env) command += " " + Quote(e);
  command += " timeout 120 " + Quote(ACCORD_BINARY) + " --dir " + Quote(dir);
  for (const auto& a : args) command += " " + Quote(a);
  command += " </dev/null 2>" + Quote(err_file);
  FILE* pipe = popen(command.c_str(), "r");
  Ran run;
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof buffer, pipe)) run.out.append(buffer, n);
  int status = pclose(pipe);
  run.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.err = testing::FileBytes(err_file);
  std::remove(err_file.c_str());
  return run;
}

const std::vector<std::string> kWithPassphrase = {std::string("ACCORD_PASSPHRASE=") + kPassphrase};

const std::vector<std::pair<std::string, std::string>> kCaseFields = {
    {"reference", "KH-2026-CLI-MARKER-6650"},
    {"initials", "ញញ-ឈ្មោះសម្ងាត់"},
    {"shelter", "บ้านพักลับ-CLI"},
    {"case_manager", "Trần Văn Bảo Mật"},
    {"vulnerability", "机密弱势标记"},
    {"notes", "CLI-NOTES-MARKER-0042"},
};

std::vector<std::string> Markers() {
  std::vector<std::string> m;
  for (const auto& [field, value] : kCaseFields) m.push_back(value);
  return m;
}

std::vector<std::string> FoundOnDisk(const std::string& dir, const std::vector<std::string>& m) {
  std::string bytes =
      testing::FileBytes(dir + "/accord.db") + testing::FileBytes(dir + "/accord.db-wal");
  std::vector<std::string> found;
  for (const auto& s : m) {
    if (bytes.find(s) != std::string::npos) found.push_back(s);
  }
  return found;
}

class EncryptionCliTest : public ::testing::Test {
 protected:
  void SetUp() override { node_ = dir_.File("KH-NCCT"); }

  std::string PutCase(const std::vector<std::string>& env) {
    std::vector<std::string> args = {"put", "case"};
    for (const auto& [field, value] : kCaseFields) args.push_back(field + "=" + value);
    Ran put = AccordWith(node_, args, env);
    EXPECT_EQ(put.code, 0) << put.err;
    std::string id = put.out;
    while (!id.empty() && id.back() == '\n') id.pop_back();
    return id;
  }

  TempDir dir_;
  std::string node_;
};

TEST_F(EncryptionCliTest, AnOfficeEncryptedFromInitWorksWithItsPassphraseAndKeepsCasesOffDisk) {
  Ran init = AccordWith(node_, {"init", "--node-id", "KH-NCCT", "--encrypt"}, kWithPassphrase);
  ASSERT_EQ(init.code, 0) << init.err;
  std::string case_id = PutCase(kWithPassphrase);
  ASSERT_EQ(AccordWith(node_, {"put", "case", "--id", case_id, "initials=ញញ-OLD-HISTORY"},
                       kWithPassphrase)
                .code,
            0);
  Ran plan = AccordWith(node_, {"put", "plan", "title=CLI-PLAN-CLEAR-MARKER"}, kWithPassphrase);
  ASSERT_EQ(plan.code, 0) << plan.err;

  std::vector<std::string> markers = Markers();
  markers.push_back("ញញ-OLD-HISTORY");
  EXPECT_EQ(FoundOnDisk(node_, markers), std::vector<std::string>());
  EXPECT_EQ(FoundOnDisk(node_, {"CLI-PLAN-CLEAR-MARKER"}).size(), 1u);

  // Every command, with the passphrase.
  Ran get = AccordWith(node_, {"get", case_id, "--json"}, kWithPassphrase);
  ASSERT_EQ(get.code, 0) << get.err;
  EXPECT_NE(get.out.find("Trần Văn Bảo Mật"), std::string::npos);
  Ran history = AccordWith(node_, {"history", case_id, "initials"}, kWithPassphrase);
  ASSERT_EQ(history.code, 0) << history.err;
  EXPECT_NE(history.out.find("ញញ-ឈ្មោះសម្ងាត់"), std::string::npos);
  Ran dump = AccordWith(node_, {"dump", "--json"}, kWithPassphrase);
  ASSERT_EQ(dump.code, 0) << dump.err;
  EXPECT_NE(dump.out.find("CLI-NOTES-MARKER-0042"), std::string::npos);
  Ran list = AccordWith(node_, {"list", "case", "--where", "shelter=บ้านพักลับ-CLI"}, kWithPassphrase);
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_NE(list.out.find(case_id), std::string::npos);
  EXPECT_EQ(AccordWith(node_, {"conflicts"}, kWithPassphrase).code, 0);
  // A passphrase file does as well as the environment.
  std::string file = dir_.File("passphrase.txt");
  std::ofstream(file) << kPassphrase << "\n";
  EXPECT_EQ(AccordWith(node_, {"--passphrase-file", file, "get", case_id}).code, 0);

  // Without it: cases are locked, plans are not.
  Ran locked = AccordWith(node_, {"get", case_id});
  EXPECT_EQ(locked.code, 1);
  EXPECT_NE(locked.err.find("personal data is locked"), std::string::npos) << locked.err;
  EXPECT_EQ(AccordWith(node_, {"list", "plan"}).code, 0);
  Ran status = AccordWith(node_, {"status", "--json"});
  ASSERT_EQ(status.code, 0) << status.err;
  EXPECT_EQ(json::parse(status.out)["personal_data"], "encrypted, locked");
  Ran locked_write = AccordWith(node_, {"put", "case", "reference=LOCKED-CLI-MARKER"});
  EXPECT_EQ(locked_write.code, 1);
  EXPECT_EQ(FoundOnDisk(node_, {"LOCKED-CLI-MARKER"}), std::vector<std::string>());
}

TEST_F(EncryptionCliTest, AWrongPassphraseGivesAClearErrorAndChangesNothing) {
  ASSERT_EQ(AccordWith(node_, {"init", "--node-id", "KH-NCCT", "--encrypt"}, kWithPassphrase).code,
            0);
  std::string case_id = PutCase(kWithPassphrase);
  std::string db_before = testing::FileBytes(node_ + "/accord.db");
  std::string wal_before = testing::FileBytes(node_ + "/accord.db-wal");
  std::string dump_before = AccordWith(node_, {"dump", "--json"}, kWithPassphrase).out;
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"put", "plan", "title=WRONG-PASSPHRASE-PLAN"},
           {"put", "case", "--id", case_id, "notes=WRONG-PASSPHRASE-NOTE"},
           {"get", case_id},
           {"encrypt"}}) {
    Ran wrong = AccordWith(node_, args, {"ACCORD_PASSPHRASE=not the office's passphrase"});
    EXPECT_EQ(wrong.code, 1) << args[0];
    EXPECT_NE(wrong.err.find("wrong passphrase"), std::string::npos) << wrong.err;
  }
  EXPECT_EQ(testing::FileBytes(node_ + "/accord.db"), db_before);
  EXPECT_EQ(testing::FileBytes(node_ + "/accord.db-wal"), wal_before);
  EXPECT_EQ(AccordWith(node_, {"dump", "--json"}, kWithPassphrase).out, dump_before);
}

TEST_F(EncryptionCliTest, EncryptingAnOfficeWithDataKeepsEveryRecordAndRemovesTheClearCopies) {
  ASSERT_EQ(AccordWith(node_, {"init", "--node-id", "KH-NCCT"}).code, 0);
  ASSERT_EQ(AccordWith(node_, {"load", SAMPLE_DATA}).code, 0);
  std::string case_id = PutCase({});
  EXPECT_EQ(FoundOnDisk(node_, Markers()).size(), Markers().size());
  std::string dump_before = AccordWith(node_, {"dump", "--json"}).out;

  Ran encrypt = AccordWith(node_, {"encrypt"}, kWithPassphrase);
  ASSERT_EQ(encrypt.code, 0) << encrypt.err;
  EXPECT_EQ(FoundOnDisk(node_, Markers()), std::vector<std::string>());
  EXPECT_EQ(AccordWith(node_, {"dump", "--json"}, kWithPassphrase).out, dump_before);
  // A second `encrypt` needs the same passphrase and seals nothing more.
  Ran again = AccordWith(node_, {"encrypt", "--json"}, kWithPassphrase);
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(json::parse(again.out)["cells_sealed"], 0);

  // A new passphrase re-wraps the key only: the database is not touched.
  std::string db_before = testing::FileBytes(node_ + "/accord.db");
  Ran change = AccordWith(node_, {"passphrase", "change"},
                          {kWithPassphrase[0], "ACCORD_NEW_PASSPHRASE=a new passphrase"});
  ASSERT_EQ(change.code, 0) << change.err;
  EXPECT_EQ(testing::FileBytes(node_ + "/accord.db"), db_before);
  EXPECT_EQ(AccordWith(node_, {"get", case_id}, kWithPassphrase).code, 1);
  EXPECT_EQ(AccordWith(node_, {"get", case_id}, {"ACCORD_PASSPHRASE=a new passphrase"}).code, 0);
}

TEST_F(EncryptionCliTest, ServeWithAKeyFileSyncsOverHttpsWithAClearOffice) {
  std::string ca = dir_.File("ca"), th = dir_.File("TH-MSDHS");
  ASSERT_EQ(AccordWith(dir_.path(), {"cert", "ca", "--out", ca}).code, 0);
  ASSERT_EQ(AccordWith(node_, {"init", "--node-id", "KH-NCCT", "--encrypt"}, kWithPassphrase).code,
            0);
  ASSERT_EQ(AccordWith(th, {"init", "--node-id", "TH-MSDHS"}).code, 0);
  for (const auto& dir : {node_, th}) {
    Ran cert = AccordWith(dir, {"cert", "node", "--ca-dir", ca}, kWithPassphrase);
    ASSERT_EQ(cert.code, 0) << cert.err;
  }
  // A case Cambodia shares with Thailand, and one Thailand shares back.
  std::vector<std::string> args = {"put", "case", "direction=KH-TH", "consent=given"};
  for (const auto& [field, value] : kCaseFields) args.push_back(field + "=" + value);
  ASSERT_EQ(AccordWith(node_, args, kWithPassphrase).code, 0);
  ASSERT_EQ(AccordWith(th, {"put", "case", "reference=TH-2026-HTTPS-MARKER", "direction=TH-KH",
                            "consent=given", "notes=ข้อความลับ-HTTPS"})
                .code,
            0);
  std::string key_file = dir_.File("accord-key");
  Ran exported = AccordWith(node_, {"key", "export", "--out", key_file}, kWithPassphrase);
  ASSERT_EQ(exported.code, 0) << exported.err;

  auto port = server::PickFreeLoopbackPort();
  ASSERT_TRUE(port.ok());
  std::string url = "https://127.0.0.1:" + std::to_string(*port);
  {
    ServeProcess server(node_, *port, dir_.File("serve.log"), {"ACCORD_KEY_FILE=" + key_file});
    ASSERT_TRUE(testing::Accepts(*port)) << testing::FileBytes(dir_.File("serve.log"));
    Ran sync = AccordWith(th, {"sync", url});
    ASSERT_EQ(sync.code, 0) << sync.out << sync.err;
    EXPECT_EQ(server.Signal(SIGTERM), 0);
  }
  Ran kh_dump = AccordWith(node_, {"--key-file", key_file, "dump", "--json"});
  ASSERT_EQ(kh_dump.code, 0) << kh_dump.err;
  EXPECT_EQ(kh_dump.out, AccordWith(th, {"dump", "--json"}).out);
  EXPECT_NE(kh_dump.out.find("TH-2026-HTTPS-MARKER"), std::string::npos);
  EXPECT_EQ(FoundOnDisk(node_, {"TH-2026-HTTPS-MARKER", "ข้อความลับ-HTTPS"}),
            std::vector<std::string>());
  EXPECT_EQ(FoundOnDisk(node_, Markers()), std::vector<std::string>());
  EXPECT_EQ(FoundOnDisk(th, Markers()).size(), Markers().size());

  // `serve` of an encrypted node refuses to start without its key.
  Ran no_key =
      AccordWith(node_, {"serve", "--listen", "127.0.0.1:" + std::to_string(*port), "--no-ui"});
  EXPECT_EQ(no_key.code, 1);
  EXPECT_NE(no_key.err.find("personal data is locked"), std::string::npos) << no_key.err;
}

// A lost laptop (issue 12, item 6), through the command line as an office
// lives it: the laptop syncs with its capital office; the CA revokes the
// laptop's certificate and the office is given the signed list; at the
// laptop's next sync it learns it is revoked and locks its cases, even
// from someone holding its passphrase; an administrator re-keys it with a
// new certificate and the exported key, and it works again.
TEST_F(EncryptionCliTest, ALostLaptopLocksItsCasesAtItsNextSyncUntilAnAdministratorReKeysIt) {
  const std::string ca = dir_.File("ca"), laptop = dir_.File("KH-POIPET");
  ASSERT_EQ(AccordWith(dir_.path(), {"cert", "ca", "--out", ca}).code, 0);
  ASSERT_EQ(AccordWith(node_, {"init", "--node-id", "KH-NCCT"}).code, 0);
  ASSERT_EQ(
      AccordWith(laptop, {"init", "--node-id", "KH-POIPET", "--encrypt"}, kWithPassphrase).code, 0);
  for (const auto& dir : {node_, laptop}) {
    Ran cert = AccordWith(dir, {"cert", "node", "--ca-dir", ca}, kWithPassphrase);
    ASSERT_EQ(cert.code, 0) << cert.err;
  }
  std::vector<std::string> put = {"put", "case"};
  for (const auto& [field, value] : kCaseFields) put.push_back(field + "=" + value);
  Ran made = AccordWith(laptop, put, kWithPassphrase);
  ASSERT_EQ(made.code, 0) << made.err;
  std::string case_id = made.out.substr(0, made.out.find('\n'));
  Ran plan =
      AccordWith(laptop, {"put", "plan", "title=ផែនការព្រំដែន-LOST-LAPTOP-PLAN"}, kWithPassphrase);
  ASSERT_EQ(plan.code, 0) << plan.err;
  std::string plan_id = plan.out.substr(0, plan.out.find('\n'));
  // The key, exported and kept off the laptop (at the capital).
  const std::string key_export = dir_.File("KH-POIPET-data-key");
  ASSERT_EQ(AccordWith(laptop, {"key", "export", "--out", key_export}, kWithPassphrase).code, 0);

  auto port = server::PickFreeLoopbackPort();
  ASSERT_TRUE(port.ok());
  const std::string url = "https://127.0.0.1:" + std::to_string(*port);
  {
    ServeProcess office(node_, *port, dir_.File("serve.log"));
    ASSERT_TRUE(testing::Accepts(*port)) << testing::FileBytes(dir_.File("serve.log"));
    Ran sync = AccordWith(laptop, {"sync", url}, kWithPassphrase);
    ASSERT_EQ(sync.code, 0) << sync.out << sync.err;
    EXPECT_EQ(office.Signal(SIGTERM), 0) << testing::FileBytes(dir_.File("serve.log"));
  }

  // The laptop is lost: the CA revokes its certificate, the office gets the list.
  const std::string crl = dir_.File("revoked.crl");
  Ran revoke = AccordWith(dir_.path(), {"cert", "revoke", "--ca-dir", ca, "--crl", crl,
                                        laptop + "/tls/node.pem", "--json"});
  ASSERT_EQ(revoke.code, 0) << revoke.err;
  EXPECT_EQ(json::parse(revoke.out)["revoked"].size(), 1u);
  std::filesystem::copy_file(crl, node_ + "/tls/revoked.crl");
  {
    ServeProcess office(node_, *port, dir_.File("serve.log"));
    ASSERT_TRUE(testing::Accepts(*port)) << testing::FileBytes(dir_.File("serve.log"));
    // Whoever holds the laptop, and its passphrase, syncs.
    Ran sync = AccordWith(laptop, {"sync", url}, kWithPassphrase);
    EXPECT_EQ(sync.code, 1) << sync.out << sync.err;
    EXPECT_NE(sync.err.find("was revoked by the deployment CA"), std::string::npos) << sync.err;
    EXPECT_NE(sync.err.find("personal data locked"), std::string::npos) << sync.err;
    EXPECT_EQ(office.Signal(SIGTERM), 0) << testing::FileBytes(dir_.File("serve.log"));
  }
  EXPECT_NE(testing::FileBytes(dir_.File("serve.log")).find("revocation list"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(laptop + "/keys/data-key"));

  Ran get = AccordWith(laptop, {"get", case_id}, kWithPassphrase);
  EXPECT_EQ(get.code, 1);
  EXPECT_NE(get.err.find("this node's certificate (serial"), std::string::npos) << get.err;
  EXPECT_NE(get.err.find("was revoked by the deployment CA"), std::string::npos) << get.err;
  EXPECT_NE(get.err.find("until an administrator re-keys it: accord rekey"), std::string::npos)
      << get.err;
  // Even the exported key does not open it on the laptop.
  EXPECT_EQ(AccordWith(laptop, {"--key-file", key_export, "get", case_id}).code, 1);
  Ran plan_read = AccordWith(laptop, {"get", plan_id});
  EXPECT_EQ(plan_read.code, 0) << plan_read.err;
  EXPECT_NE(plan_read.out.find("ផែនការព្រំដែន-LOST-LAPTOP-PLAN"), std::string::npos);
  Ran status = AccordWith(laptop, {"status", "--json"});
  ASSERT_EQ(status.code, 0) << status.err;
  json st = json::parse(status.out);
  EXPECT_EQ(st["revocation_lock"]["learned_from"], "KH-NCCT");
  EXPECT_EQ(st["revocation_lock"]["personal_data_destroyed"], false);
  Ran again = AccordWith(laptop, {"sync", url}, kWithPassphrase);
  EXPECT_EQ(again.code, 1);
  EXPECT_NE(again.err.find("no sync"), std::string::npos) << again.err;
  EXPECT_EQ(FoundOnDisk(laptop, Markers()), std::vector<std::string>());

  // Re-keying: the revoked certificate is refused; a new one and the
  // exported key unlock it, under a new passphrase.
  const std::vector<std::string> kNewPassphrase = {"ACCORD_PASSPHRASE=ថ្មី new passphrase"};
  Ran with_old = AccordWith(laptop,
                            {"rekey", "--cert", laptop + "/tls/node.pem", "--key",
                             laptop + "/tls/node.key", "--key-export", key_export},
                            kNewPassphrase);
  EXPECT_EQ(with_old.code, 1);
  EXPECT_NE(with_old.err.find("the certificate the CA revoked"), std::string::npos) << with_old.err;
  const std::string fresh = dir_.File("KH-POIPET-new");
  ASSERT_EQ(
      AccordWith(laptop, {"cert", "node", "--ca-dir", ca, "--node-id", "KH-POIPET", "--out", fresh})
          .code,
      0);
  // Another node's key is refused, and nothing changes.
  const std::string other = dir_.File("KH-KAMPOT"), other_key = dir_.File("KH-KAMPOT-data-key");
  ASSERT_EQ(
      AccordWith(other, {"init", "--node-id", "KH-KAMPOT", "--encrypt"}, kWithPassphrase).code, 0);
  ASSERT_EQ(AccordWith(other, {"key", "export", "--out", other_key}, kWithPassphrase).code, 0);
  Ran wrong_key = AccordWith(laptop,
                             {"rekey", "--cert", fresh + "/node.pem", "--key", fresh + "/node.key",
                              "--key-export", other_key},
                             kNewPassphrase);
  EXPECT_EQ(wrong_key.code, 1);
  EXPECT_NE(wrong_key.err.find("is not this node's data key"), std::string::npos) << wrong_key.err;
  EXPECT_EQ(AccordWith(laptop, {"get", case_id}, kNewPassphrase).code, 1);
  Ran rekey = AccordWith(laptop,
                         {"rekey", "--cert", fresh + "/node.pem", "--key", fresh + "/node.key",
                          "--key-export", key_export},
                         kNewPassphrase);
  ASSERT_EQ(rekey.code, 0) << rekey.err;
  Ran unlocked = AccordWith(laptop, {"get", case_id}, kNewPassphrase);
  ASSERT_EQ(unlocked.code, 0) << unlocked.err;
  EXPECT_NE(unlocked.out.find("ញញ-ឈ្មោះសម្ងាត់"), std::string::npos);
  {
    ServeProcess office(node_, *port, dir_.File("serve.log"));
    ASSERT_TRUE(testing::Accepts(*port)) << testing::FileBytes(dir_.File("serve.log"));
    Ran sync = AccordWith(laptop, {"sync", url}, kNewPassphrase);
    EXPECT_EQ(sync.code, 0) << sync.out << sync.err;
    EXPECT_EQ(office.Signal(SIGTERM), 0) << testing::FileBytes(dir_.File("serve.log"));
  }
}

}  // namespace
}  // namespace accord
