// `accord search` (core/search.cc, docs/search.md): a secretariat looks for
// a word in Thai, Khmer, Chinese or Vietnamese, inside a sentence, across
// every record and field; personal data only where this node may read it.
#include <gtest/gtest.h>

#include "core/store.h"
#include "tests/store_peek.h"
#include "tests/test_support.h"

namespace accord {
namespace {

using testing::FakeClock;
using testing::NewStore;
using testing::PutOk;
using testing::SharedCase;
using testing::TempDir;

// A small plan and meeting as the seeds have them, in four languages.
struct SecretariatNode {
  TempDir dir;
  FakeClock clock;
  std::unique_ptr<Store> store;
  std::string plan, objective, activity, meeting, minute;

  explicit SecretariatNode(std::shared_ptr<const DataKey> key = nullptr) {
    auto made = Store::Create(dir.File("KH-NCCT.db"), "KH-NCCT", StoreOptions{clock.Fn(), key});
    EXPECT_TRUE(made.ok()) << made.status().ToString();
    store = std::move(made).value();
    plan = Put({"plan", std::nullopt, {{"title", "แผนปฏิบัติการร่วม 2566-2568"}}});
    objective =
        Put({"objective",
             std::nullopt,
             {{"plan", plan}, {"number", "1"}, {"text", "ការការពារ និងការទប់ស្កាត់ការជួញដូរមនុស្ស"}}});
    activity = Put({"activity",
                    std::nullopt,
                    {{"objective", objective},
                     {"number", "1.2"},
                     {"description", "ประชุมทบทวนผลการดำเนินงานประจำปีว่าด้วยการค้ามนุษย์"}}});
    meeting =
        Put({"meeting",
             std::nullopt,
             {{"title", "中柬双边会议 昆明"}, {"start_date", "2025-03-12"}, {"city", "昆明"}}});
    minute = Put({"minute",
                  std::nullopt,
                  {{"meeting", meeting},
                   {"number", "5.1"},
                   {"text",
                    "Hội thảo đánh giá kết quả thực hiện kế hoạch phòng, chống mua bán "
                    "người; hai bên thống nhất quy trình tiếp nhận nạn nhân."}}});
  }

  std::string Put(RecordWrite write) {
    auto id = store->Put(write);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : "";
  }

  SearchResults Find(const std::string& text, SearchOptions options = {}) {
    auto found = store->Search(text, options);
    EXPECT_TRUE(found.ok()) << found.status().ToString();
    return found.ok() ? *found : SearchResults();
  }
};

std::vector<std::string> Fields(const SearchResults& results) {
  std::vector<std::string> out;
  for (const SearchHit& hit : results.hits) out.push_back(hit.record_id + "." + hit.field);
  return out;
}

int64_t IndexRowsOf(Store& store, const std::string& type) {
  auto stmt = testing::PeekDb(store).Prepare(
      "SELECT count(*) FROM search_text s JOIN records r ON r.id = s.record_id WHERE r.type = ?");
  EXPECT_TRUE(stmt.ok());
  (*stmt)->Bind(1, type);
  EXPECT_TRUE(*(*stmt)->Step());
  int64_t n = (*stmt)->Int(0);
  (*stmt)->Reset();
  return n;
}

TEST(SearchTest, FindsAThaiWordInsideASentenceAndNamesTheRecordAndField) {
  SecretariatNode node;
  SearchResults found = node.Find("ทบทวน");  // "review", in the middle of the description
  ASSERT_EQ(found.hits.size(), 1u);
  const SearchHit& hit = found.hits[0];
  EXPECT_EQ(hit.record_id, node.activity);
  EXPECT_EQ(hit.type, "activity");
  EXPECT_EQ(hit.label, "activity 1.2");
  EXPECT_EQ(hit.field, "description");
  // 30 characters each side: the value is cut before its last one, ย์ (a
  // consonant with its mark), never between them.
  EXPECT_EQ(SearchSnippet(hit.value, hit.match), "ประชุม[ทบทวน]ผลการดำเนินงานประจำปีว่าด้วยการค้ามนุษ…");
  // Characters, not code points: ชุ is one, ะ another.
  EXPECT_EQ(SearchSnippet(hit.value, hit.match, 3), "…ะชุม[ทบทวน]ผลก…");
  EXPECT_EQ(SearchSnippet(hit.value, *MatchAllTerms(hit.value, {"ดำเนิน"}), 1), "…ร[ดำเนิน]ง…");
  EXPECT_FALSE(hit.personal);
}

TEST(SearchTest, FindsAKhmerWordInsideASentence) {
  SecretariatNode node;
  SearchResults found = node.Find("ជួញដូរ");  // "trafficking"
  ASSERT_EQ(Fields(found), std::vector<std::string>{node.objective + ".text"});
  EXPECT_EQ(found.hits[0].label, "objective 1");
}

TEST(SearchTest, FindsATwoCharacterChineseWordThatTrigramsCannotMatch) {
  SecretariatNode node;
  // 会议 ("meeting") is two characters: below the trigram length, it is
  // matched by a scan of the index rather than by FTS5.
  EXPECT_EQ(Fields(node.Find("会议")), std::vector<std::string>{node.meeting + ".title"});
  // 昆明 is in the title and the city: both fields, each named.
  EXPECT_EQ(node.Find("昆明").matched, 2u);
  EXPECT_EQ(Fields(node.Find("双边会议")), std::vector<std::string>{node.meeting + ".title"});
}

TEST(SearchTest, VietnameseMatchesInAnyCaseButKeepsItsMarks) {
  SecretariatNode node;
  EXPECT_EQ(Fields(node.Find("HỘI THẢO")), std::vector<std::string>{node.minute + ".text"});
  // Every word must be there, wherever it is in the field.
  EXPECT_EQ(Fields(node.Find("nạn nhân quy trình")),
            std::vector<std::string>{node.minute + ".text"});
  EXPECT_TRUE(node.Find("nạn nhân 会议").hits.empty());
  // "Hoi thao" is another word: marks are letters in Vietnamese.
  EXPECT_TRUE(node.Find("Hoi thao").hits.empty());
}

TEST(SearchTest, ATitleThatIsTheWordRanksAboveAMinuteThatMentionsItOnce) {
  SecretariatNode node;
  std::string short_title =
      node.Put({"meeting", std::nullopt, {{"title", "Hội thảo"}, {"start_date", "2025-05-02"}}});
  SearchResults found = node.Find("hội thảo");
  ASSERT_EQ(found.hits.size(), 2u);
  EXPECT_EQ(found.hits[0].record_id, short_title);
  EXPECT_EQ(found.hits[1].record_id, node.minute);
  EXPECT_GT(found.hits[0].match.score, found.hits[1].match.score);
  // --limit keeps the best and says how many matched.
  SearchOptions one;
  one.limit = 1;
  found = node.Find("hội thảo", one);
  EXPECT_EQ(Fields(found), std::vector<std::string>{short_title + ".title"});
  EXPECT_EQ(found.matched, 2u);
}

TEST(SearchTest, FindsTheCurrentValueNotAReplacedOneNorADeletedRecord) {
  SecretariatNode node;
  EXPECT_EQ(node.Find("ทบทวน").hits.size(), 1u);  // indexed now
  PutOk(*node.store, {"activity", node.activity, {{"description", "อบรมเจ้าหน้าที่ประจำจุดผ่านแดน"}}});
  EXPECT_TRUE(node.Find("ทบทวน").hits.empty());
  EXPECT_EQ(Fields(node.Find("จุดผ่านแดน")),
            std::vector<std::string>{node.activity + ".description"});
  // The old value stays in history (accord history shows it), not in search.
  auto history = node.store->History(node.activity, std::string("description"));
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->size(), 2u);

  ASSERT_TRUE(node.store->Delete(node.meeting).ok());
  EXPECT_TRUE(node.Find("会议").hits.empty());
}

TEST(SearchTest, ValuesASyncBroughtAreFoundAtTheNextSearch) {
  SecretariatNode kh;
  FakeClock clock;
  TempDir dir;
  auto th = NewStore(dir, "TH-MSDHS", clock);
  auto before = th->Search("ជួញដូរ");
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  EXPECT_TRUE(before->hits.empty());
  testing::SyncOk(*th, *kh.store);
  auto after = th->Search("ជួញដូរ");
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->hits.size(), 1u);
  EXPECT_GT(after->newly_indexed, 0u);
}

// Cases are read at search time, never copied into the index.
TEST(SearchTest, CaseNotesAreSearchedInPlaceAndNeverIndexed) {
  SecretariatNode node;
  std::string case_id =
      node.Put({"case", std::nullopt,
                SharedCase("TH-KH", {{"reference", "KH-2025-031"},
                                     {"notes", "កំពុងស្វែងរកគ្រួសារនៅខេត្តបន្ទាយមានជ័យ"}})});
  SearchResults found = node.Find("ស្វែងរកគ្រួសារ");  // "family tracing"
  ASSERT_EQ(Fields(found), std::vector<std::string>{case_id + ".notes"});
  EXPECT_TRUE(found.hits[0].personal);
  EXPECT_EQ(found.hits[0].label, "case KH-2025-031");
  EXPECT_EQ(IndexRowsOf(*node.store, "case"), 0);
  EXPECT_GT(IndexRowsOf(*node.store, "activity"), 0);
  // --type narrows to one type.
  SearchOptions cases;
  cases.type = "case";
  EXPECT_EQ(node.Find("KH-2025", cases).hits.size(), 1u);
  cases.type = "meeting";
  EXPECT_TRUE(node.Find("KH-2025", cases).hits.empty());
}

TEST(SearchTest, AnEncryptedNodeSearchesCasesOnlyWithItsKey) {
  auto key = std::make_shared<const DataKey>(DataKey::Generate());
  SecretariatNode node(key);
  std::string case_id = node.Put(
      {"case", std::nullopt, {{"reference", "KH-2025-032"}, {"notes", "ครอบครัวยินดีรับกลับ"}}});
  EXPECT_EQ(Fields(node.Find("ยินดีรับ")), std::vector<std::string>{case_id + ".notes"});

  std::string path = node.dir.File("KH-NCCT.db");
  node.store.reset();
  auto locked = Store::Open(path, StoreOptions{node.clock.Fn(), nullptr});
  ASSERT_TRUE(locked.ok()) << locked.status().ToString();
  auto found = (*locked)->Search("ยินดีรับ");
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_TRUE(found->hits.empty());
  EXPECT_TRUE(found->personal_locked);
  // Plans and meetings are still found while cases are locked.
  found = (*locked)->Search("ทบทวน");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->hits.size(), 1u);
}

TEST(SearchTest, ATypeMarkedPersonalLeavesTheIndexAndIsSearchedInPlace) {
  auto key = std::make_shared<const DataKey>(DataKey::Generate());
  SecretariatNode node(key);
  EXPECT_EQ(node.Find("quy trình").hits.size(), 1u);
  EXPECT_GT(IndexRowsOf(*node.store, "minute"), 0);
  auto report = node.store->EncryptPersonalData(key, {"minute"});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  SearchResults found = node.Find("quy trình");
  ASSERT_EQ(found.hits.size(), 1u);
  EXPECT_TRUE(found.hits[0].personal);
  EXPECT_EQ(IndexRowsOf(*node.store, "minute"), 0);
}

TEST(SearchTest, EmptyTextAndUnknownTypesAreRefused) {
  SecretariatNode node;
  EXPECT_EQ(node.store->Search("   ").status().code(), Code::kInvalidArgument);
  SearchOptions options;
  options.type = "meetings";
  auto found = node.store->Search("会议", options);
  EXPECT_EQ(found.status().code(), Code::kInvalidArgument);
  EXPECT_NE(found.status().message().find("meetings"), std::string::npos);
}

}  // namespace
}  // namespace accord
