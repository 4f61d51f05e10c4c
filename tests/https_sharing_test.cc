// Sharing scopes over real HTTPS (issue 11): the parties come from the
// certificates the offices present, and a refused-consent case stays home.
#include <gtest/gtest.h>

#include "tests/https_nodes.h"

namespace accord {
namespace {

using testing::Node;
using testing::Put;
using HttpsSharingTest = testing::HttpsNodesTest;

TEST_F(HttpsSharingTest, FourOfficesOverHttpsEachHoldOnlyTheirScope) {
  Node& kh = AddNode("KH-NCCT");
  Node& poipet = AddNode("KH-POIPET");
  Node& th = AddNode("TH-MSDHS");
  Node& aranya = AddNode("TH-ARANYA");
  Put(poipet, {"case",
               std::string("case-kh-2026-021"),
               {{"reference", "KH-2026-021"},
                {"direction", "TH-KH"},
                {"consent", "refused"},
                {"notes", "ជនរងគ្រោះមិនយល់ព្រម"}}});
  Put(poipet, {"case",
               std::string("case-kh-2026-022"),
               {{"reference", "KH-2026-022"},
                {"direction", "TH-KH"},
                {"consent", "given"},
                {"consent_recorded_by", "Poi Pet Transit Center"},
                {"notes", "ครอบครัวพร้อมรับกลับ"}}});
  Put(kh, {"plan", std::string("plan-khth"), {{"title", "แผนปฏิบัติการร่วม"}, {"parties", "KH,TH"}}});
  SyncOk(poipet, kh);
  SyncOk(th, kh);
  SyncOk(aranya, th);
  SyncOk(aranya, poipet);
  for (Node* n : {&th, &aranya}) {
    EXPECT_FALSE(n->store->Get("case-kh-2026-021").ok()) << n->id;
    EXPECT_TRUE(n->store->Get("case-kh-2026-022").ok()) << n->id;
    EXPECT_TRUE(n->store->Get("plan-khth").ok()) << n->id;
  }
  EXPECT_TRUE(kh.store->Get("case-kh-2026-021").ok());
  // The parties were learnt from the certificates presented in hello.
  EXPECT_EQ(kh.store->PartyOf("TH-MSDHS")->value_or("?"), "TH");
  EXPECT_EQ(th.store->PartyOf("KH-NCCT")->value_or("?"), "KH");
}

}  // namespace
}  // namespace accord
