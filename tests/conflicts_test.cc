// Reviewing conflicts across offices: listed alike everywhere, resolved once,
// closed everywhere.
#include "core/conflicts.h"

#include <gtest/gtest.h>

#include <random>

#include "sync/sync_session.h"
#include "test_support.h"
#include "tests/store_peek.h"

namespace accord {
namespace {

using testing::DumpOf;
using testing::FakeClock;
using testing::NewStore;
using testing::PutOk;
using testing::SyncOk;
using testing::TempDir;

const char* kMinuteText =
    "Both sides reviewed the plan.\nIOM will circulate the draft.\nThe next meeting is in June.";

// The three offices, all holding the Siem Reap meeting and its minute 6.2.
struct Deployment : testing::ThreeOffices {
  Deployment() {
    EXPECT_TRUE(
        kh->PutMany(
              {{"meeting",
                std::string("mtg-1"),
                {{"title", "Bilateral"}, {"start_date", "2023-01-18"}, {"city", "Siem Reap"}}},
               {"minute",
                std::string("min-6.2"),
                {{"meeting", "mtg-1"}, {"number", "6.2"}, {"text", kMinuteText}}}})
            .ok());
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

std::vector<std::string> Ids(Store& store) {
  auto conflicts = ListConflicts(store);
  EXPECT_TRUE(conflicts.ok());
  std::vector<std::string> ids;
  for (const auto& c : *conflicts) ids.push_back(c.id + " " + c.record_label + " " + c.field);
  return ids;
}

TEST(ConflictReviewTest, TwoCapitalsEditTheSameFieldAndEveryNodeListsTheSameConflict) {
  Deployment d;
  PutOk(*d.kh, {"meeting", std::string("mtg-1"), {{"venue", "Sokhalay Angkor"}}});
  PutOk(*d.th, {"meeting", std::string("mtg-1"), {{"venue", "Sokhalay Angkor Hotel"}}});
  d.Exchange();
  auto ids = Ids(*d.kh);
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_NE(ids[0].find("meeting 2023-01-18 Siem Reap venue"), std::string::npos) << ids[0];
  for (Store* s : d.all()) EXPECT_EQ(Ids(*s), ids) << s->node_id();

  auto c = ListConflicts(*d.border)->front();
  ASSERT_EQ(c.values.size(), 2u);
  EXPECT_EQ(c.values[0].version.origin == "KH-NCCT" ? c.values[1].version.origin
                                                    : c.values[0].version.origin,
            "TH-MSDHS");
  EXPECT_EQ(c.context.at("title"), "Bilateral");

  // Resolved at the border office; closed everywhere with the same value.
  auto written =
      ResolveConflict(*d.border, c.id, {std::string("TH-MSDHS"), std::nullopt, false, "officer"});
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  d.Exchange();
  for (Store* s : d.all()) {
    EXPECT_TRUE(Ids(*s).empty()) << s->node_id();
    EXPECT_EQ(*s->Get("mtg-1")->fields.at("venue").value, "Sokhalay Angkor Hotel");
  }
  EXPECT_EQ(DumpOf(*d.kh), DumpOf(*d.th));
  EXPECT_EQ(DumpOf(*d.kh), DumpOf(*d.border));
  // The history says who resolved it and what it replaced.
  auto history = d.kh->History("mtg-1", std::string("venue"));
  const auto& last = history->back();
  EXPECT_EQ(last.version.origin, "KH-POIPET");
  EXPECT_NE(last.version.note.find("by officer"), std::string::npos) << last.version.note;
  EXPECT_NE(last.version.note.find("KH-NCCT='Sokhalay Angkor'"), std::string::npos)
      << last.version.note;
}

// `resolve --by` typed on a console set to Windows-874: the name goes into
// the resolution's signed note, which no other office could parse (a proto3
// string). Refused here, before anything is written.
TEST(ConflictReviewTest, AReviewerNameThatIsNotTextIsRefusedAndNothingIsWritten) {
  Deployment d;
  PutOk(*d.kh, {"meeting", std::string("mtg-1"), {{"venue", "Sokhalay Angkor"}}});
  PutOk(*d.th, {"meeting", std::string("mtg-1"), {{"venue", "Sokhalay Angkor Hotel"}}});
  d.Exchange();
  auto c = ListConflicts(*d.border)->front();
  const std::string before = DumpOf(*d.border);
  for (const std::string& name : {std::string("\xca\xc1\xaa\xd2\xc2"),  // "สมชาย", Windows-874
                                  std::string("สมชาย\n2026-11-27 resolved by the director")}) {
    auto refused =
        ResolveConflict(*d.border, c.id, {std::string("TH-MSDHS"), std::nullopt, false, name});
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), Code::kInvalidArgument);
    EXPECT_NE(refused.status().message().find("reviewer's name"), std::string::npos)
        << refused.status().message();
  }
  EXPECT_EQ(DumpOf(*d.border), before);
  ASSERT_TRUE(
      ResolveConflict(*d.border, c.id, {std::string("TH-MSDHS"), std::nullopt, false, "สมชาย"})
          .ok());
  d.Exchange();
  for (Store* s : d.all()) EXPECT_TRUE(Ids(*s).empty()) << s->node_id();
  EXPECT_EQ(DumpOf(*d.kh), DumpOf(*d.border));
}

TEST(ConflictReviewTest, ThreeOfficesEditConcurrentlyAndOneResolutionClosesAllThreeValues) {
  Deployment d;
  PutOk(*d.kh, {"meeting", std::string("mtg-1"), {{"status", "held"}}});
  PutOk(*d.th, {"meeting", std::string("mtg-1"), {{"status", "minutes_adopted"}}});
  PutOk(*d.border, {"meeting", std::string("mtg-1"), {{"status", "signed"}}});
  d.Exchange();
  auto ids = Ids(*d.th);
  ASSERT_EQ(ids.size(), 1u);
  for (Store* s : d.all()) EXPECT_EQ(Ids(*s), ids);
  auto c = ListConflicts(*d.th)->front();
  EXPECT_EQ(c.values.size(), 3u);
  ASSERT_TRUE(ResolveConflict(*d.th, c.id,
                              {std::nullopt, std::string("minutes_adopted"), false, "secretariat"})
                  .ok());
  d.Exchange();
  for (Store* s : d.all()) EXPECT_TRUE(Ids(*s).empty());
  EXPECT_EQ(DumpOf(*d.kh), DumpOf(*d.border));
}

TEST(ConflictReviewTest, DifferentResolutionsOnTwoOfficesBecomeANewConflict) {
  Deployment d;
  PutOk(*d.kh, {"meeting", std::string("mtg-1"), {{"venue", "A"}}});
  PutOk(*d.th, {"meeting", std::string("mtg-1"), {{"venue", "B"}}});
  d.Exchange();
  std::string id = ListConflicts(*d.kh)->front().id;
  ASSERT_TRUE(ResolveConflict(*d.kh, id, {std::string("KH-NCCT"), std::nullopt, false, "kh"}).ok());
  ASSERT_TRUE(
      ResolveConflict(*d.th, id, {std::string("TH-MSDHS"), std::nullopt, false, "th"}).ok());
  d.Exchange();
  auto after = ListConflicts(*d.kh);
  ASSERT_EQ(after->size(), 1u);
  EXPECT_NE(after->front().id, id);
  EXPECT_EQ(after->front().values.size(), 2u);
  EXPECT_EQ(Ids(*d.th), Ids(*d.kh));
}

TEST(ConflictReviewTest, LongTextConflictShowsAncestorDiffsAndASuggestedMerge) {
  Deployment d;
  PutOk(*d.kh, {"minute",
                std::string("min-6.2"),
                {{"text",
                  "Both sides reviewed the revised plan.\nIOM will circulate the draft.\nThe next "
                  "meeting is in June."}}});
  PutOk(*d.th, {"minute",
                std::string("min-6.2"),
                {{"text",
                  "Both sides reviewed the plan.\nIOM will circulate the draft.\nThe next meeting "
                  "is in June 2023 in Bangkok."}}});
  d.Exchange();
  auto c = ListConflicts(*d.kh)->front();
  ASSERT_TRUE(c.ancestor.has_value())
      << c.field << " " << c.values.size() << " " << c.values[0].version.version.ToText() << " / "
      << c.values[1].version.version.ToText();
  EXPECT_EQ(*c.ancestor->value, kMinuteText);
  ASSERT_TRUE(c.suggested_merge.has_value());
  EXPECT_EQ(*c.suggested_merge,
            "Both sides reviewed the revised plan.\nIOM will circulate the draft.\nThe next "
            "meeting is in June 2023 in Bangkok.");
  EXPECT_FALSE(c.values[0].diff_from_ancestor.empty());
  // The suggestion is not applied until chosen.
  EXPECT_EQ(d.kh->GetStatus()->open_conflicts, 1);
}

TEST(ConflictReviewTest, DeleteVersusEditIsResolvedByTakingANode) {
  Deployment d;
  ASSERT_TRUE(d.kh->Delete("min-6.2").ok());
  PutOk(*d.th, {"minute", std::string("min-6.2"), {{"speaker", "Thailand"}}});
  d.Exchange();
  auto c = ListConflicts(*d.kh)->front();
  EXPECT_EQ(c.field, kDeletedField);
  ASSERT_TRUE(
      ResolveConflict(*d.kh, c.id, {std::string("TH-MSDHS"), std::nullopt, false, "kh"}).ok());
  d.Exchange();
  for (Store* s : d.all()) {
    auto record = s->Get("min-6.2");
    EXPECT_FALSE(record->deleted);
    EXPECT_FALSE(record->delete_conflict);
    EXPECT_EQ(*record->fields.at("speaker").value, "Thailand");
  }
}

TEST(ConflictReviewTest, BadResolutionsChangeNothing) {
  Deployment d;
  PutOk(*d.kh, {"meeting", std::string("mtg-1"), {{"end_date", "2023-01-19"}}});
  PutOk(*d.th, {"meeting", std::string("mtg-1"), {{"end_date", "2023-01-20"}}});
  d.Exchange();
  std::string id = ListConflicts(*d.kh)->front().id;
  std::string before = DumpOf(*d.kh);
  auto nobody = ResolveConflict(*d.kh, id, {std::string("KH-POIPET"), std::nullopt, false, ""});
  EXPECT_EQ(nobody.status().code(), Code::kInvalidArgument);
  EXPECT_NE(nobody.status().message().find("wrote none of the values"), std::string::npos);
  auto bad_value = ResolveConflict(*d.kh, id, {std::nullopt, std::string("19 Jan"), false, ""});
  EXPECT_EQ(bad_value.status().code(), Code::kInvalidArgument);
  auto missing =
      ResolveConflict(*d.kh, "0123456789ab", {std::string("KH-NCCT"), std::nullopt, false, ""});
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_EQ(DumpOf(*d.kh), before);
  // A sync that brings a third value makes the listed id stale: no unseen overwrite.
  PutOk(*d.border, {"meeting", std::string("mtg-1"), {{"end_date", "2023-01-21"}}});
  SyncOk(*d.border, *d.kh);
  auto stale = ResolveConflict(*d.kh, id, {std::string("KH-NCCT"), std::nullopt, false, ""});
  EXPECT_EQ(stale.status().code(), Code::kNotFound);
}

// The conflicts table names each open conflict by its live versions; the name
// must follow every write that changes them, or a listed id would not be found.
void ExpectConflictIdsCurrent(Store& store) {
  auto rows = testing::PeekDb(store).Prepare("SELECT record_id, field, id FROM conflicts");
  ASSERT_TRUE(rows.ok());
  std::vector<std::tuple<std::string, std::string, std::string>> open;
  while (*(*rows)->Step()) open.emplace_back((*rows)->Text(0), (*rows)->Text(1), (*rows)->Text(2));
  (*rows)->Reset();
  for (const auto& [record, field, id] : open) {
    auto current = store.ConflictId(record, field);
    ASSERT_TRUE(current.ok());
    EXPECT_EQ(id, *current) << store.node_id() << " " << record << "." << field;
  }
}

TEST(ConflictReviewTest, AConflictIsFoundByItsIdAndListedAPageAtATime) {
  Deployment d;
  for (const char* field : {"venue", "end_date", "status", "chairs", "country"}) {
    std::string kh_value = std::string(field) == "end_date" ? "2023-01-19"
                           : std::string(field) == "status" ? "held"
                                                            : "KH " + std::string(field);
    std::string th_value = std::string(field) == "end_date" ? "2023-01-20"
                           : std::string(field) == "status" ? "signed"
                                                            : "TH " + std::string(field);
    PutOk(*d.kh, {"meeting", std::string("mtg-1"), {{field, kh_value}}});
    PutOk(*d.th, {"meeting", std::string("mtg-1"), {{field, th_value}}});
  }
  PutOk(*d.kh, {"minute", std::string("min-6.2"), {{"speaker", "Cambodia"}}});
  PutOk(*d.th, {"minute", std::string("min-6.2"), {{"speaker", "Thailand"}}});
  d.Exchange();
  auto all = ListConflicts(*d.kh);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 6u);
  for (const Conflict& c : *all) {
    auto found = GetConflict(*d.border, c.id);
    ASSERT_TRUE(found.ok()) << found.status().ToString();
    EXPECT_EQ(found->record_id, c.record_id);
    EXPECT_EQ(found->field, c.field);
    EXPECT_EQ(found->values.size(), 2u);
  }
  auto page = ListConflictPage(*d.kh, {"", 2, 3});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->total, 6u);
  ASSERT_EQ(page->conflicts.size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(page->conflicts[i].id, (*all)[2 + i].id);
  auto minutes = ListConflictPage(*d.kh, {"minute", 0, 10});
  ASSERT_TRUE(minutes.ok());
  EXPECT_EQ(minutes->total, 1u);
  ASSERT_EQ(minutes->conflicts.size(), 1u);
  EXPECT_EQ(minutes->conflicts[0].field, "speaker");
  auto beyond = ListConflictPage(*d.kh, {"meeting", 9, 10});
  ASSERT_TRUE(beyond.ok());
  EXPECT_EQ(beyond->total, 5u);
  EXPECT_TRUE(beyond->conflicts.empty());
  EXPECT_EQ(ListConflictPage(*d.kh, {"treaty", 0, 1}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(GetConflict(*d.kh, "0123456789ab").status().code(), Code::kNotFound);
}

// A restore and a delete decided concurrently leave tombstones saying 0 and 1;
// an edit of another field then changes the record's live versions, and with
// them the delete-versus-edit conflict's id.
TEST(ConflictReviewTest, ADeletionConflictIdFollowsEditsOfAnyField) {
  Deployment d;
  ASSERT_TRUE(d.kh->Delete("min-6.2").ok());
  PutOk(*d.th, {"minute", std::string("min-6.2"), {{"speaker", "Thailand"}}});
  d.Exchange();
  std::string id = ListConflicts(*d.kh)->front().id;
  ASSERT_TRUE(ResolveConflict(*d.kh, id, {std::string("TH-MSDHS"), std::nullopt, false, "kh"})
                  .ok());  // restores
  ASSERT_TRUE(ResolveConflict(*d.th, id, {std::string("KH-NCCT"), std::nullopt, false, "th"})
                  .ok());  // deletes
  d.Exchange();
  auto both = ListConflicts(*d.kh);
  ASSERT_EQ(both->size(), 1u);
  EXPECT_EQ(both->front().field, kDeletedField);
  std::string before = both->front().id;
  PutOk(*d.border, {"minute", std::string("min-6.2"), {{"number", "6.2.1"}}});
  ExpectConflictIdsCurrent(*d.border);
  d.Exchange();
  for (Store* s : d.all()) {
    ExpectConflictIdsCurrent(*s);
    auto after = ListConflicts(*s);
    ASSERT_EQ(after->size(), 1u) << s->node_id();
    EXPECT_NE(after->front().id, before);
    EXPECT_TRUE(GetConflict(*s, after->front().id).ok());
    EXPECT_EQ(GetConflict(*s, before).status().code(), Code::kNotFound);
  }
  EXPECT_EQ(Ids(*d.kh), Ids(*d.th));
}

// Seeded random edits, deletes, resolutions and syncs on three offices: after
// every step each node's stored conflict ids are the ones its versions give,
// and at the end every node lists the same conflicts under the same ids.
TEST(ConflictReviewTest, StoredIdsStayCurrentThroughRandomEditsDeletesResolutionsAndSyncs) {
  for (uint32_t seed : {1u, 2u, 3u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Deployment d;
    std::mt19937 rng(seed);
    auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
    const std::vector<std::string> records = {"p0", "p1", "p2", "p3"};
    for (const auto& id : records) {
      PutOk(*d.kh, {"party", id, {{"code", "KH"}, {"name", "n"}}});
    }
    d.Exchange();
    std::vector<Store*> nodes = d.all();
    for (int round = 0; round < 250; ++round) {
      Store& node = *nodes[pick(3)];
      const std::string& record = records[pick(records.size())];
      int action = static_cast<int>(pick(10));
      if (action < 4) {
        std::string field = pick(2) ? "name" : "kind";
        std::string value = field == "name" ? "n" + std::to_string(pick(3))
                                            : std::vector<std::string>{"government", "observer",
                                                                       "secretariat"}[pick(3)];
        (void)node.Put({"party", record, {{field, value}}});  // refused when deleted here
      } else if (action == 4) {
        (void)node.Delete(record);
      } else if (action < 7) {
        auto open = ListConflicts(node);
        ASSERT_TRUE(open.ok());
        if (!open->empty()) {
          const Conflict& c = (*open)[pick(open->size())];
          std::string take = c.values[pick(c.values.size())].version.origin;
          auto resolved = ResolveConflict(node, c.id, {take, std::nullopt, false, "reviewer"});
          ASSERT_TRUE(resolved.ok()) << resolved.status().ToString();
        }
      } else {
        size_t a = pick(3), b = pick(3);
        if (a != b) SyncOk(*nodes[a], *nodes[b]);
      }
      for (Store* s : nodes) ExpectConflictIdsCurrent(*s);
    }
    d.Exchange();
    d.Exchange();
    EXPECT_EQ(Ids(*d.kh), Ids(*d.th));
    EXPECT_EQ(Ids(*d.kh), Ids(*d.border));
    EXPECT_EQ(DumpOf(*d.kh), DumpOf(*d.th));
  }
}

}  // namespace
}  // namespace accord
