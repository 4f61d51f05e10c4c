// The office's page's JSON API (server/review_api.h, server/office_api.h),
// called without a socket.
#include "server/review_api.h"

#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>
#include <sstream>

#include "core/conflicts.h"
#include "core/json_codec.h"
#include "core/report_json.h"
#include "core/sha256.h"
#include "core/signed_content.h"
#include "server/office_api.h"
#include "server/store_pool.h"
#include "sync/identity.h"
#include "sync/signed_changes.h"
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

// `accord serve` gives its pool the node's key: a resolution made on the
// review page is signed as it is written, like one made with `accord resolve`.
TEST(ReviewApiTest, AResolutionMadeOnThePageIsSealedAsItIsWritten) {
  ReviewWithUsers review;
  ASSERT_TRUE(
      sync::SealPendingWrites(*review.kh, *testing::CredentialsFor(*review.kh).signer).ok());
  StorePool stores(review.dir.File("KH-NCCT.db"));
  stores.SealWritesAsMade(sync::SealerFor(
      std::make_shared<const sync::NodeSigner>(*testing::CredentialsFor(*review.kh).signer)));
  ReviewSessions sessions;
  HttpResponse resolved = HandleReviewRequest(
      stores, sessions,
      Request("POST", review.ResolvePath(), R"({"take": "TH-MSDHS", "by": "ចាន់ សុភា"})"));
  ASSERT_EQ(resolved.status, 200) << resolved.body;
  auto unsealed = review.kh->UnsealedWrites(10);
  ASSERT_TRUE(unsealed.ok()) << unsealed.status().ToString();
  EXPECT_TRUE(unsealed->writes.empty()) << unsealed->writes.size() << " write(s) left unsealed";
  auto history = review.kh->History("mtg-poipet", std::string("venue"));
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->back().version.value, "ศาลากลางจังหวัด");
  EXPECT_FALSE(history->back().version.salt.empty());
}

// ---- The office's page's read-only views (server/office_api.h), on the
// sample data (data/sample.json): the page shows what the CLI prints (the
// same core functions answer both), personal data only where the node may
// read it, and the page itself loads nothing from elsewhere. (Here rather
// than in a file of their own: a test file costs CI ~15 s per build.)

// "ค้ามนุษย์" as a browser puts it in a query string.
std::string Escaped(const std::string& text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// KH-NCCT holding the sample data, and the page's API over it.
struct SecretariatPage {
  testing::TempDir dir;
  testing::FakeClock clock;
  std::unique_ptr<Store> kh = testing::NewStore(dir, "KH-NCCT", clock);
  StorePool stores{dir.File("KH-NCCT.db"), StoreOptions{clock.Fn(), nullptr}};
  ReviewSessions sessions;

  SecretariatPage() {
    std::ifstream in(SAMPLE_DATA, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    auto writes = ParseLoadDocument(text.str());
    EXPECT_TRUE(writes.ok()) << writes.status().ToString();
    if (writes.ok()) {
      EXPECT_TRUE(kh->PutMany(*writes).ok());
    }
  }
  HttpResponse Get(const std::string& path, const std::string& query = "") {
    HttpRequest request;
    request.method = "GET";
    request.path = path;
    request.query = query;
    return HandleReviewRequest(stores, sessions, request);
  }
  json GetJson(const std::string& path, const std::string& query = "") {
    HttpResponse response = Get(path, query);
    EXPECT_EQ(response.status, 200) << path << "?" << query << ": " << response.body;
    return json::parse(response.body, nullptr, false);
  }
};

TEST(OfficeApiTest, TheFollowUpIsWhatReportActionsPrints) {
  SecretariatPage page;
  json answer = page.GetJson("/api/actions", "open=1&today=2023-07-01");
  ActionQuery query;
  query.open_only = true;
  query.today = "2023-07-01";
  auto rows = ReportActions(*page.kh, query);
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(answer, ActionReportJson(*rows, "2023-07-01"));
  bool overdue_seen = false;
  for (const json& item : answer["action_items"]) {
    EXPECT_TRUE(item["open"].get<bool>()) << item["id"];
    if (item["id"] == "ai-2022-08-26-1.1") {
      overdue_seen = true;
      EXPECT_TRUE(item["overdue"].get<bool>());
      EXPECT_EQ(item["due"]["text"], "By end of October 2022") << "the words as agreed stay";
      EXPECT_EQ(item["due"]["date"], "2022-10-31");
    }
  }
  EXPECT_TRUE(overdue_seen);
  json thai = page.GetJson("/api/actions", "overdue=1&party=TH&today=2023-07-01");
  for (const json& item : thai["action_items"]) EXPECT_TRUE(item["overdue"].get<bool>());
  EXPECT_LT(thai["action_items"].size(), answer["action_items"].size());
  EXPECT_EQ(page.Get("/api/actions", "today=" + Escaped("ปีหน้า")).status, 400);
  // No day given: the node's own today.
  EXPECT_EQ(page.GetJson("/api/actions")["today"], LocalToday(*page.kh));
}

TEST(OfficeApiTest, ThePlanShowsEachPartysLatestAssessmentPerObjective) {
  SecretariatPage page;
  json plans = page.GetJson("/api/plans");
  EXPECT_EQ(plans["plans"].size(), 4u);
  json plan = page.GetJson("/api/plan", "id=plan-khth-2023");
  auto report = ReportPlan(*page.kh, "plan-khth-2023");
  auto signatures = CheckPlanSignatures(*page.kh, "plan-khth-2023");
  ASSERT_TRUE(report.ok() && signatures.ok());
  EXPECT_EQ(plan, PlanReportJson(*report, *signatures));
  EXPECT_EQ(plan["assessing_parties"], json::array({"KH", "TH"}));
  // Objective 1: Cambodia completed the guideline (1.1), Thailand postponed the form (1.2).
  const json& first = plan["objectives"][0];
  std::map<std::string, std::string> kh, th;
  for (const json& activity : first["activities"]) {
    for (const json& a : activity["assessments"]) {
      (a["party"] == "KH" ? kh : th)[activity["number"]] = a["status"];
    }
  }
  EXPECT_EQ(kh["1.1"], "completed");
  EXPECT_EQ(th["1.2"], "postponed");
  EXPECT_EQ(page.Get("/api/plan").status, 400);
  EXPECT_EQ(page.Get("/api/plan", "id=plan-nowhere").status, 404);
}

TEST(OfficeApiTest, SearchFindsAThaiAndAKhmerWordInsideASentence) {
  SecretariatPage page;
  for (const std::string word : {"ค้ามนุษย์", "ជួញដូរ"}) {
    json found = page.GetJson("/api/search", "q=" + Escaped(word) + "&limit=5");
    ASSERT_FALSE(found["hits"].empty()) << word;
    EXPECT_LE(found["hits"].size(), 5u);
    auto direct = page.kh->Search(word, {"", 5});
    ASSERT_TRUE(direct.ok());
    EXPECT_EQ(found, SearchResultsJson(word, *direct));
  }
  EXPECT_EQ(page.Get("/api/search", "q=+").status, 400);
}

TEST(OfficeApiTest, ARecordShowsWhoWroteItItsHistoryAndWhatFollowedItUp) {
  SecretariatPage page;
  ASSERT_TRUE(
      page.kh->Put({"action_item", std::string("ai-2022-08-26-1.4"), {{"status", "in_progress"}}})
          .ok());
  json record = page.GetJson("/api/record", "id=ai-2022-08-26-1.4");
  EXPECT_EQ(record["type"], "action_item");
  EXPECT_EQ(record["written"]["status"]["origin"], "KH-NCCT");
  size_t status_versions = 0;
  for (const json& h : record["history"]) status_versions += h["field"] == "status" ? 1 : 0;
  EXPECT_EQ(status_versions, 2u) << "done, then in progress again";
  bool decision = false;
  for (const json& from : record["references_in"]) {
    decision = decision || (from["id"] == "dec-2023-01-18-7.2" && from["field"] == "follows_up");
  }
  EXPECT_TRUE(decision) << record["references_in"];
  ASSERT_FALSE(record["references_out"].empty());
  EXPECT_EQ(record["references_out"][0]["field"], "meeting");
  EXPECT_EQ(record["references_out"][0]["held"], true);
  EXPECT_EQ(page.Get("/api/record", "id=ai-nowhere").status, 404);
  EXPECT_EQ(page.Get("/api/record").status, 400);
}

TEST(OfficeApiTest, AMinuteEditedAfterTheMeetingWasSignedShowsAsAmended) {
  SecretariatPage page;
  const std::string meeting = "mtg-2023-02-10-poipet";
  auto content = ReadSignedContent(*page.kh, meeting);
  ASSERT_TRUE(content.ok()) << content.status().ToString();
  ASSERT_TRUE(page.kh
                  ->Put({"signature",
                         std::string("sig-poipet-kh"),
                         {{"meeting", meeting},
                          {"signatory", "លោក សុខ វណ្ណា"},
                          {"signed_on", "2023-02-10"},
                          {"digest", content->digest},
                          {"covers", content->CoversText()}}})
                  .ok());
  std::string item;
  for (const SignedPart& part : content->parts) {
    if (part.type == "action_item") item = part.id;
  }
  ASSERT_FALSE(item.empty());
  json before = page.GetJson("/api/record", "id=" + item);
  EXPECT_EQ(before["signatures"]["root"], meeting);
  EXPECT_EQ(before["signatures"]["checks"][0]["intact"], true);
  EXPECT_EQ(before["signatures"]["this_record_amended"], false);

  ASSERT_TRUE(page.kh->Put({"action_item", item, {{"status", "done"}}}).ok());
  json after = page.GetJson("/api/record", "id=" + item);
  EXPECT_EQ(after["signatures"]["checks"][0]["intact"], false);
  EXPECT_EQ(after["signatures"]["this_record_amended"], true);
  json other = page.GetJson("/api/record", "id=" + meeting);
  EXPECT_EQ(other["signatures"]["this_record_amended"], false) << "the meeting itself is as signed";
  EXPECT_TRUE(page.GetJson("/api/record", "id=party-kh")["signatures"].is_null());
}

TEST(OfficeApiTest, ALockedNodeSaysCasesAreLockedInsteadOfShowingThem) {
  testing::TempDir dir;
  testing::FakeClock clock;
  auto key = std::make_shared<const DataKey>(DataKey::Generate());
  std::string case_id;
  {
    auto kh = Store::Create(dir.File("KH-NCCT.db"), "KH-NCCT", StoreOptions{clock.Fn(), key});
    ASSERT_TRUE(kh.ok());
    auto put = (*kh)->Put(
        {"case", std::nullopt, {{"reference", "KH-2025-032"}, {"notes", "ครอบครัวยินดีรับกลับ"}}});
    ASSERT_TRUE(put.ok());
    case_id = *put;
  }
  StorePool unlocked(dir.File("KH-NCCT.db"), StoreOptions{clock.Fn(), key});
  StorePool locked(dir.File("KH-NCCT.db"), StoreOptions{clock.Fn(), nullptr});
  ReviewSessions sessions;
  auto get = [&](StorePool& pool, const std::string& path, const std::string& query) {
    HttpRequest request;
    request.method = "GET";
    request.path = path;
    request.query = query;
    return HandleReviewRequest(pool, sessions, request);
  };
  HttpResponse open = get(unlocked, "/api/record", "id=" + case_id);
  ASSERT_EQ(open.status, 200) << open.body;
  EXPECT_EQ(json::parse(open.body)["personal"], true);
  EXPECT_NE(open.body.find("KH-2025-032"), std::string::npos);

  HttpResponse refused = get(locked, "/api/record", "id=" + case_id);
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_NE(refused.body.find("locked"), std::string::npos) << refused.body;
  EXPECT_EQ(refused.body.find("ครอบครัว"), std::string::npos) << "no value of the case";
  json searched = json::parse(get(locked, "/api/search", "q=" + Escaped("ยินดีรับ")).body);
  EXPECT_TRUE(searched["hits"].empty());
  EXPECT_EQ(searched["personal_locked"], true);
}

// On a node with users, the page shows cases only to a signed-in user: a
// colleague's browser on the same machine reaches loopback too.
TEST(OfficeApiTest, OnANodeWithUsersCasesShowOnlyToASignedInUser) {
  ReviewWithUsers review;
  auto poipet = testing::NewStore(review.dir, "KH-POIPET", review.clock);
  auto put = review.kh->Put(
      {"case", std::nullopt, {{"reference", "KH-2025-041"}, {"notes", "ครอบครัวยินดีรับกลับ"}}});
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  const std::string case_id = *put;
  testing::SyncOk(*poipet, *review.kh);
  testing::PutOk(*review.kh, {"case", case_id, {{"notes", "ครอบครัวยินดีรับกลับ ที่บ้านเกิด"}}});
  testing::PutOk(*poipet, {"case", case_id, {{"notes", "គ្រួសារស្វាគមន៍ការវិលត្រឡប់"}}});
  testing::SyncOk(*poipet, *review.kh);
  std::string case_conflict;
  auto conflicts = ListConflicts(*review.kh);
  ASSERT_TRUE(conflicts.ok()) << conflicts.status().ToString();
  for (const Conflict& c : *conflicts) {
    if (c.record_id == case_id) case_conflict = c.id;
  }
  ASSERT_FALSE(case_conflict.empty()) << "the two offices' notes are a conflict";
  std::string form = review.dir.File("referral.pdf");
  { std::ofstream(form, std::ios::binary) << "%PDF-1.4\nKH-2025-041 referral\n"; }
  auto scan = review.kh->Attach({case_id, form, "แบบส่งต่อ.pdf", "", "ใบส่งต่อของครอบครัว"});
  ASSERT_TRUE(scan.ok()) << scan.status().ToString();
  review.AddUsers();

  StorePool stores(review.dir.File("KH-NCCT.db"));
  ReviewSessions sessions;
  auto get = [&](const std::string& path, const std::string& query, const std::string& cookie) {
    HttpRequest request = Request("GET", path, "", cookie);
    request.query = query;
    return HandleReviewRequest(stores, sessions, request);
  };
  auto shows_case_values = [](const HttpResponse& r) {
    return r.body.find("ครอบครัว") != std::string::npos ||
           r.body.find("គ្រួសារ") != std::string::npos ||
           r.body.find("KH-2025-041") != std::string::npos;
  };

  // Not signed in: the case, its conflict and its words are withheld, and
  // the answers say why.
  HttpResponse record = get("/api/record", "id=" + case_id, "");
  EXPECT_EQ(record.status, 401) << record.body;
  EXPECT_NE(record.body.find("sign in"), std::string::npos) << record.body;
  EXPECT_FALSE(shows_case_values(record));
  HttpResponse found = get("/api/search", "q=" + Escaped("ยินดีรับ"), "");
  ASSERT_EQ(found.status, 200) << found.body;
  EXPECT_TRUE(json::parse(found.body)["hits"].empty());
  EXPECT_EQ(json::parse(found.body)["personal_withheld"], true);
  HttpResponse list = get("/api/conflicts", "", "");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(json::parse(list.body)["personal_withheld"], 1);
  EXPECT_EQ(json::parse(list.body)["conflicts"].size(), 1u) << "the meeting's venue still shows";
  EXPECT_FALSE(shows_case_values(list));
  HttpResponse conflict = get("/api/conflicts/" + case_conflict, "", "");
  EXPECT_EQ(conflict.status, 401) << conflict.body;
  EXPECT_FALSE(shows_case_values(conflict));
  EXPECT_EQ(get("/api/records/" + case_id + "/attachments", "", "").status, 401);
  HttpResponse file = get("/api/attachments/" + scan->id + "/file", "", "");
  EXPECT_EQ(file.status, 401);
  EXPECT_FALSE(shows_case_values(file));
  // Shared data reads as before.
  EXPECT_EQ(get("/api/record", "id=mtg-poipet", "").status, 200);

  // Signed in: all of it.
  HttpResponse login = HandleReviewRequest(
      stores, sessions,
      Request("POST", "/api/login", R"({"name": "mali.th", "password": "รหัสผ่าน"})"));
  ASSERT_EQ(login.status, 200) << login.body;
  std::string token = SetCookieOf(login).substr(0, SetCookieOf(login).find(';'));
  HttpResponse signed_in = get("/api/record", "id=" + case_id, token);
  EXPECT_EQ(signed_in.status, 200) << signed_in.body;
  EXPECT_TRUE(shows_case_values(signed_in));
  json hits = json::parse(get("/api/search", "q=" + Escaped("ยินดีรับ"), token).body);
  ASSERT_FALSE(hits["hits"].empty());
  EXPECT_EQ(hits["hits"][0]["record_id"], case_id);
  EXPECT_EQ(json::parse(get("/api/conflicts", "", token).body)["conflicts"].size(), 2u);
  EXPECT_EQ(get("/api/conflicts/" + case_conflict, "", token).status, 200);
  EXPECT_EQ(json::parse(signed_in.body)["attachments"][0]["name"], "แบบส่งต่อ.pdf");
  HttpResponse downloaded = get("/api/attachments/" + scan->id + "/file", "", token);
  EXPECT_EQ(downloaded.status, 200);
  EXPECT_NE(downloaded.body.find("KH-2025-041 referral"), std::string::npos);

  // A user disabled since signing in reads no more cases.
  review.kh->ActAs("sokha.kh");
  ASSERT_TRUE(review.kh->DisableUser("mali.th").ok());
  EXPECT_EQ(get("/api/record", "id=" + case_id, token).status, 401);
}

// The page names its own script and style by digest and nothing else: no
// inline code that is not the page's runs, nothing loads from elsewhere.
TEST(OfficeApiTest, ThePageAllowsOnlyItsOwnScriptAndStyle) {
  SecretariatPage page;
  HttpResponse html = page.Get("/");
  ASSERT_EQ(html.status, 200);
  std::string csp;
  for (const auto& [name, value] : html.headers) {
    if (name == "Content-Security-Policy") csp = value;
  }
  auto block = [&](const std::string& tag) {
    size_t start = html.body.find("<" + tag + ">");
    size_t end = html.body.find("</" + tag + ">");
    EXPECT_NE(start, std::string::npos) << tag;
    start += tag.size() + 2;
    return html.body.substr(start, end - start);
  };
  for (const std::string tag : {"script", "style"}) {
    auto digest = Sha256Of(block(tag));
    ASSERT_TRUE(digest.ok());
    EXPECT_NE(csp.find("'sha256-" + sync::Base64Encode(*digest) + "'"), std::string::npos)
        << tag << " is named by its digest: " << csp;
  }
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("http"), std::string::npos) << csp;
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("connect-src 'self'"), std::string::npos) << csp;
  for (const char* loads : {" src=", "<link", "@import", "url(", "<iframe"}) {
    EXPECT_EQ(html.body.find(loads), std::string::npos) << loads;
  }
  EXPECT_EQ(html.body.find("innerHTML"), std::string::npos) << "values become text, never HTML";
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
  // The stored file changed on disk since: not given out as the minutes.
  const std::string stored =
      store->attachments_dir() + "/" + pdf->sha256.substr(0, 2) + "/" + pdf->sha256;
  { std::ofstream(stored, std::ios::binary | std::ios::trunc) << "%PDF-1.4\nไม่ใช่บันทึกที่ลงนาม\n"; }
  HttpResponse altered = HandleReviewRequest(
      stores, sessions, Request("GET", list[0]["download"].get<std::string>(), ""));
  EXPECT_NE(altered.status, 200);
  EXPECT_NE(altered.body.find("no longer matches its SHA-256"), std::string::npos) << altered.body;
  EXPECT_EQ(altered.body.find("ไม่ใช่บันทึกที่ลงนาม"), std::string::npos);
  // The record's view lists them too.
  HttpRequest view = Request("GET", "/api/record", "");
  view.query = "id=" + *meeting;
  json record = json::parse(HandleReviewRequest(stores, sessions, view).body);
  ASSERT_EQ(record["attachments"].size(), 1u);
  EXPECT_EQ(record["attachments"][0]["name"], "บันทึก.pdf");
  EXPECT_EQ(record["attachments"][0]["href"], list[0]["download"]);
}

}  // namespace
}  // namespace accord::server
