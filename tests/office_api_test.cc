// The office's page's read-only API (server/office_api.h), called without a
// socket, on the sample data (data/sample.json): the page shows what the CLI
// prints (the same core functions answer both), personal data only where the
// node may read it, and the page itself loads nothing from elsewhere.
#include "server/office_api.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/json_codec.h"
#include "core/report_json.h"
#include "core/sha256.h"
#include "core/signed_content.h"
#include "server/review_api.h"
#include "server/store_pool.h"
#include "sync/identity.h"
#include "tests/test_support.h"

namespace accord::server {
namespace {

using nlohmann::json;

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

}  // namespace
}  // namespace accord::server
