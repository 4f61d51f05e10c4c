// Each side presents its own assessment of the plan (seed 003 §7.7): the
// Cambodian and Thai capitals assess the same activity for the same year,
// offline, in their own words. Both assessments arrive everywhere the plan
// goes, side by side, and nothing is a conflict; the shared progress_status
// field, edited the same way, is one.
#include <gtest/gtest.h>

#include "core/conflicts.h"
#include "core/reports.h"
#include "tests/sharing_support.h"

namespace accord {
namespace {

using testing::FiveOffices;
using testing::Holds;
using testing::PutOk;
using testing::SyncOk;

void WriteJointPlan(Store& kh) {
  PutOk(kh, {"plan",
             std::string("plan-khth-2023"),
             {{"title", "แผนปฏิบัติการร่วม 2566-2568"}, {"parties", "KH,TH"}}});
  PutOk(kh, {"objective",
             std::string("obj-khth-3"),
             {{"plan", "plan-khth-2023"},
              {"number", "3"},
              {"text", "Strengthen protection of victims of trafficking"}}});
  PutOk(kh, {"activity",
             std::string("act-khth-3.3"),
             {{"objective", "obj-khth-3"},
              {"number", "3.3"},
              {"description", "Organize case management meetings twice a year"},
              {"targets_per_year", "2024: 2 meetings\n2025: 2 meetings"}}});
}

RecordWrite Assessment(const std::string& party, const std::string& status,
                       const std::string& narrative, const std::string& on) {
  return {"progress_assessment",
          std::nullopt,
          {{"activity", "act-khth-3.3"},
           {"party", party},
           {"period", "2024"},
           {"status", status},
           {"narrative", narrative},
           {"assessed_on", on}}};
}

const char kKhmerNarrative[] = "បានរៀបចំកិច្ចប្រជុំគ្រប់គ្រងករណីចំនួន ១ ក្នុងឆ្នាំ២០២៤។ កិច្ចប្រជុំលើកទីពីរនៅមិនទាន់បានធ្វើ។";
const char kThaiNarrative[] = "จัดการประชุมการจัดการรายกรณีร่วมแล้ว 2 ครั้ง ครบตามเป้าหมายปี 2567";

TEST(ProgressAssessmentTest, TwoCapitalsAssessTheSameActivityAndPeriodAndBothAreKept) {
  FiveOffices o;
  WriteJointPlan(*o.kh);
  SyncOk(*o.th, *o.kh);
  ASSERT_TRUE(Holds(*o.th, "act-khth-3.3"));

  // Offline, each capital records its own view of 2024, and both also touch
  // the old shared field, as offices did before.
  PutOk(*o.kh, Assessment("KH", "in_progress", kKhmerNarrative, "2024-12-10"));
  PutOk(*o.th, Assessment("TH", "completed", kThaiNarrative, "2024-12-12"));
  PutOk(*o.kh, {"activity", std::string("act-khth-3.3"), {{"progress_status", "in_progress"}}});
  PutOk(*o.th, {"activity", std::string("act-khth-3.3"), {{"progress_status", "completed"}}});

  SyncOk(*o.th, *o.kh);
  SyncOk(*o.th, *o.kh);  // the pull of the second round brings what the first pushed
  SyncOk(*o.poipet, *o.kh);

  for (Store* s : {o.kh.get(), o.th.get(), o.poipet.get()}) {
    auto assessments = s->List("progress_assessment");
    ASSERT_TRUE(assessments.ok()) << assessments.status().ToString();
    EXPECT_EQ(assessments->size(), 2u) << s->node_id();
    auto conflicts = ListConflicts(*s, "progress_assessment");
    ASSERT_TRUE(conflicts.ok());
    EXPECT_TRUE(conflicts->empty()) << s->node_id() << ": honest assessments are no conflict";

    auto plan = ReportPlan(*s, "plan-khth-2023");
    ASSERT_TRUE(plan.ok()) << plan.status().ToString();
    ASSERT_EQ(plan->objectives.size(), 1u);
    const ActivityProgress& activity = plan->objectives[0].activities.at(0);
    ASSERT_EQ(activity.latest.size(), 2u) << s->node_id();
    EXPECT_EQ(activity.latest[0].party, "KH");
    EXPECT_EQ(activity.latest[0].status, "in_progress");
    EXPECT_EQ(activity.latest[0].narrative, kKhmerNarrative);
    EXPECT_EQ(activity.latest[1].party, "TH");
    EXPECT_EQ(activity.latest[1].status, "completed");
    EXPECT_EQ(activity.latest[1].narrative, kThaiNarrative);
    EXPECT_EQ(plan->assessing_parties, (std::vector<std::string>{"KH", "TH"}));
    ASSERT_EQ(activity.targets.size(), 2u);
    EXPECT_EQ(activity.targets[1].year, "2025");
  }
  // The same two edits of the one shared field are a false conflict.
  auto shared = ListConflicts(*o.kh, "activity");
  ASSERT_TRUE(shared.ok());
  ASSERT_EQ(shared->size(), 1u);
  EXPECT_EQ(shared->at(0).field, "progress_status");
}

TEST(ProgressAssessmentTest, AnAssessmentGoesWhereItsPlanGoesAndNowhereElse) {
  FiveOffices o;
  WriteJointPlan(*o.kh);
  PutOk(*o.kh, Assessment("KH", "in_progress", kKhmerNarrative, "2024-12-10"));
  SyncOk(*o.th, *o.kh);
  SyncOk(*o.vn, *o.kh);
  SyncOk(*o.vn, *o.th);
  auto at_th = o.th->List("progress_assessment");
  ASSERT_TRUE(at_th.ok());
  EXPECT_EQ(at_th->size(), 1u) << "the Thai capital receives the Cambodian assessment";
  auto at_vn = o.vn->List("progress_assessment");
  ASSERT_TRUE(at_vn.ok());
  EXPECT_TRUE(at_vn->empty()) << "a Cambodia-Thailand plan's assessment never reaches Viet Nam";
  auto scope = o.kh->ScopeOf(at_th->at(0).id);
  ASSERT_TRUE(scope.ok());
  EXPECT_TRUE(scope->Allows("TH"));
  EXPECT_FALSE(scope->Allows("VN"));
}

TEST(ProgressAssessmentTest, AnAssessmentInAnotherPartysNameShowsWhoRecordedIt) {
  FiveOffices o;
  WriteJointPlan(*o.kh);
  SyncOk(*o.th, *o.kh);
  // A Thai officer types an assessment as if it were Cambodia's.
  PutOk(*o.th, Assessment("KH", "completed", "บันทึกแทนฝ่ายกัมพูชา", "2024-12-12"));
  SyncOk(*o.th, *o.kh);
  auto plan = ReportPlan(*o.kh, "plan-khth-2023");
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  const PartyAssessment& kh = plan->objectives[0].activities[0].latest.at(0);
  EXPECT_EQ(kh.party, "KH");
  EXPECT_EQ(kh.recorded_by, "TH-MSDHS");
  ASSERT_TRUE(kh.recorder_party.has_value()) << "learnt from the certificate that signed it";
  EXPECT_EQ(*kh.recorder_party, "TH");
}

}  // namespace
}  // namespace accord
