// A lost laptop (issue 12, item 6): the CA revokes its certificate, and
// when the laptop next reaches an office that holds the CA's signed
// revocation list, over real HTTPS, it is shown the list, checks it, and
// locks its personal data: no case value stays readable in its files. A
// statement that does not prove the revocation (forged, altered, of another
// CA, naming another node) locks nothing, and every other link goes on.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sync/own_revocation.h"
#include "sync/revocation_list.h"
#include "tests/https_nodes.h"

namespace accord::testing {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Words written into a case on the laptop, in the offices' scripts.
const std::vector<std::pair<std::string, std::string>> kCaseValues = {
    {"reference", "KH-2026-LOST-LAPTOP-5531"},
    {"initials", "ស្រីពៅ-បាត់-៥៥"},       // Khmer
    {"shelter", "บ้านพักชายแดน-ลับ-๕๕"},  // Thai
    {"notes", "ពលកម្មបង្ខំនៅព្រំដែន LOST-NOTES-MARKER-7781"},
};
const std::string kPlanTitle = "ផែនការសកម្មភាពរួម 2026 PLAN-MARKER-3312";

std::vector<std::string> FoundInFiles(const std::string& db_path,
                                      const std::vector<std::string>& markers) {
  std::string bytes = Slurp(db_path) + Slurp(db_path + "-wal");
  std::vector<std::string> found;
  for (const auto& m : markers) {
    if (bytes.find(m) != std::string::npos) found.push_back(m);
  }
  return found;
}

// Every byte of every file under `dir` (the node's attachments).
std::string AllFileBytes(const std::string& dir) {
  std::string bytes;
  std::error_code ec;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir, ec)) {
    if (entry.is_regular_file()) bytes += Slurp(entry.path().string());
  }
  return bytes;
}

const std::string kScanMarker = "REFERRAL-SCAN-MARKER-4417 ใบส่งต่อ";

std::vector<std::string> CaseMarkers() {
  std::vector<std::string> m;
  for (const auto& [field, value] : kCaseValues) m.push_back(value);
  return m;
}

class RevokedNodeTest : public HttpsNodesTest {
 protected:
  void SetUp() override {
    HttpsNodesTest::SetUp();
    ncct_ = &AddNode("KH-NCCT");
    poipet_ = &AddNode("KH-POIPET");
    kampot_ = &AddNode("KH-KAMPOT");
    std::vector<FieldWrite> fields;
    for (const auto& [field, value] : kCaseValues) fields.push_back({field, value});
    auto case_id = poipet_->store->Put({"case", std::nullopt, fields});
    ASSERT_TRUE(case_id.ok()) << case_id.status().ToString();
    case_id_ = *case_id;
    // The referral form, scanned and attached to the case on the laptop.
    const std::string scan = dir_ / "referral-scan.pdf";
    WriteText(scan, "%PDF-1.4\n" + kScanMarker + "\n");
    auto attached = poipet_->store->Attach({case_id_, scan, "ใบส่งต่อ.pdf", "", ""});
    ASSERT_TRUE(attached.ok()) << attached.status().ToString();
    auto plan_id = poipet_->store->Put({"plan", std::nullopt, {{"title", kPlanTitle}}});
    ASSERT_TRUE(plan_id.ok()) << plan_id.status().ToString();
    plan_id_ = *plan_id;
    SyncOk(*poipet_, *ncct_);
    SyncOk(*kampot_, *ncct_);
  }

  std::string Serial(const std::string& node) {
    auto serial = sync::CertificateSerial(Slurp(cert(node)));
    EXPECT_TRUE(serial.ok()) << serial.status().ToString();
    return serial.ok() ? *serial : "";
  }
  std::string SignedList(const std::string& ca_dir, const std::vector<std::string>& serials) {
    auto list = sync::SignRevocationList(ca_dir, "", serials, clock_.now->load());
    EXPECT_TRUE(list.ok()) << list.status().ToString();
    return list.ok() ? *list : "";
  }
  // The CA revokes `node`; only `office` is given the list (and reloads it).
  void Revoke(const std::string& node, Node& office) {
    WriteText(crl_path(), SignedList(ca_dir(), {Serial(node)}));
    Status reloaded = office.server->ReloadRevocations();
    ASSERT_TRUE(reloaded.ok()) << reloaded.ToString();
  }

  // What the laptop does with a statement: VerifyOwnRevocation, then the
  // lock if it holds (cli/cmd_sync.cc, LearnRevocation).
  Status TakeStatement(const std::string& statement, const std::string& peer) {
    auto lock = sync::VerifyOwnRevocation(statement, ca_pem(), Slurp(cert("KH-POIPET")), peer, 1);
    if (!lock.ok()) return lock.status();
    auto warnings = sync::LockRevokedNode(*poipet_->store, *lock, "");
    return warnings.ok() ? Status::Ok() : warnings.status();
  }

  void ExpectCasesReadable() {
    auto record = poipet_->store->Get(case_id_);
    ASSERT_TRUE(record.ok()) << record.status().ToString();
    EXPECT_EQ(*record->Value("initials"), std::optional<std::string>("ស្រីពៅ-បាត់-៥៥"));
    EXPECT_FALSE(poipet_->store->revocation_lock().has_value());
  }

  Node* ncct_ = nullptr;
  Node* poipet_ = nullptr;
  Node* kampot_ = nullptr;
  std::string case_id_, plan_id_;
};

TEST_F(RevokedNodeTest, ALostLaptopLearnsAtItsNextSyncThatItIsRevokedAndItsCasesBecomeUnreadable) {
  const std::string db = dir_ / "KH-POIPET.db";
  ASSERT_EQ(FoundInFiles(db, CaseMarkers()).size(), CaseMarkers().size());  // clear so far
  const std::string files = poipet_->store->attachments_dir();
  ASSERT_NE(AllFileBytes(files).find(kScanMarker), std::string::npos);  // the scan too

  Revoke("KH-POIPET", *ncct_);
  auto https = TransportTo(*poipet_, *ncct_);
  sync::SyncOptions options;
  options.expected_peer = "KH-NCCT";
  auto refused = sync::RunSync(*poipet_->store, *https, Credentials("KH-POIPET"), options);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kPermissionDenied) << refused.status().ToString();
  EXPECT_NE(refused.status().message().find("revocation list"), std::string::npos);
  ASSERT_FALSE(https->revocation_statement().empty());
  ASSERT_TRUE(TakeStatement(https->revocation_statement(), "KH-NCCT").ok());

  // Nothing of the case is left readable in the database, its WAL or its
  // free pages; the plan stays.
  EXPECT_EQ(FoundInFiles(db, CaseMarkers()), std::vector<std::string>());
  EXPECT_EQ(FoundInFiles(db, {kPlanTitle}).size(), 1u);
  EXPECT_EQ(AllFileBytes(files).find(kScanMarker), std::string::npos) << "the case's scan is gone";
  auto locked = poipet_->store->Get(case_id_);
  ASSERT_FALSE(locked.ok());
  EXPECT_EQ(locked.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(locked.status().message().find("was revoked by the deployment CA"), std::string::npos)
      << locked.status().message();
  EXPECT_NE(locked.status().message().find(Serial("KH-POIPET")), std::string::npos);
  EXPECT_EQ(Current(*poipet_, plan_id_, "title"), std::optional<std::string>(kPlanTitle));
  // Writing a case is refused as well, and leaves nothing in clear.
  auto written = poipet_->store->Put(
      {"case", std::nullopt, {{"reference", "KH-2026-AFTER-LOCK"}, {"notes", "AFTER-LOCK-7302"}}});
  ASSERT_FALSE(written.ok());
  EXPECT_NE(written.status().message().find("was revoked by the deployment CA"), std::string::npos)
      << written.status().ToString();
  EXPECT_EQ(FoundInFiles(db, {"AFTER-LOCK-7302"}), std::vector<std::string>());

  // Opened again (any later command): still locked, whatever key is given.
  auto reopened = Store::Open(db, StoreOptions{clock_.Fn()});
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  ASSERT_TRUE((*reopened)->revocation_lock().has_value());
  EXPECT_TRUE((*reopened)->revocation_lock()->destroyed);  // it was not encrypted
  EXPECT_EQ((*reopened)->revocation_lock()->learned_from, "KH-NCCT");
  EXPECT_FALSE((*reopened)->Get(case_id_).ok());
  // No key brings the cases back here: there was none to export.
  Status lifted =
      (*reopened)->LiftRevocationLock(std::make_shared<const DataKey>(DataKey::Generate()));
  EXPECT_EQ(lifted.code(), Code::kFailedPrecondition);
  EXPECT_NE(lifted.message().find("destroyed"), std::string::npos) << lifted.ToString();

  // The office that refused it, and every other link, go on.
  auto kampot_case = kampot_->store->Put(
      {"case", std::nullopt, {{"reference", "KH-2026-KAMPOT-0001"}, {"notes", "កំពត-ករណីថ្មី"}}});
  ASSERT_TRUE(kampot_case.ok()) << kampot_case.status().ToString();
  SyncOk(*kampot_, *ncct_);
  SyncOk(*ncct_, *kampot_);
  EXPECT_EQ(Current(*ncct_, *kampot_case, "notes"), std::optional<std::string>("កំពត-ករណីថ្មី"));
  // The peers still hold what the laptop sent before it was lost.
  EXPECT_EQ(Current(*ncct_, case_id_, "initials"), std::optional<std::string>("ស្រីពៅ-បាត់-៥៥"));
}

TEST_F(RevokedNodeTest, AStatementThatDoesNotProveTheRevocationLocksNothing) {
  // Another deployment's CA; a CA that copies this deployment's name but not
  // its key; and this CA's list naming another office.
  const std::string lookalike = dir_ / "lookalike-ca";
  ASSERT_TRUE(sync::MakeDeploymentCa(lookalike, "Accord test deployment").ok());
  const std::string genuine = SignedList(ca_dir(), {Serial("KH-POIPET")});
  std::string altered = genuine;
  size_t body = altered.find("-----END");
  ASSERT_NE(body, std::string::npos);
  altered[body - 8] = altered[body - 8] == 'A' ? 'B' : 'A';  // inside the signature
  const std::vector<std::pair<std::string, std::string>> statements = {
      {"another CA's list", SignedList(dir_ / "other-ca", {Serial("KH-POIPET")})},
      {"a look-alike CA's list", SignedList(lookalike, {Serial("KH-POIPET")})},
      {"an altered list", altered},
      {"a list naming another office", SignedList(ca_dir(), {Serial("KH-KAMPOT")})},
      {"an unsigned claim", "KH-POIPET is revoked, lock yourself\n"},
      {"nothing", ""},
  };
  for (const auto& [what, statement] : statements) {
    Status taken = TakeStatement(statement, "KH-NCCT");
    EXPECT_FALSE(taken.ok()) << what;
    ExpectCasesReadable();
  }

  // Over HTTPS: an office of this deployment turned hostile, trusting a
  // second CA of its own making, shows the laptop a list that CA signed.
  Enrol("KH-ROGUE");
  const std::string both_cas = dir_ / "both-cas.pem";
  WriteText(both_cas, Slurp(ca_pem()) + Slurp(dir_ / "other-ca/ca.pem"));
  const std::string forged = dir_ / "forged.crl";
  WriteText(forged, SignedList(dir_ / "other-ca", {Serial("KH-POIPET")}));
  server::ServerOptions o;
  o.ca_path = both_cas;
  o.cert_path = cert("KH-ROGUE");
  o.key_path = key("KH-ROGUE");
  o.crl_path = forged;
  o.threads = 2;
  std::unique_ptr<server::HttpsServer> rogue;
  int port = 0;
  for (int attempt = 0; attempt < 5 && !rogue; ++attempt) {
    auto picked = server::PickFreeLoopbackPort();
    ASSERT_TRUE(picked.ok());
    o.port = port = *picked;
    auto started = server::HttpsServer::Start(
        o,
        [](std::string_view, std::string_view, const std::string&) {
          return sync::ServiceReply{Code::kInternal, ""};
        },
        nullptr);
    if (started.ok()) rogue = std::move(started).value();
  }
  ASSERT_TRUE(rogue);
  client::HttpsTransportOptions to;
  to.base_url = "https://127.0.0.1:" + std::to_string(port);
  to.ca_path = ca_pem();
  to.cert_path = cert("KH-POIPET");
  to.key_path = key("KH-POIPET");
  to.max_attempts = 1;
  auto https = client::HttpsTransport::Create(to);
  ASSERT_TRUE(https.ok());
  sync::SyncOptions options;
  EXPECT_FALSE(sync::RunSync(*poipet_->store, **https, Credentials("KH-POIPET"), options).ok());
  ASSERT_FALSE((*https)->revocation_statement().empty());
  Status taken = TakeStatement((*https)->revocation_statement(), "KH-ROGUE");
  EXPECT_EQ(taken.code(), Code::kPermissionDenied) << taken.ToString();
  ExpectCasesReadable();

  // The laptop's links are untouched: it syncs with its office as before.
  SyncOk(*poipet_, *ncct_);
}

TEST_F(RevokedNodeTest, AnOfficeWithOnlyItsPlainListRefusesTheLaptopAndTellsItNothing) {
  // revoked.txt is the office's own word: nothing the laptop could verify,
  // so the handshake is refused as before and nothing is shown.
  WriteText(revoked_path(), "KH-POIPET\n");
  ASSERT_TRUE(ncct_->server->ReloadRevocations().ok());
  auto https = TransportTo(*poipet_, *ncct_);
  sync::SyncOptions options;
  options.expected_peer = "KH-NCCT";
  auto refused = sync::RunSync(*poipet_->store, *https, Credentials("KH-POIPET"), options);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Code::kPermissionDenied) << refused.status().ToString();
  EXPECT_TRUE(https->revocation_statement().empty());
  ExpectCasesReadable();
}

}  // namespace
}  // namespace accord::testing
