// Signed versions (core/signed_content.h, issue 13.5): the signed minutes are
// the authority, so an edit made after signing shows as an amendment, naming
// what changed, on every node alike.
#include "core/signed_content.h"

#include <gtest/gtest.h>

#include "tests/test_support.h"

namespace accord {
namespace {

using testing::FakeClock;
using testing::NewStore;
using testing::PutOk;
using testing::SyncOk;
using testing::TempDir;

std::string Put(Store& store, RecordWrite write) {
  auto id = store.Put(write);
  EXPECT_TRUE(id.ok()) << id.status().ToString();
  return id.ok() ? *id : "";
}

// The Siem Reap bilateral meeting: minutes in Khmer and Thai, a decision, an
// action item; and a plan with an objective and two activities.
struct SignedMeeting {
  TempDir dir;
  FakeClock clock;
  std::unique_ptr<Store> kh = NewStore(dir, "KH-NCCT", clock);
  std::string meeting, minute_kh, minute_th, decision, action;

  SignedMeeting() {
    meeting = Put(*kh, {"meeting",
                        std::nullopt,
                        {{"title", "កិច្ចប្រជុំទ្វេភាគីស្តីពីការប្រឆាំងការជួញដូរមនុស្ស"},
                         {"start_date", "2023-01-18"},
                         {"city", "សៀមរាប"}}});
    minute_kh = Put(*kh, {"minute",
                          std::nullopt,
                          {{"meeting", meeting},
                           {"number", "5.1"},
                           {"text", "ភាគីទាំងពីរបានឯកភាពលើនីតិវិធីបញ្ជូនជនរងគ្រោះត្រឡប់មកវិញ"}}});
    minute_th = Put(*kh, {"minute",
                          std::nullopt,
                          {{"meeting", meeting},
                           {"number", "5.2"},
                           {"text", "ฝ่ายไทยเสนอให้แลกเปลี่ยนข้อมูลผ่านผู้ประสานงานหลัก"}}});
    decision = Put(*kh, {"decision",
                         std::nullopt,
                         {{"meeting", meeting}, {"number", "1"}, {"text", "ทั้งสองฝ่ายเห็นชอบ"}}});
    action = Put(*kh, {"action_item",
                       std::nullopt,
                       {{"meeting", meeting},
                        {"number", "1"},
                        {"action", "Share the list of focal points"},
                        {"due", "End of November… (date TBC)"}}});
  }

  // What `accord sign` writes.
  std::string Sign(Store& store, const std::string& signatory) {
    auto content = ReadSignedContent(store, meeting);
    EXPECT_TRUE(content.ok()) << content.status().ToString();
    return Put(store, {"signature",
                       std::nullopt,
                       {{"meeting", meeting},
                        {"signatory", signatory},
                        {"signed_on", "2023-01-19"},
                        {"digest", content->digest},
                        {"covers", content->CoversText()}}});
  }
};

std::vector<std::string> Amended(Store& store, const std::string& root) {
  auto checks = CheckSignatures(store, root);
  EXPECT_TRUE(checks.ok()) << checks.status().ToString();
  std::vector<std::string> out;
  if (!checks.ok()) return out;
  EXPECT_EQ(checks->size(), 1u);
  for (const Amendment& a : checks->front().amended) {
    out.push_back(std::string(AmendmentWord(a.kind)) + " " + a.type + " " + a.id);
  }
  return out;
}

TEST(SignedContentTest, ASignedMeetingCoversItsMinutesDecisionsAndActionItems) {
  SignedMeeting m;
  auto content = ReadSignedContent(*m.kh, m.meeting);
  ASSERT_TRUE(content.ok()) << content.status().ToString();
  EXPECT_EQ(content->parts.size(), 5u);
  EXPECT_EQ(content->Summary(), "meeting, 1 action item, 1 decision, 2 minutes");
  EXPECT_EQ(content->digest.rfind("sha256:", 0), 0u);
  EXPECT_EQ(content->digest.size(), 7u + 64u);
  m.Sign(*m.kh, "H.E. Chou Bun Eng");
  EXPECT_TRUE(Amended(*m.kh, m.meeting).empty());
}

TEST(SignedContentTest, EditsAfterSigningShowAsAmendmentsNamingWhatChanged) {
  SignedMeeting m;
  m.Sign(*m.kh, "H.E. Chou Bun Eng");
  PutOk(*m.kh, {"minute", m.minute_th, {{"text", "ฝ่ายไทยเสนอให้แลกเปลี่ยนข้อมูลทุกเดือน"}}});
  std::string late = Put(
      *m.kh,
      {"decision", std::nullopt, {{"meeting", m.meeting}, {"number", "2"}, {"text", "新增决定"}}});
  ASSERT_TRUE(m.kh->Delete(m.action).ok());
  std::vector<std::string> amended = Amended(*m.kh, m.meeting);
  std::sort(amended.begin(), amended.end());
  EXPECT_EQ(amended,
            (std::vector<std::string>{"added decision " + late, "changed minute " + m.minute_th,
                                      "removed action_item " + m.action}));
  // Putting the same words back leaves no amendment for that minute.
  PutOk(*m.kh, {"minute", m.minute_th, {{"text", "ฝ่ายไทยเสนอให้แลกเปลี่ยนข้อมูลผ่านผู้ประสานงานหลัก"}}});
  amended = Amended(*m.kh, m.meeting);
  EXPECT_EQ(amended.size(), 2u);
}

TEST(SignedContentTest, EveryNodeComputesTheSameDigestAndSeesTheSameAmendment) {
  SignedMeeting m;
  auto th = NewStore(m.dir, "TH-MSDHS", m.clock);
  m.Sign(*m.kh, "H.E. Chou Bun Eng");
  SyncOk(*th, *m.kh);
  // Bangkok computes the digest from its own copy: the same bytes.
  EXPECT_TRUE(Amended(*th, m.meeting).empty());
  auto kh_content = ReadSignedContent(*m.kh, m.meeting);
  auto th_content = ReadSignedContent(*th, m.meeting);
  ASSERT_TRUE(kh_content.ok() && th_content.ok());
  EXPECT_EQ(kh_content->digest, th_content->digest);

  // Both offices edit the Khmer minute at once: a conflict, the same
  // provisional winner everywhere, the same amendment everywhere.
  PutOk(*th, {"minute", m.minute_kh, {{"speaker", "นางสาว สมใจ ใจดี"}}});
  PutOk(*m.kh, {"minute", m.minute_kh, {{"speaker", "លោក សុខ វណ្ណា"}}});
  SyncOk(*th, *m.kh);
  SyncOk(*m.kh, *th);
  EXPECT_EQ(Amended(*m.kh, m.meeting), Amended(*th, m.meeting));
  EXPECT_EQ(Amended(*m.kh, m.meeting), (std::vector<std::string>{"changed minute " + m.minute_kh}));
}

TEST(SignedContentTest, APlanCoversItsObjectivesAndTheirActivitiesOnly) {
  TempDir dir;
  auto kh = NewStore(dir, "KH-NCCT");
  std::string plan = Put(*kh, {"plan", std::nullopt, {{"title", "แผนปฏิบัติการร่วม 2566-2568"}}});
  std::string other = Put(*kh, {"plan", std::nullopt, {{"title", "Plan of Action 2026"}}});
  std::string objective = Put(
      *kh, {"objective", std::nullopt, {{"plan", plan}, {"number", "1"}, {"text", "ការការពារ"}}});
  std::string other_objective =
      Put(*kh, {"objective", std::nullopt, {{"plan", other}, {"number", "1"}, {"text", "Draft"}}});
  std::string activity = Put(
      *kh,
      {"activity",
       std::nullopt,
       {{"objective", objective}, {"number", "1.1"}, {"description", "อบรมเจ้าหน้าที่ประจำจุดผ่านแดน"}}});
  auto content = ReadSignedContent(*kh, plan);
  ASSERT_TRUE(content.ok()) << content.status().ToString();
  ASSERT_TRUE(kh->Put({"signature",
                       std::nullopt,
                       {{"plan", plan},
                        {"signatory", "นายสมชาย ศรีสุข"},
                        {"digest", content->digest},
                        {"covers", content->CoversText()}}})
                  .ok());
  EXPECT_EQ(content->Summary(), "plan, 1 activity, 1 objective");
  // Another plan's work is not this plan's amendment.
  PutOk(*kh, {"activity",
              std::nullopt,
              {{"objective", other_objective}, {"number", "1.1"}, {"description", "Draft"}}});
  EXPECT_TRUE(Amended(*kh, plan).empty());
  PutOk(*kh, {"activity", activity, {{"timeframe", "2024-Q2"}}});
  EXPECT_EQ(Amended(*kh, plan), (std::vector<std::string>{"changed activity " + activity}));
}

TEST(SignedContentTest, OnlyMeetingsAndPlansCanBeSigned) {
  TempDir dir;
  auto kh = NewStore(dir, "KH-NCCT");
  std::string party = Put(*kh, {"party", std::nullopt, {{"code", "KH"}, {"name", "Cambodia"}}});
  auto refused = ReadSignedContent(*kh, party);
  EXPECT_EQ(refused.status().code(), Code::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("a signature covers a meeting or a plan"),
            std::string::npos);
  EXPECT_EQ(ReadSignedContent(*kh, "no-such-record").status().code(), Code::kNotFound);
}

}  // namespace
}  // namespace accord
