// `accord user add / list / disable` and `--as` on the writing commands, run
// as an office runs them (docs/users.md).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/cli_support.h"
#include "tests/test_support.h"

namespace accord {
namespace {

using nlohmann::json;
using testing::Accord;
using testing::CommandResult;
using testing::TempDir;

class UsersCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    node = dir.File("kh");
    ASSERT_EQ(Accord(node, {"init", "--node-id", "KH-NCCT"}).code, 0);
    sokha_password = Secret("sokha", "ពាក្យសម្ងាត់ សុខា\n");
    mali_password = Secret("mali", "รหัสผ่าน มะลิ");
    wrong_password = Secret("wrong", "password");
  }
  std::string Secret(const std::string& name, const std::string& text) {
    std::string path = dir.File(name + ".password");
    std::ofstream(path) << text;
    return path;
  }
  std::string Dump() { return Accord(node, {"dump", "--json"}).out; }
  // Sokha, the node's first user (admin, write, resolve).
  void AddSokha() {
    CommandResult added = Accord(node, {"user", "add", "sokha.kh", "--display", "ស៊ុន សុខា",
                                        "--new-password-file", sokha_password, "--json"});
    ASSERT_EQ(added.code, 0);
    json user = json::parse(added.out);
    EXPECT_EQ(user["name"], "sokha.kh");
    EXPECT_EQ(user["display_name"], "ស៊ុន សុខា");
    EXPECT_EQ(user["rights"], json({"admin", "resolve", "write"}));
    EXPECT_EQ(user["disabled"], false);
  }
  std::vector<std::string> AsSokha(std::vector<std::string> args) {
    args.insert(args.end(), {"--as", "sokha.kh", "--password-file", sokha_password});
    return args;
  }
  TempDir dir;
  std::string node, sokha_password, mali_password, wrong_password;
};

const std::vector<std::string> kPutMeeting = {"put",
                                              "meeting",
                                              "--id",
                                              "mtg-2025-poipet",
                                              "title=កិច្ចប្រជុំ ប៉ោយប៉ែត",
                                              "start_date=2025-03-12",
                                              "city=ប៉ោយប៉ែត"};

TEST_F(UsersCliTest, UserCommandsHaveHelp) {
  for (std::vector<std::string> args : {std::vector<std::string>{"user", "--help"},
                                        {"user", "add", "--help"},
                                        {"user", "list", "--help"},
                                        {"user", "disable", "--help"}}) {
    CommandResult r = Accord(node, args);
    EXPECT_EQ(r.code, 0) << args[1];
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << args[1];
  }
  EXPECT_NE(Accord(node, {"put", "--help"}).out.find("--as"), std::string::npos);
  EXPECT_NE(Accord(node, {"resolve", "--help"}).out.find("--password-file"), std::string::npos);
  EXPECT_EQ(Accord(node, {"user"}).code, 2) << "a subcommand is needed";
}

TEST_F(UsersCliTest, BadNamesAndRightsAreUsageErrorsAndAddNobody) {
  EXPECT_EQ(Accord(node, {"user", "add", "Sokha", "--new-password-file", sokha_password}).code, 2);
  EXPECT_EQ(Accord(node, {"user", "add", "សុខា", "--new-password-file", sokha_password}).code, 2);
  EXPECT_EQ(Accord(node, {"user", "add", "sokha.kh", "--rights", "write,fly", "--new-password-file",
                          sokha_password})
                .code,
            2);
  // The first user must be able to add the others.
  EXPECT_EQ(Accord(node, {"user", "add", "sokha.kh", "--rights", "write", "--new-password-file",
                          sokha_password})
                .code,
            1);
  // No password and no terminal.
  EXPECT_EQ(Accord(node, {"user", "add", "sokha.kh"}).code, 1);
  EXPECT_EQ(json::parse(Accord(node, {"user", "list", "--json"}).out), json::array());
}

TEST_F(UsersCliTest, OnceANodeHasUsersEveryWriteNeedsOneWithTheRightPassword) {
  std::string empty = Dump();
  // No users: writes work as before, and carry no author.
  ASSERT_EQ(Accord(node, kPutMeeting).code, 0);
  json history = json::parse(Accord(node, {"history", "mtg-2025-poipet", "--json"}).out);
  EXPECT_FALSE(history[0].contains("author"));
  AddSokha();

  std::string before = Dump();
  std::vector<std::string> put_venue = {"put", "meeting", "--id", "mtg-2025-poipet",
                                        "venue=សាលាខេត្តបន្ទាយមានជ័យ"};
  EXPECT_EQ(Accord(node, put_venue).code, 1) << "nobody named";
  std::vector<std::string> wrong = put_venue;
  wrong.insert(wrong.end(), {"--as", "sokha.kh", "--password-file", wrong_password});
  EXPECT_EQ(Accord(node, wrong).code, 1);
  std::vector<std::string> unknown = put_venue;
  unknown.insert(unknown.end(), {"--as", "somchai.th", "--password-file", sokha_password});
  EXPECT_EQ(Accord(node, unknown).code, 1);
  EXPECT_EQ(Accord(node, {"delete", "mtg-2025-poipet"}).code, 1);
  EXPECT_EQ(Dump(), before) << "nothing was written";

  CommandResult put = Accord(node, AsSokha(put_venue));
  ASSERT_EQ(put.code, 0);
  history = json::parse(Accord(node, {"history", "mtg-2025-poipet", "venue", "--json"}).out);
  ASSERT_EQ(history.size(), 1u);
  EXPECT_EQ(history[0]["author"], "sokha.kh");
  EXPECT_EQ(history[0]["origin"], "KH-NCCT");
  EXPECT_NE(Accord(node, {"history", "mtg-2025-poipet", "venue"}).out.find("by sokha.kh@KH-NCCT"),
            std::string::npos);
  EXPECT_NE(Dump(), empty);
}

TEST_F(UsersCliTest, ADisabledUserIsRefused) {
  AddSokha();
  // Mali's password from the environment, her name from ACCORD_USER.
  CommandResult added = Accord(node, AsSokha({"user", "add", "mali.th", "--display", "มะลิ ศรีสุข",
                                              "--new-password-file", mali_password}));
  ASSERT_EQ(added.code, 0);
  std::vector<std::string> put_as_mali = kPutMeeting;
  put_as_mali.insert(put_as_mali.end(), {"--password-file", mali_password});
  EXPECT_EQ(Accord(node, put_as_mali, "ACCORD_USER=mali.th").code, 0);
  EXPECT_EQ(Accord(node, {"user", "disable", "mali.th", "--password-file", mali_password},
                   "ACCORD_USER=mali.th")
                .code,
            1)
      << "only an admin disables";
  CommandResult disabled = Accord(node, AsSokha({"user", "disable", "mali.th", "--json"}));
  ASSERT_EQ(disabled.code, 0);
  EXPECT_EQ(json::parse(disabled.out), json({{"disabled", "mali.th"}}));

  std::string before = Dump();
  std::vector<std::string> again = {"put", "meeting", "--id", "mtg-2025-poipet",
                                    "venue=ศาลากลางจังหวัดสระแก้ว"};
  again.insert(again.end(), {"--password-file", mali_password});
  EXPECT_EQ(Accord(node, again, "ACCORD_USER=mali.th").code, 1);
  EXPECT_EQ(Dump(), before);

  json users = json::parse(Accord(node, {"user", "list", "--json"}).out);
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[0]["name"], "mali.th");
  EXPECT_EQ(users[0]["display_name"], "มะลิ ศรีสุข");
  EXPECT_EQ(users[0]["disabled"], true);
  EXPECT_EQ(users[0]["disabled_by"], "sokha.kh");
  EXPECT_EQ(users[0]["created_by"], "sokha.kh");
  EXPECT_NE(Accord(node, {"user", "list"}).out.find("DISABLED"), std::string::npos);
  // The last admin stays.
  EXPECT_EQ(Accord(node, AsSokha({"user", "disable", "sokha.kh"})).code, 1);
}

}  // namespace
}  // namespace accord
