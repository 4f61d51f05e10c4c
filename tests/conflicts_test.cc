// Reviewing conflicts across offices: listed alike everywhere, resolved once,
// closed everywhere.
#include "core/conflicts.h"

#include <gtest/gtest.h>

#include "sync/sync_session.h"
#include "test_support.h"

namespace accord {
namespace {

using testing::DumpOf;
using testing::FakeClock;
using testing::InProcessTransport;
using testing::NewStore;
using testing::TempDir;

void SyncOk(Store& client, Store& server) {
  InProcessTransport transport(server, client.node_id());
  auto summary = sync::RunSync(client, transport);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
}

void PutOk(Store& store, RecordWrite write) {
  auto id = store.Put(write);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
}

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

}  // namespace
}  // namespace accord
