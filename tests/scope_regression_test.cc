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
//  - A backfill never leaves out a write of the sender made since its last
//    seal. A pull request reads on past pages the puller already holds; one
//    such read passed the capital's new note on a case out of Viet Nam's
//    scope, then Poi Pet's consent arrived, the next read backfilled the
//    case without the note (not sealed yet, so passed over), and the page
//    vouched for it: Viet Nam would never receive it.
//  - A page never ends inside one record's write. A meeting's title reached
//    Viet Nam in one page and its related plan (Cambodia–Viet Nam) in the
//    next, which never came; meanwhile Viet Nam judged a meeting with no
//    plan recorded, which goes to every node, and passed it to Bangkok.
#include <gtest/gtest.h>

#include "sync/signed_changes.h"
#include "sync/transport.h"
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

std::string CaseDumpLine(Store& store, const std::string& id) {
  auto lines = testing::DumpLines::Parse(DumpOf(store)).records;
  auto it = lines.find(id);
  return it == lines.end() ? "" : it->second;
}

// `office` holds the case as the capital does: every value, vector and sibling.
void ExpectCaseAsAtTheCapital(CambodiaVietNam& o, Store& office) {
  std::string want = CaseDumpLine(*o.kh, kCase), got = CaseDumpLine(office, kCase);
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
  EXPECT_EQ(CaseDumpLine(*o.vn, "mtg-khvn-8"), CaseDumpLine(*o.kh, "mtg-khvn-8"));
  EXPECT_FALSE(th->Get("mtg-khvn-8").ok());
}

// Hands every request to `inner`, first running `before_push` once, when the
// first push goes: a write that lands between the pull and the push.
class WriteBeforePush : public sync::Transport {
 public:
  WriteBeforePush(sync::Transport& inner, std::function<void()> before_push)
      : inner_(inner), before_push_(std::move(before_push)) {}
  Result<std::string> RoundTrip(std::string_view op, const std::string& request) override {
    if (op == sync::kOpPush && before_push_) std::exchange(before_push_, nullptr)();
    return inner_.RoundTrip(op, request);
  }

 private:
  sync::Transport& inner_;
  std::function<void()> before_push_;
};

TEST(ScopeRegressionTest, ABackfillNeverLeavesOutTheSendersWriteMadeSinceItsSeal) {
  CambodiaVietNam o;
  OpenCaseAndEditItBeyondVietNamsCursor(o);  // the capital's writes are sealed
  auto log = o.kh->ReadChanges(0, 100000, VersionVector());
  ASSERT_TRUE(log.ok() && log->done) << log.status().ToString();
  const uint64_t head = log->next_cursor;

  // Poi Pet's consent reaches the capital just after an officer there adds
  // a note: Poi Pet pulled (the capital sealed), the note, then the push.
  const std::string note = "ឪពុកម្ដាយបានបញ្ជាក់អត្តសញ្ញាណតាមទូរស័ព្ទ";
  PutOk(*o.poipet, {"case", std::string(kCase), {{"consent", "given"}}});
  testing::InProcessTransport to_capital(*o.kh, o.poipet->node_id());
  WriteBeforePush note_then_push(to_capital, [&] {
    PutOk(*o.kh, {"case", std::string(kCase), {{"notes", note}}});
  });
  auto synced = testing::SyncWith(*o.poipet, note_then_push);
  ASSERT_TRUE(synced.ok()) << synced.status().ToString();
  auto note_row = o.kh->ReadChanges(head, 100, VersionVector());
  ASSERT_FALSE(note_row.ok()) << "the note was sealed: the story needs it unsealed";
  ASSERT_NE(note_row.status().message().find(std::to_string(head + 1)), std::string::npos)
      << note_row.status().ToString();

  // A read for Viet Nam that starts past the note, as one that passed it
  // while the case was out of scope left it; the consent brings the case in.
  auto vn_knowledge = o.vn->Knowledge();
  ASSERT_TRUE(vn_knowledge.ok());
  const PageReader vietnam{o.vn->node_id(), "VN", 0};
  auto read = o.kh->ReadChanges(head + 1, 100, *vn_knowledge, vietnam);
  ASSERT_FALSE(read.ok() && read->done) << "a page vouched for the note without sending it";

  // Sealed, the note goes with the backfill. The officer moves the case on
  // meanwhile: that save lies ahead of the consent, so the page ends before
  // it rather than refusing, and the next read takes it.
  const auto& signer = *testing::CredentialsFor(*o.kh).signer;
  ASSERT_TRUE(sync::SealPendingWrites(*o.kh, signer).ok());
  PutOk(*o.kh, {"case", std::string(kCase), {{"step", "family_tracing"}}});
  auto sent = [&](const ChangePage& page, const std::string& field) {
    std::vector<std::string> values;
    for (const FieldVersion& v : page.states) {
      if (v.record_id == kCase && v.field == field) values.push_back(v.value.value_or(""));
    }
    return values;
  };
  auto page = o.kh->ReadChanges(head + 1, 100, *vn_knowledge, vietnam);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ(sent(*page, "notes"), std::vector<std::string>{note});
  EXPECT_EQ(sent(*page, "consent"), std::vector<std::string>{"given"});
  EXPECT_TRUE(sent(*page, "step").empty());
  EXPECT_TRUE(page->ends_before_unsealed);
  EXPECT_FALSE(page->done);
  auto rest =
      sync::ReadSealedChanges(*o.kh, signer, page->next_cursor, 100, *vn_knowledge, vietnam);
  ASSERT_TRUE(rest.ok()) << rest.status().ToString();
  EXPECT_EQ(sent(*rest, "step"), std::vector<std::string>{"family_tracing"});
  EXPECT_TRUE(rest->done);
}

}  // namespace
}  // namespace accord
