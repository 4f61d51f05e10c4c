// Sharing scopes (docs/sharing.md): regressions found by the scoped
// convergence run (tests/scoped_convergence_test.cc), each pinned by the
// smallest story that shows it.
//
//  - Backfill when a record comes into a reader's scope, even when the
//    state that brought it in is one the reader already holds. The reader's
//    cursor had passed the capital's edit of a case while the case was out
//    of its scope; the grant reached the capital from the reader itself, or
//    from an office the reader had synced with, so it was not sent back and
//    nothing sent the edit. The capital then vouched for the edit, and no
//    office would ever send it.
//  - A page never ends inside one record's write. A meeting's title reached
//    Viet Nam in one page and its related plan (Cambodia–Viet Nam) in the
//    next, which never came; meanwhile Viet Nam judged a meeting with no
//    plan recorded, which goes to every node, and passed it to Bangkok.
#include <gtest/gtest.h>

#include "tests/dump_lines.h"
#include "tests/test_support.h"

namespace accord {
namespace {

using testing::DumpOf;
using testing::NewStore;
using testing::PutOk;
using testing::SyncOk;

// Phnom Penh and Poi Pet, and Viet Nam's ministry, on one clock.
struct CambodiaVietNam {
  testing::TempDir dir;
  testing::FakeClock clock;
  std::unique_ptr<Store> kh = NewStore(dir, "KH-NCCT", clock);
  std::unique_ptr<Store> poipet = NewStore(dir, "KH-POIPET", clock);
  std::unique_ptr<Store> vn = NewStore(dir, "VN-MOLISA", clock);
};

constexpr const char* kCase = "case-kh-2026-077";

std::string RecordDump(Store& store, const std::string& id) {
  auto lines = testing::DumpLines::Parse(DumpOf(store)).records;
  auto it = lines.find(id);
  return it == lines.end() ? "" : it->second;
}

// `office` holds the case as the capital does: every value, vector and sibling.
void ExpectCaseAsAtTheCapital(CambodiaVietNam& o, Store& office) {
  std::string want = RecordDump(*o.kh, kCase), got = RecordDump(office, kCase);
  EXPECT_TRUE(want == got) << office.node_id() << "\n  want " << want << "\n  got  " << got;
}

// Poi Pet opens a case of a Vietnamese victim, not yet asked for consent;
// the capital has it and adds to its notes; Viet Nam syncs with the
// capital, which keeps the case back.
void OpenCaseAndEditItBeyondVietNamsCursor(CambodiaVietNam& o) {
  PutOk(*o.poipet, {"case",
                    std::string(kCase),
                    {{"reference", "KH-2026-077"},
                     {"direction", "VN-KH"},
                     {"consent", "not_asked"},
                     {"notes", "បានទទួលពីប៉ូលិសព្រំដែន"}}});
  SyncOk(*o.kh, *o.poipet);
  PutOk(*o.kh, {"case", std::string(kCase), {{"notes", "គ្រួសាររស់នៅខេត្តតាកែវ"}}});
  SyncOk(*o.vn, *o.kh);
  ASSERT_FALSE(o.vn->Get(kCase).ok());
}

// Everyone with everyone, twice: whatever could still move, moves.
void SyncAll(CambodiaVietNam& o) {
  for (int pass = 0; pass < 2; ++pass) {
    for (Store* a : {o.kh.get(), o.poipet.get(), o.vn.get()}) {
      for (Store* b : {o.kh.get(), o.poipet.get(), o.vn.get()}) {
        if (a != b) SyncOk(*a, *b);
      }
    }
  }
}

TEST(ScopeRegressionTest, ACaseTheReaderItselfBroughtIntoScopeStillBringsWhatItsCursorPassed) {
  CambodiaVietNam o;
  OpenCaseAndEditItBeyondVietNamsCursor(o);
  // The victim agrees at Poi Pet; Viet Nam receives the case from Poi Pet,
  // without the capital's notes, and carries the consent to the capital.
  PutOk(*o.poipet, {"case", std::string(kCase), {{"consent", "given"}}});
  SyncOk(*o.vn, *o.poipet);
  SyncOk(*o.vn, *o.kh);
  SyncOk(*o.vn, *o.kh);
  ExpectCaseAsAtTheCapital(o, *o.vn);
  SyncAll(o);
  ExpectCaseAsAtTheCapital(o, *o.vn);
  ExpectCaseAsAtTheCapital(o, *o.poipet);
}

TEST(ScopeRegressionTest, AGrantTheReaderAlreadyHoldsStillBringsWhatItsCursorPassed) {
  CambodiaVietNam o;
  OpenCaseAndEditItBeyondVietNamsCursor(o);
  // Viet Nam has the grant straight from Poi Pet before the capital does.
  PutOk(*o.poipet, {"case", std::string(kCase), {{"consent", "given"}}});
  SyncOk(*o.vn, *o.poipet);
  SyncOk(*o.poipet, *o.kh);
  SyncOk(*o.vn, *o.kh);
  ExpectCaseAsAtTheCapital(o, *o.vn);
  SyncAll(o);
  ExpectCaseAsAtTheCapital(o, *o.vn);
}

TEST(ScopeRegressionTest, AMeetingHalfReceivedIsNotPassedOnAsIfItHadNoPlan) {
  CambodiaVietNam o;
  std::unique_ptr<Store> th = NewStore(o.dir, "TH-MSDHS", o.clock);
  PutOk(*o.kh, {"plan",
                std::string("plan-khvn-2026"),
                {{"title", "ផែនការសកម្មភាពរួម កម្ពុជា–វៀតណាម"}, {"parties", "KH,VN"}}});
  PutOk(*o.kh, {"meeting",
                std::string("mtg-khvn-8"),
                {{"title", "Cuộc họp song phương Việt Nam – Campuchia lần thứ 8"},
                 {"kind", "bilateral_meeting"},
                 {"start_date", "2026-06-12"},
                 {"city", "ភ្នំពេញ"},
                 {"related_plan", "plan-khvn-2026"}}});
  // Viet Nam pulls in pages of 4 states (the plan's two, then the meeting's
  // five); the link drops after the first page (hello, page, then nothing).
  testing::InProcessTransport transport(*o.kh, o.vn->node_id());
  transport.fault = [&transport] {
    return transport.calls > 2 ? testing::InProcessTransport::Fault::kDropReply
                               : testing::InProcessTransport::Fault::kNone;
  };
  sync::SyncOptions options;
  options.page_size = 4;
  auto cut = testing::SyncWith(*o.vn, transport, options);
  ASSERT_FALSE(cut.ok());
  ASSERT_EQ(cut.status().code(), Code::kUnavailable) << cut.status().ToString();
  // Bangkok syncs with Viet Nam meanwhile.
  SyncOk(*th, *o.vn);
  EXPECT_FALSE(th->Get("mtg-khvn-8").ok()) << "a Cambodia–Viet Nam meeting reached Thailand";
  // The link is back: Viet Nam gets the rest, Bangkok still nothing of it.
  SyncOk(*o.vn, *o.kh);
  SyncOk(*th, *o.vn);
  EXPECT_EQ(RecordDump(*o.vn, "mtg-khvn-8"), RecordDump(*o.kh, "mtg-khvn-8"));
  EXPECT_FALSE(th->Get("mtg-khvn-8").ok());
}

}  // namespace
}  // namespace accord
