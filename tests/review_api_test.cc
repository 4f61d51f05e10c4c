// The review page's JSON API (server/review_api.h), called without a socket.
#include "server/review_api.h"

#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "core/conflicts.h"
#include "server/store_pool.h"
#include "tests/test_support.h"

namespace accord::server {
namespace {

// Found by fuzz/review_api_fuzz.cc: a path or conflict id that is not valid
// UTF-8 is quoted in the error, and nlohmann::json::dump() threw on it, so
// the handler threw instead of answering (the server turned it into a 500).
TEST(ReviewApiTest, InvalidUtf8InThePathIsAnsweredNotThrown) {
  testing::TempDir dir;
  testing::NewStore(dir, "KH-NCCT");
  StorePool stores(dir.File("KH-NCCT.db"));
  ReviewSessions sessions;
  struct Case {
    std::string method, path;
    int status;
  };
  for (const Case& c : std::vector<Case>{
           {"POST", "/api/co\x94nflicts", 404},
           {"GET", "/api/conflicts/\xff\xfe", 404},
           {"POST", "/api/conflicts/\xc3/resolve", 404},
           {"GET", "/nowhere\x80", 404},
       }) {
    HttpRequest request;
    request.method = c.method;
    request.path = c.path;
    request.body = R"({"take": "KH-NCCT"})";
    HttpResponse response;
    ASSERT_NO_THROW(response = HandleReviewRequest(stores, sessions, request)) << c.path;
    EXPECT_EQ(response.status, c.status) << c.path;
    auto body = nlohmann::json::parse(response.body, nullptr, false);
    ASSERT_FALSE(body.is_discarded()) << response.body;
    EXPECT_NE(body["error"].get<std::string>().find("\xef\xbf\xbd"), std::string::npos)
        << "invalid bytes are shown as U+FFFD: " << response.body;
  }
}

// ---- Signing in to resolve (docs/users.md).

using nlohmann::json;

HttpRequest Request(const std::string& method, const std::string& path, const std::string& body,
                    const std::string& cookie = "") {
  HttpRequest request;
  request.method = method;
  request.path = path;
  request.body = body;
  if (!cookie.empty()) request.headers["cookie"] = cookie;
  return request;
}

std::string SetCookieOf(const HttpResponse& response) {
  for (const auto& [name, value] : response.headers) {
    if (name == "Set-Cookie") return value;
  }
  return "";
}

// KH-NCCT and TH-MSDHS set the Poi Pet meeting's venue concurrently; KH-NCCT
// has two users, Sokha (admin) and Mali, and Lan, disabled.
struct ReviewWithUsers {
  testing::TempDir dir;
  testing::FakeClock clock;
  std::unique_ptr<Store> kh = testing::NewStore(dir, "KH-NCCT", clock);
  std::unique_ptr<Store> th = testing::NewStore(dir, "TH-MSDHS", clock);
  std::string conflict;
  ReviewWithUsers() {
    testing::PutOk(
        *kh, {"meeting",
              std::string("mtg-poipet"),
              {{"title", "កិច្ចប្រជុំ ប៉ោយប៉ែត"}, {"start_date", "2025-03-12"}, {"city", "ប៉ោយប៉ែត"}}});
    testing::SyncOk(*th, *kh);
    testing::PutOk(*kh, {"meeting", std::string("mtg-poipet"), {{"venue", "សាលាខេត្ត"}}});
    testing::PutOk(*th, {"meeting", std::string("mtg-poipet"), {{"venue", "ศาลากลางจังหวัด"}}});
    testing::SyncOk(*th, *kh);
    conflict = ListConflicts(*kh)->front().id;
  }
  void AddUsers() {
    ASSERT_TRUE(
        kh->AddUser({"sokha.kh", "ស៊ុន សុខា", {"admin", "resolve", "write"}, "ពាក្យសម្ងាត់"}).ok());
    kh->ActAs("sokha.kh");
    ASSERT_TRUE(kh->AddUser({"mali.th", "มะลิ ศรีสุข", {"resolve", "write"}, "รหัสผ่าน"}).ok());
    ASSERT_TRUE(kh->AddUser({"lan.vn", "Nguyễn Thị Lan", {"resolve"}, "mật khẩu"}).ok());
    ASSERT_TRUE(kh->DisableUser("lan.vn").ok());
    kh->ActAs("");
  }
  std::string ResolvePath() const { return "/api/conflicts/" + conflict + "/resolve"; }
};

TEST(ReviewApiTest, ANodeWithUsersResolvesOnlyForASignedInUserWhoBecomesTheAuthor) {
  ReviewWithUsers review;
  review.AddUsers();
  StorePool stores(review.dir.File("KH-NCCT.db"));
  ReviewSessions sessions;
  auto session =
      json::parse(HandleReviewRequest(stores, sessions, Request("GET", "/api/session", "")).body);
  EXPECT_EQ(session["users"], true);
  EXPECT_TRUE(session["user"].is_null());

  // Without a session, with a name typed in "by": refused, nothing written.
  HttpResponse anonymous = HandleReviewRequest(
      stores, sessions,
      Request("POST", review.ResolvePath(), R"({"take": "TH-MSDHS", "by": "sokha.kh"})"));
  EXPECT_EQ(anonymous.status, 401) << anonymous.body;
  EXPECT_NE(anonymous.body.find("sign in to resolve"), std::string::npos);
  HttpResponse forged = HandleReviewRequest(
      stores, sessions,
      Request("POST", review.ResolvePath(), R"({"take": "TH-MSDHS"})",
              std::string(kReviewCookie) + "=0123456789abcdef0123456789abcdef"));
  EXPECT_EQ(forged.status, 401) << "a made-up session is no session";

  // Wrong password, unknown user, disabled user: no cookie.
  for (const char* body :
       {R"({"name": "mali.th", "password": "ពាក្យសម្ងាត់"})",
        R"({"name": "somchai.th", "password": "รหัสผ่าน"})",
        R"({"name": "lan.vn", "password": "mật khẩu"})", R"({"name": "mali.th"})"}) {
    HttpResponse refused =
        HandleReviewRequest(stores, sessions, Request("POST", "/api/login", body));
    EXPECT_TRUE(refused.status == 401 || refused.status == 400) << body << refused.body;
    EXPECT_EQ(SetCookieOf(refused), "") << body;
  }
  ASSERT_EQ(ListConflicts(*review.kh)->size(), 1u) << "still open";

  HttpResponse login = HandleReviewRequest(
      stores, sessions,
      Request("POST", "/api/login", R"({"name": "mali.th", "password": "รหัสผ่าน"})"));
  ASSERT_EQ(login.status, 200) << login.body;
  EXPECT_EQ(json::parse(login.body)["display_name"], "มะลิ ศรีสุข");
  std::string cookie = SetCookieOf(login);
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("Max-Age=1800"), std::string::npos) << cookie;
  EXPECT_EQ(cookie.find("รหัสผ่าน"), std::string::npos);
  std::string token = cookie.substr(0, cookie.find(';'));  // accord_review=...
  session = json::parse(
      HandleReviewRequest(stores, sessions, Request("GET", "/api/session", "", token)).body);
  EXPECT_EQ(session["user"], "mali.th");

  HttpResponse resolved = HandleReviewRequest(
      stores, sessions,
      Request("POST", review.ResolvePath(), R"({"take": "TH-MSDHS", "by": "someone else"})",
              "theme=dark; " + token));
  ASSERT_EQ(resolved.status, 200) << resolved.body;
  auto history = review.kh->History("mtg-poipet", std::string("venue"));
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->back().version.author, "mali.th");
  EXPECT_NE(history->back().version.note.find("by mali.th at KH-NCCT"), std::string::npos)
      << history->back().version.note;
  EXPECT_EQ(history->back().version.note.find("someone else"), std::string::npos);

  // Signed out: the session is gone.
  HttpResponse out =
      HandleReviewRequest(stores, sessions, Request("POST", "/api/logout", "", token));
  EXPECT_EQ(out.status, 200);
  session = json::parse(
      HandleReviewRequest(stores, sessions, Request("GET", "/api/session", "", token)).body);
  EXPECT_TRUE(session["user"].is_null());
}

TEST(ReviewApiTest, AUserDisabledAfterSigningInCanNoLongerResolve) {
  ReviewWithUsers review;
  review.AddUsers();
  StorePool stores(review.dir.File("KH-NCCT.db"));
  ReviewSessions sessions;
  HttpResponse login = HandleReviewRequest(
      stores, sessions,
      Request("POST", "/api/login", R"({"name": "mali.th", "password": "รหัสผ่าน"})"));
  ASSERT_EQ(login.status, 200);
  std::string token = SetCookieOf(login).substr(0, SetCookieOf(login).find(';'));
  review.kh->ActAs("sokha.kh");
  ASSERT_TRUE(review.kh->DisableUser("mali.th").ok());
  HttpResponse refused = HandleReviewRequest(
      stores, sessions, Request("POST", review.ResolvePath(), R"({"take": "TH-MSDHS"})", token));
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_NE(refused.body.find("mali.th was disabled by sokha.kh"), std::string::npos)
      << refused.body;
  EXPECT_EQ(ListConflicts(*review.kh)->size(), 1u);
}

TEST(ReviewApiTest, ANodeWithoutUsersResolvesAsBeforeWithTheNameTyped) {
  ReviewWithUsers review;
  StorePool stores(review.dir.File("KH-NCCT.db"));
  ReviewSessions sessions;
  auto session =
      json::parse(HandleReviewRequest(stores, sessions, Request("GET", "/api/session", "")).body);
  EXPECT_EQ(session["users"], false);
  HttpResponse resolved = HandleReviewRequest(
      stores, sessions,
      Request("POST", review.ResolvePath(), R"({"take": "KH-NCCT", "by": "ចាន់ សុភា"})"));
  ASSERT_EQ(resolved.status, 200) << resolved.body;
  auto history = review.kh->History("mtg-poipet", std::string("venue"));
  EXPECT_EQ(history->back().version.author, "");
  EXPECT_NE(history->back().version.note.find("by ចាន់ សុភា"), std::string::npos);
}

// The office page lists a meeting's files and hands the signed minutes out
// as a download, whose Thai name survives the header.
TEST(ReviewApiTest, AMeetingsAttachmentsAreListedAndDownloadedWhole) {
  testing::TempDir dir;
  auto store = testing::NewStore(dir, "TH-MSDHS");
  auto meeting =
      store->Put({"meeting", std::nullopt, {{"title", "ประชุม"}, {"start_date", "2026-01-05"}}});
  ASSERT_TRUE(meeting.ok());
  const std::string bytes = "%PDF-1.4\nsigned by both heads of delegation\n";
  std::string path = dir.File("upload.pdf");
  { std::ofstream(path, std::ios::binary) << bytes; }
  auto pdf = store->Attach({*meeting, path, "บันทึก.pdf", "", ""});
  ASSERT_TRUE(pdf.ok()) << pdf.status().ToString();
  StorePool stores(dir.File("TH-MSDHS.db"));
  ReviewSessions sessions;
  HttpResponse listed = HandleReviewRequest(
      stores, sessions, Request("GET", "/api/records/" + *meeting + "/attachments", ""));
  ASSERT_EQ(listed.status, 200) << listed.body;
  json list = json::parse(listed.body);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["held"], true);
  HttpResponse file = HandleReviewRequest(
      stores, sessions, Request("GET", list[0]["download"].get<std::string>(), ""));
  ASSERT_EQ(file.status, 200);
  EXPECT_EQ(file.body, bytes);
  EXPECT_EQ(file.content_type, "application/octet-stream");
  bool named = false;
  for (const auto& [name, value] : file.headers) {
    named = named ||
            (name == "Content-Disposition" &&
             value ==
                 "attachment; "
                 "filename*=UTF-8''%E0%B8%9A%E0%B8%B1%E0%B8%99%E0%B8%97%E0%B8%B6%E0%B8%81.pdf");
  }
  EXPECT_TRUE(named);
  HttpResponse missing =
      HandleReviewRequest(stores, sessions, Request("GET", "/api/attachments/nope/file", ""));
  EXPECT_EQ(missing.status, 404);
}

}  // namespace
}  // namespace accord::server
