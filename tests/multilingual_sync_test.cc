// Offices that write in their own languages: Khmer at Poi Pet and Phnom Penh,
// Thai in Bangkok, Vietnamese typed on keyboards that compose or decompose
// diacritics. Concurrent edits in two scripts are one conflict everywhere, with
// the same provisional winner; the same word in two Unicode forms is no
// conflict at all; every node ends with the same bytes.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "core/conflicts.h"
#include "tests/test_support.h"

namespace accord {
namespace {

using testing::DumpOf;
using testing::PutOk;
using testing::SyncOk;

const std::string kKhmerTitle =
    "កិច្ចប្រជុំក្រុមការងារបច្ចេកទេសស្តីពីការទទួល "
    "និងការគ្រប់គ្រងករណីជនរងគ្រោះនៃការជួញដូរមនុស្ស";
const std::string kKhmerVenue = "មជ្ឈមណ្ឌលស្នាក់នៅបណ្តោះអាសន្នប៉ោយប៉ែត";
const std::string kThaiVenue = "ศาลากลางจังหวัดสระแก้ว";

// Two capitals and Poi Pet, all holding the working group's meeting as the
// Cambodian secretariat typed it.
struct MeetingOffices : testing::ThreeOffices {
  MeetingOffices() {
    PutOk(*kh, {"meeting",
                std::string("mtg-poipet"),
                {{"title", kKhmerTitle},
                 {"start_date", "2023-02-10"},
                 {"city", "ក្រុងប៉ោយប៉ែត ខេត្តបន្ទាយមានជ័យ"}}});
    SyncOk(*th, *kh);
    SyncOk(*border, *kh);
  }
  std::vector<Store*> all() { return {kh.get(), th.get(), border.get()}; }
  void Exchange() {
    SyncOk(*border, *kh);
    SyncOk(*th, *kh);
    SyncOk(*border, *kh);
  }
};

std::string ValueOf(Store& store, const std::string& record, const std::string& field) {
  auto view = store.Get(record);
  EXPECT_TRUE(view.ok()) << view.status().ToString();
  if (!view.ok() || !view->fields.count(field) || !view->fields.at(field).value) return "";
  return *view->fields.at(field).value;
}

TEST(MultilingualSyncTest, KhmerAndThaiVenuesTypedApartAreOneConflictWithOneWinnerEverywhere) {
  MeetingOffices o;
  // Phnom Penh keeps the Poi Pet transit centre; Bangkok, offline, moves the
  // meeting to the Sa Kaeo provincial hall.
  PutOk(*o.kh, {"meeting", std::string("mtg-poipet"), {{"venue", kKhmerVenue}}});
  PutOk(*o.th, {"meeting", std::string("mtg-poipet"), {{"venue", kThaiVenue}}});
  o.Exchange();

  auto listed = ListConflicts(*o.kh);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  const Conflict& conflict = listed->front();
  EXPECT_EQ(conflict.field, "venue");
  EXPECT_EQ(conflict.context.at("title"), kKhmerTitle);
  std::set<std::string> values;
  std::string provisional;
  for (const ConflictValue& v : conflict.values) {
    values.insert(*v.version.value);
    if (v.provisional) provisional = *v.version.value;
  }
  EXPECT_EQ(values, (std::set<std::string>{kKhmerVenue, kThaiVenue}));
  ASSERT_FALSE(provisional.empty());
  for (Store* s : o.all()) {
    auto here = ListConflicts(*s);
    ASSERT_TRUE(here.ok());
    ASSERT_EQ(here->size(), 1u) << s->node_id();
    EXPECT_EQ(here->front().id, conflict.id) << s->node_id();
    EXPECT_EQ(ValueOf(*s, "mtg-poipet", "venue"), provisional) << s->node_id();
  }
  EXPECT_EQ(DumpOf(*o.kh), DumpOf(*o.th));
  EXPECT_EQ(DumpOf(*o.kh), DumpOf(*o.border));

  // A Khmer officer at Poi Pet resolves for the Khmer venue; closed everywhere.
  auto resolved = ResolveConflict(*o.border, conflict.id,
                                  {std::string("KH-NCCT"), std::nullopt, false, "ចាន់ សុភា"});
  ASSERT_TRUE(resolved.ok()) << resolved.status().ToString();
  o.Exchange();
  for (Store* s : o.all()) {
    EXPECT_TRUE(ListConflicts(*s)->empty()) << s->node_id();
    EXPECT_EQ(ValueOf(*s, "mtg-poipet", "venue"), kKhmerVenue) << s->node_id();
  }
  auto history = o.th->History("mtg-poipet", std::string("venue"));
  ASSERT_TRUE(history.ok());
  EXPECT_NE(history->back().version.note.find("ចាន់ សុភា"), std::string::npos)
      << history->back().version.note;
  EXPECT_EQ(DumpOf(*o.kh), DumpOf(*o.th));
  EXPECT_EQ(DumpOf(*o.kh), DumpOf(*o.border));
}

// Issue 10: the same Vietnamese title typed precomposed (NFC) in Phnom Penh and
// with combining marks (NFD) in Bangkok, at the same time. The text rule
// normalises at entry, so both offices wrote the same value: no conflict.
TEST(MultilingualSyncTest, VietnameseTypedInNfcAndNfdConcurrentlyIsNoConflict) {
  MeetingOffices o;
  const std::string nfc = "Cuộc họp song phương về hồi hương nạn nhân";
  const std::string nfd =
      "Cuo\u0323\u0302c ho\u0323p song phu\u031bo\u031bng ve\u0302\u0300 ho\u0302\u0300i "
      "hu\u031bo\u031bng na\u0323n nha\u0302n";
  ASSERT_NE(nfc, nfd);
  PutOk(*o.kh, {"meeting", std::string("mtg-poipet"), {{"title", nfc}}});
  PutOk(*o.th, {"meeting", std::string("mtg-poipet"), {{"title", nfd}}});
  o.Exchange();
  for (Store* s : o.all()) {
    EXPECT_TRUE(ListConflicts(*s)->empty()) << s->node_id();
    EXPECT_EQ(s->GetStatus()->open_conflicts, 0) << s->node_id();
    EXPECT_EQ(ValueOf(*s, "mtg-poipet", "title"), nfc) << s->node_id();
    auto found = s->List("meeting", FieldWrite{"title", nfd});
    ASSERT_TRUE(found.ok());
    EXPECT_EQ(found->size(), 1u) << s->node_id() << ": --where typed in NFD";
  }
  EXPECT_EQ(DumpOf(*o.kh), DumpOf(*o.th));
  EXPECT_EQ(DumpOf(*o.kh), DumpOf(*o.border));
}

// Two different Chinese edits of one long text field: a conflict whose
// three-way suggestion keeps both offices' lines.
TEST(MultilingualSyncTest, ChineseMinutesEditedOnBothSidesGetAMergedSuggestion) {
  MeetingOffices o;
  const std::string ancestor = "起草行动计划草案\n审议行动计划草案\n召开会议，最终确定行动计划草案";
  PutOk(*o.kh, {"minute",
                std::string("min-1"),
                {{"meeting", "mtg-poipet"}, {"number", "1"}, {"text", ancestor}}});
  o.Exchange();
  PutOk(*o.kh,
        {"minute",
         std::string("min-1"),
         {{"text", "起草行动计划草案（柬方）\n审议行动计划草案\n召开会议，最终确定行动计划草案"}}});
  PutOk(*o.th,
        {"minute",
         std::string("min-1"),
         {{"text", "起草行动计划草案\n审议行动计划草案\n在中国召开会议，最终确定行动计划草案"}}});
  o.Exchange();
  for (Store* s : o.all()) {
    auto listed = ListConflicts(*s);
    ASSERT_TRUE(listed.ok());
    ASSERT_EQ(listed->size(), 1u) << s->node_id();
    const Conflict& c = listed->front();
    ASSERT_TRUE(c.ancestor.has_value());
    EXPECT_EQ(*c.ancestor->value, ancestor);
    ASSERT_TRUE(c.suggested_merge.has_value()) << s->node_id();
    EXPECT_EQ(*c.suggested_merge,
              "起草行动计划草案（柬方）\n审议行动计划草案\n在中国召开会议，最终确定行动计划草案");
  }
  EXPECT_EQ(DumpOf(*o.kh), DumpOf(*o.th));
}

}  // namespace
}  // namespace accord
