// The scopes a node judges while reading its log for a peer are kept from
// page to page of a sync (Store::UnchangedScopes). A change that decides a
// scope, made through this Store or by another process on the same database
// (`accord put` beside `accord serve`), must be seen by the very next read.
#include <gtest/gtest.h>

#include "sync/signed_changes.h"
#include "tests/test_support.h"

namespace accord {
namespace {

using testing::PutOk;

const PageReader kThaiCapital{"TH-MSDHS", std::string("TH")};

// How many of `record`'s states a read of the whole log for TH-MSDHS holds.
size_t StatesForThaiCapital(Store& kh, const std::string& record) {
  EXPECT_TRUE(sync::SealPendingWrites(kh, *testing::CredentialsFor(kh).signer).ok());
  auto page = kh.ReadChanges(0, 1000, VersionVector(), kThaiCapital);
  EXPECT_TRUE(page.ok()) << page.status().ToString();
  size_t count = 0;
  if (page.ok()) {
    for (const FieldVersion& v : page->states) count += v.record_id == record ? 1 : 0;
  }
  return count;
}

RecordWrite Consent(const std::string& value) {
  return {"case", "case-7", {{"consent", value}}};
}

TEST(ScopeCacheTest, AConsentChangedHereOrByAnotherProcessDecidesTheNextRead) {
  testing::ThreeOffices o;
  ASSERT_TRUE(o.kh->RecordNodeParty("TH-MSDHS", "TH").ok());
  PutOk(*o.kh, {"case", "case-7",
                testing::SharedCase("TH-KH", {{"reference", "KH-2026-007"},
                                              {"notes", "ស្វែងរកគ្រួសារនៅខេត្តបាត់ដំបង"}})});
  PutOk(*o.kh, Consent("refused"));
  EXPECT_EQ(StatesForThaiCapital(*o.kh, "case-7"), 0u);

  {
    // Another connection, as `accord put` would open while `serve` runs.
    auto other = Store::Open(o.dir.File("KH-NCCT.db"));
    ASSERT_TRUE(other.ok()) << other.status().ToString();
    PutOk(**other, Consent("given"));
  }
  // Reference, notes, direction, the two consent records and consent itself.
  EXPECT_EQ(StatesForThaiCapital(*o.kh, "case-7"), 2 + testing::kConsentFields);

  PutOk(*o.kh, Consent("refused"));
  EXPECT_EQ(StatesForThaiCapital(*o.kh, "case-7"), 0u);
}

}  // namespace
}  // namespace accord
