// search_bench: what `accord search` costs (docs/search.md).
//
// A node holds --minutes minutes of meeting notes in Khmer, Thai, Vietnamese
// and Chinese (one in a hundred mentions ปอยเปต, "Poipet") and --cases cases
// (personal: never indexed, read at search time). Prints the time of
//   - the first search, which builds the trigram index from the whole log;
//   - searches once the index is current: a rare Thai word, a common Khmer
//     word, a two-character Chinese word (below trigram length: a scan);
//   - a word found only in case notes, on a clear node and on an encrypted
//     one (every case value opened with the data key);
//   - the catch-up after 1,000 minutes are edited.
#include <string>
#include <vector>

#include "bench/bench_support.h"
#include "core/store.h"

namespace accord::bench {
namespace {

const std::vector<std::string>& Phrases() {
  static const std::vector<std::string> phrases = {
      "ភាគីទាំងពីរបានឯកភាពលើនីតិវិធីបញ្ជូនជនរងគ្រោះត្រឡប់មកវិញ",
      "គណៈប្រតិភូកម្ពុជាបានស្នើឱ្យពន្លឿនការផ្ទៀងផ្ទាត់សញ្ជាតិ",
      "ការការពារ និងការទប់ស្កាត់ការជួញដូរមនុស្ស",
      "ทั้งสองฝ่ายเห็นชอบขั้นตอนการส่งกลับผู้เสียหาย",
      "ฝ่ายไทยเสนอให้แลกเปลี่ยนข้อมูลผ่านผู้ประสานงานหลัก",
      "Hai bên thống nhất quy trình tiếp nhận nạn nhân",
      "Phía Việt Nam đề nghị tăng cường trao đổi thông tin",
      "双方同意加强边境地区的信息交流与合作",
      "审议行动计划草案并召开会议最终确定",
      "The Parties agreed to review the action items at the next meeting",
  };
  return phrases;
}

std::string MinuteText(int i) {
  const auto& p = Phrases();
  std::string text =
      p[i % p.size()] + " " + p[(i * 7 + 3) % p.size()] + " (" + std::to_string(i) + ")";
  if (i % 100 == 0) text += " จุดผ่านแดนถาวรบ้านคลองลึก–ปอยเปต";
  return text;
}

void Fill(Store& store, int minutes, int cases) {
  std::string meeting = Check(
      store.Put(
          {"meeting", std::nullopt, {{"title", "កិច្ចប្រជុំទ្វេភាគី"}, {"start_date", "2025-03-12"}}}),
      "meeting");
  for (int start = 0; start < minutes; start += 1000) {
    std::vector<RecordWrite> batch;
    for (int i = start; i < std::min(minutes, start + 1000); ++i) {
      batch.push_back({"minute",
                       std::nullopt,
                       {{"meeting", meeting},
                        {"number", std::to_string(i / 100) + "." + std::to_string(i % 100)},
                        {"text", MinuteText(i)}}});
    }
    Check(store.PutMany(batch), "minutes");
  }
  FillCases(store, 0, cases, 1000);
}

// Times one search of `text` and prints it.
void Report(Store& store, const std::string& what, const std::string& text) {
  Stopwatch watch;
  SearchResults found = Check(store.Search(text), "search");
  double seconds = watch.Seconds();
  std::cout << "  " << what << ": " << Fixed(seconds * 1000, 1) << " ms, " << found.matched
            << " fields matched, " << found.newly_indexed << " values indexed first\n";
}

void Run(const std::string& label, int minutes, int cases, std::shared_ptr<const DataKey> key) {
  TempDir dir;
  auto store = Check(Store::Create(dir.File("node.db"), "KH-NCCT", StoreOptions{{}, key}), "store");
  Fill(*store, minutes, cases);
  std::cout << label << " (" << minutes << " minutes, " << cases << " cases)\n";
  Report(*store, "first search, building the index", "ปอยเปต");
  Report(*store, "rare Thai word ปอยเปต", "ปอยเปต");
  Report(*store, "common Khmer word ជួញដូរ", "ជួញដូរ");
  Report(*store, "two-character Chinese word 会议 (scan)", "会议");
  Report(*store, "word only in case notes (grandmother)", "grandmother");
  std::vector<RecordWrite> edits;
  auto listed = Check(store->List("minute"), "list");
  for (size_t i = 0; i < 1000 && i < listed.size(); ++i) {
    edits.push_back({"minute", listed[i].id, {{"text", MinuteText(static_cast<int>(i) + 1)}}});
  }
  Check(store->PutMany(edits), "edits");
  Report(*store, "after 1,000 minutes edited (catch-up + search)", "ปอยเปต");
}

}  // namespace
}  // namespace accord::bench

int main(int argc, char** argv) {
  using namespace accord::bench;
  Flags flags(argc, argv, {{"minutes", "20000"}, {"cases", "5000"}});
  int minutes = static_cast<int>(flags.Int("minutes"));
  int cases = static_cast<int>(flags.Int("cases"));
  Run("clear node", minutes, cases, nullptr);
  Run("encrypted node", minutes, cases,
      std::make_shared<const accord::DataKey>(accord::DataKey::Generate()));
  return 0;
}
