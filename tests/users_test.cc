// Office users (core/users.h, docs/users.md): who writes and resolves on a
// node, their Argon2id passwords, and the author every write carries.
#include "core/users.h"

#include <gtest/gtest.h>

#include "core/conflicts.h"
#include "core/json_codec.h"
#include "core/migrations.h"
#include "core/store.h"
#include "tests/store_peek.h"
#include "tests/test_support.h"

namespace accord {
namespace {

using testing::DumpOf;
using testing::FakeClock;
using testing::TempDir;

constexpr const char* kSokha = "sokha.kh";  // ស៊ុន សុខា, the Phnom Penh secretariat
constexpr const char* kMali = "mali.th";  // มะลิ ศรีสุข, a Thai liaison on KH's node
constexpr const char* kLan = "lan.vn";  // Nguyễn Thị Lan
constexpr const char* kSokhaPassword = "ពាក្យសម្ងាត់ 2025";
constexpr const char* kMaliPassword = "รหัสผ่าน-ลับ";
constexpr const char* kLanPassword = "mật khẩu 密码";

std::unique_ptr<Store> NewNode(const TempDir& dir, const std::string& node_id,
                               const FakeClock& clock = FakeClock()) {
  StoreOptions options{clock.Fn()};
  options.password_cost = PasswordCost::kTestMinimum;  // tests only: stay fast
  auto store = Store::Create(dir.File(node_id + ".db"), node_id, options);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return std::move(store).value();
}

// KH-NCCT with three users: Sokha (admin), Mali (write, resolve), Lan (write).
void AddOfficeUsers(Store& store) {
  ASSERT_TRUE(
      store.AddUser({kSokha, "ស៊ុន សុខា", {"admin", "resolve", "write"}, kSokhaPassword}).ok());
  store.ActAs(kSokha);
  ASSERT_TRUE(store.AddUser({kMali, "มะลิ ศรีสุข", {"write", "resolve"}, kMaliPassword}).ok());
  ASSERT_TRUE(store.AddUser({kLan, "Nguyễn Thị Lan 阮氏蘭", {"write"}, kLanPassword}).ok());
  store.ActAs("");
}

std::string PasswordHashOf(Store& store, const std::string& name) {
  auto stmt = testing::PeekDb(store).Prepare("SELECT password_hash FROM users WHERE name = ?");
  EXPECT_TRUE(stmt.ok());
  (*stmt)->Bind(1, name);
  EXPECT_TRUE(*(*stmt)->Step());
  std::string hash = (*stmt)->Text(0);
  (*stmt)->Reset();
  return hash;
}

const RecordWrite kMeeting = {
    "meeting",
    std::string("mtg-2025-poipet"),
    {{"title", "កិច្ចប្រជុំក្រុមការងារ ប៉ោយប៉ែត"}, {"start_date", "2025-03-12"}, {"city", "ប៉ោយប៉ែត"}}};

TEST(UsersTest, AnOfficeAddsListsAndDisablesItsUsers) {
  TempDir dir;
  auto kh = NewNode(dir, "KH-NCCT");
  EXPECT_FALSE(*kh->HasUsers());
  AddOfficeUsers(*kh);
  EXPECT_TRUE(*kh->HasUsers());
  auto users = kh->ListUsers();
  ASSERT_TRUE(users.ok()) << users.status().ToString();
  ASSERT_EQ(users->size(), 3u);
  EXPECT_EQ((*users)[0].name, kLan);
  EXPECT_EQ((*users)[0].display_name, "Nguyễn Thị Lan 阮氏蘭");
  EXPECT_EQ((*users)[0].rights, std::vector<std::string>{"write"});
  EXPECT_EQ((*users)[0].created_by, kSokha);
  EXPECT_EQ((*users)[1].name, kMali);
  EXPECT_EQ((*users)[1].rights, (std::vector<std::string>{"resolve", "write"}));
  EXPECT_EQ((*users)[2].name, kSokha);
  EXPECT_EQ((*users)[2].display_name, "ស៊ុន សុខា");
  EXPECT_EQ((*users)[2].created_by, "");

  kh->ActAs(kSokha);
  ASSERT_TRUE(kh->DisableUser(kMali).ok());
  auto mali = kh->FindUser(kMali);
  ASSERT_TRUE(mali.ok() && *mali);
  EXPECT_TRUE((*mali)->disabled);
  EXPECT_EQ((*mali)->disabled_by, kSokha);
  EXPECT_GT((*mali)->disabled_at_ms, 0);
  EXPECT_EQ(kh->DisableUser(kMali).code(), Code::kFailedPrecondition) << "already disabled";
  EXPECT_EQ(kh->DisableUser("nobody").code(), Code::kNotFound);
  // The last enabled admin stays: nobody could add or disable users after.
  Status last = kh->DisableUser(kSokha);
  EXPECT_EQ(last.code(), Code::kFailedPrecondition);
  EXPECT_NE(last.message().find("last enabled admin"), std::string::npos) << last.message();
}

TEST(UsersTest, PasswordsAreStoredAsArgon2idHashesNeverThemselves) {
  TempDir dir;
  auto kh = NewNode(dir, "KH-NCCT");
  AddOfficeUsers(*kh);
  for (auto [name, password] : {std::pair{kSokha, kSokhaPassword}, std::pair{kMali, kMaliPassword},
                                std::pair{kLan, kLanPassword}}) {
    std::string hash = PasswordHashOf(*kh, name);
    EXPECT_EQ(hash.rfind("$argon2id$", 0), 0u) << hash;
    EXPECT_EQ(hash.find(password), std::string::npos);
    EXPECT_TRUE(PasswordMatches(hash, password));
    EXPECT_FALSE(PasswordMatches(hash, std::string(password) + "x"));
  }
  // Two users with one password still get different hashes (a salt each).
  ASSERT_TRUE(kh->AddUser({"dara.kh", "", {"write"}, kLanPassword}).code() ==
              Code::kPermissionDenied)
      << "a later user needs an acting admin";
  kh->ActAs(kSokha);
  ASSERT_TRUE(kh->AddUser({"dara.kh", "ដារ៉ា", {"write"}, kLanPassword}).ok());
  EXPECT_NE(PasswordHashOf(*kh, "dara.kh"), PasswordHashOf(*kh, kLan));
  // The interactive cost, as every real node uses, makes the same kind of string.
  auto real = HashPassword(kSokhaPassword, PasswordCost::kInteractive);
  ASSERT_TRUE(real.ok());
  EXPECT_EQ(real->rfind("$argon2id$", 0), 0u) << *real;
  EXPECT_TRUE(PasswordMatches(*real, kSokhaPassword));
}

TEST(UsersTest, BadUsersAreRefusedSayingWhatIsWrong) {
  TempDir dir;
  auto kh = NewNode(dir, "KH-NCCT");
  Status not_admin = kh->AddUser({kLan, "", {"write"}, kLanPassword});
  EXPECT_EQ(not_admin.code(), Code::kInvalidArgument);
  EXPECT_NE(not_admin.message().find("first user of a node must hold admin"), std::string::npos);
  EXPECT_EQ(kh->AddUser({"Sokha", "", {"admin"}, "x"}).code(), Code::kInvalidArgument);
  EXPECT_EQ(kh->AddUser({"សុខា", "", {"admin"}, "x"}).code(), Code::kInvalidArgument);
  EXPECT_EQ(kh->AddUser({".sokha", "", {"admin"}, "x"}).code(), Code::kInvalidArgument);
  EXPECT_EQ(kh->AddUser({kSokha, "", {"admin"}, ""}).code(), Code::kInvalidArgument);
  EXPECT_FALSE(ParseRights("write,fly").ok());
  EXPECT_EQ(*ParseRights("write,resolve,write"), (std::vector<std::string>{"resolve", "write"}));
  EXPECT_FALSE(*kh->HasUsers()) << "nothing was added";
  AddOfficeUsers(*kh);
  kh->ActAs(kSokha);
  EXPECT_EQ(kh->AddUser({kMali, "", {"write"}, "again"}).code(), Code::kFailedPrecondition);
  kh->ActAs(kLan);
  EXPECT_EQ(kh->AddUser({"dara.kh", "", {"write"}, "x"}).code(), Code::kPermissionDenied)
      << "only an admin adds users";
  EXPECT_EQ(kh->DisableUser(kMali).code(), Code::kPermissionDenied);
}

TEST(UsersTest, AWrongPasswordAnUnknownOrADisabledUserIsRefusedAndNothingIsWritten) {
  TempDir dir;
  auto kh = NewNode(dir, "KH-NCCT");
  AddOfficeUsers(*kh);
  auto ok = kh->Authenticate(kMali, kMaliPassword);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->display_name, "มะลิ ศรีสุข");

  auto wrong = kh->Authenticate(kMali, kSokhaPassword);
  EXPECT_EQ(wrong.status().code(), Code::kPermissionDenied);
  EXPECT_NE(wrong.status().message().find("wrong password for user mali.th"), std::string::npos);
  auto unknown = kh->Authenticate("somchai.th", kMaliPassword);
  EXPECT_EQ(unknown.status().code(), Code::kPermissionDenied);
  EXPECT_NE(unknown.status().message().find("no user somchai.th"), std::string::npos);

  std::string before = DumpOf(*kh);
  // No acting user on a node with users: refused.
  auto anonymous = kh->Put(kMeeting);
  EXPECT_EQ(anonymous.status().code(), Code::kPermissionDenied);
  EXPECT_NE(anonymous.status().message().find("this node has users"), std::string::npos);
  // A name the node does not know.
  kh->ActAs("somchai.th");
  EXPECT_EQ(kh->Put(kMeeting).status().code(), Code::kPermissionDenied);
  // Mali is disabled while signed in: her next write is refused, and she
  // can no longer sign in.
  kh->ActAs(kSokha);
  ASSERT_TRUE(kh->DisableUser(kMali).ok());
  kh->ActAs(kMali);
  auto disabled = kh->Put(kMeeting);
  EXPECT_EQ(disabled.status().code(), Code::kPermissionDenied);
  EXPECT_NE(disabled.status().message().find("user mali.th was disabled by sokha.kh"),
            std::string::npos)
      << disabled.status().message();
  EXPECT_EQ(kh->Authenticate(kMali, kMaliPassword).status().code(), Code::kPermissionDenied);
  // Lan may write but not resolve.
  kh->ActAs(kLan);
  EXPECT_EQ(kh->WriteResolution("mtg-2025-poipet", "city", std::string("x"), "").code(),
            Code::kPermissionDenied);
  EXPECT_EQ(DumpOf(*kh), before) << "nothing was written";
  EXPECT_EQ(kh->Knowledge()->Get("KH-NCCT"), 0u) << "no counter was taken";
}

TEST(UsersTest, EveryWriteAndResolutionCarriesItsUserIntoHistoryAndConflicts) {
  testing::ThreeOffices offices;  // KH-NCCT, TH-MSDHS, KH-POIPET
  Store& kh = *offices.kh;
  AddOfficeUsers(kh);
  kh.ActAs(kLan);
  testing::PutOk(kh, kMeeting);
  ASSERT_TRUE(kh.Delete("mtg-2025-poipet").ok());
  kh.ActAs(kMali);
  testing::PutOk(
      kh, {"meeting",
           std::string("mtg-2025-sakaeo"),
           {{"title", "ประชุมคณะทำงาน สระแก้ว"}, {"start_date", "2025-04-02"}, {"city", "สระแก้ว"}}});
  auto history = kh.History("mtg-2025-poipet", std::nullopt);
  ASSERT_TRUE(history.ok());
  for (const auto& v : *history) EXPECT_EQ(v.version.author, kLan) << v.version.field;
  EXPECT_EQ(history->back().version.field, kDeletedField);

  // TH (no users) and KH edit the venue concurrently; Mali resolves at KH.
  testing::SyncOk(*offices.th, kh);
  testing::PutOk(*offices.th,
                 {"meeting", std::string("mtg-2025-sakaeo"), {{"venue", "ศาลากลางจังหวัดสระแก้ว"}}});
  testing::PutOk(kh, {"meeting", std::string("mtg-2025-sakaeo"), {{"venue", "សាលាខេត្ត"}}});
  testing::SyncOk(*offices.th, kh);
  auto conflicts = ListConflicts(kh);
  ASSERT_TRUE(conflicts.ok());
  ASSERT_EQ(conflicts->size(), 1u);
  for (const auto& v : conflicts->front().values) {
    EXPECT_EQ(v.version.author, v.version.origin == "KH-NCCT" ? kMali : "") << v.version.origin;
  }
  // `accord conflicts show --json` and the review page show it.
  nlohmann::json shown = ConflictJson(conflicts->front(), true);
  int with_author = 0;
  for (const auto& value : shown["values"]) {
    if (value.contains("author")) {
      EXPECT_EQ(value["author"], kMali);
      EXPECT_EQ(value["origin"], "KH-NCCT");
      ++with_author;
    }
  }
  EXPECT_EQ(with_author, 1);
  auto written = ResolveConflict(kh, conflicts->front().id,
                                 {std::string("TH-MSDHS"), std::nullopt, false, "ignored"});
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  auto venue = kh.History("mtg-2025-sakaeo", std::string("venue"));
  EXPECT_EQ(venue->back().version.author, kMali);
  EXPECT_NE(venue->back().version.note.find("by mali.th at KH-NCCT"), std::string::npos)
      << venue->back().version.note;
  EXPECT_NE(DumpOf(kh).find("\"author\":\"mali.th\""), std::string::npos);
}

TEST(UsersTest, ANodeWithNoUsersWritesAsBeforeAndRefusesANamedUser) {
  TempDir dir;
  auto kh = NewNode(dir, "KH-NCCT");
  testing::PutOk(*kh, kMeeting);
  auto history = kh->History("mtg-2025-poipet", std::nullopt);
  for (const auto& v : *history) EXPECT_EQ(v.version.author, "");
  EXPECT_EQ(DumpOf(*kh).find("author"), std::string::npos);
  kh->ActAs(kSokha);
  auto named = kh->Put(kMeeting);
  EXPECT_EQ(named.status().code(), Code::kPermissionDenied);
  EXPECT_NE(named.status().message().find("this node has no users"), std::string::npos);
}

// A layout-8 database (before users) opens with an empty users table and
// every version without an author.
TEST(UsersTest, ALayout8DatabaseGainsUsersAndEveryOldVersionHasNoAuthor) {
  TempDir dir;
  std::string path = dir.File("KH-NCCT.db");
  {
    auto kh = Store::Create(path, "KH-NCCT");
    ASSERT_TRUE(kh.ok());
    testing::PutOk(**kh, kMeeting);
  }
  {
    auto db = Database::Open(path, /*create=*/false);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)
                    ->Exec(std::string(testing::kBackToLayout11) +
                           "DROP TABLE purge_orders; DROP TABLE purge_order_peers; "
                           "DROP TABLE users; ALTER TABLE versions DROP COLUMN author; "
                           "ALTER TABLE versions DROP COLUMN pruned_at; "
                           "PRAGMA user_version = 8;")
                    .ok());
  }
  auto kh = Store::Open(path);
  ASSERT_TRUE(kh.ok()) << kh.status().ToString();
  EXPECT_FALSE(*(*kh)->HasUsers());
  auto history = (*kh)->History("mtg-2025-poipet", std::nullopt);
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->size(), 3u);
  for (const auto& v : *history) EXPECT_EQ(v.version.author, "");
  testing::PutOk(**kh, {"meeting", std::string("mtg-2025-poipet"), {{"venue", "សាលាខេត្ត"}}});
}

}  // namespace
}  // namespace accord
