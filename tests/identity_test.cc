// Node identity: offices sign requests, peers check who signed them.
#include "sync/identity.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

#include "net/request_signing.h"
#include "sync/openssl_util.h"
#include "tests/pki_fixture.h"

namespace accord::sync {
namespace {

using ::testing::HasSubstr;
using testing::PkiFixture;
using testing::WriteText;

class IdentityTest : public PkiFixture {
 protected:
  void SetUp() override {
    PkiFixture::SetUp();
    Enrol("KH-POIPET");
    Enrol("TH-ARANYA");
  }

  PeerVerifier Verifier() {
    auto v = PeerVerifier::Load(ca_pem(), revoked_path());
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return std::move(v).value();
  }

  NodeSigner Signer(const std::string& node) {
    auto s = NodeSigner::Load(cert(node), key(node));
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return std::move(s).value();
  }

  std::string SignedInput(const std::string& body) {
    net::RequestBinding binding{"push", "KH-POIPET", "KH-NCCT", "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
                                7};
    return net::RequestSigningInput(binding, body).value();
  }
};

TEST_F(IdentityTest, OfficeSignsAndCapitalVerifies) {
  NodeSigner poipet = Signer("KH-POIPET");
  EXPECT_EQ(poipet.node_id(), "KH-POIPET");
  auto sig = poipet.Sign(SignedInput("minutes of 12 March"));
  ASSERT_TRUE(sig.ok());

  auto who = Verifier().VerifySigned(poipet.cert_pem(), SignedInput("minutes of 12 March"), *sig,
                                     "KH-POIPET");
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  EXPECT_EQ(*who, "KH-POIPET");
}

TEST_F(IdentityTest, KeysArePrivateAndCaTravelsWithTheNode) {
  struct stat st {};
  ASSERT_EQ(::stat(key("KH-POIPET").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::stat((ca_dir() + "/ca.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_TRUE(std::filesystem::exists(node_dir("KH-POIPET") + "/ca.pem"));
}

TEST_F(IdentityTest, RefusesToReplaceExistingKeys) {
  Status again = MakeNodeCertificate(ca_dir(), "KH-POIPET", node_dir("KH-POIPET"));
  EXPECT_EQ(again.code(), Code::kFailedPrecondition) << again.ToString();
  Status ca_again = MakeDeploymentCa(ca_dir(), "second thoughts");
  EXPECT_EQ(ca_again.code(), Code::kFailedPrecondition) << ca_again.ToString();
}

TEST_F(IdentityTest, RejectsMalformedNodeIdAtIssue) {
  Status st = MakeNodeCertificate(ca_dir(), "poipet office", node_dir("bad"));
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
}

TEST_F(IdentityTest, KeyFromAnotherOfficeDoesNotLoad) {
  auto s = NodeSigner::Load(cert("KH-POIPET"), key("TH-ARANYA"));
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.status().message(), HasSubstr("does not belong"));
}

TEST_F(IdentityTest, CertificateFromAnotherDeploymentIsRejected) {
  EnrolElsewhere("KH-POIPET");
  auto impostor = NodeSigner::Load(node_dir("other-KH-POIPET") + "/node.pem",
                                   node_dir("other-KH-POIPET") + "/node.key");
  ASSERT_TRUE(impostor.ok());
  auto sig = impostor->Sign(SignedInput("x"));
  ASSERT_TRUE(sig.ok());
  auto who = Verifier().VerifySigned(impostor->cert_pem(), SignedInput("x"), *sig, "KH-POIPET");
  ASSERT_FALSE(who.ok());
  EXPECT_EQ(who.status().code(), Code::kPermissionDenied);
  EXPECT_THAT(who.status().message(), HasSubstr("not issued by this deployment's CA"));
}

TEST_F(IdentityTest, OfficeClaimingAnotherOfficesIdIsRejected) {
  NodeSigner aranya = Signer("TH-ARANYA");
  auto sig = aranya.Sign(SignedInput("x"));
  ASSERT_TRUE(sig.ok());
  auto who = Verifier().VerifySigned(aranya.cert_pem(), SignedInput("x"), *sig, "KH-POIPET");
  ASSERT_FALSE(who.ok());
  EXPECT_EQ(who.status().message(), "node id KH-POIPET claimed but certificate names TH-ARANYA");
}

TEST_F(IdentityTest, RevokedOfficeIsRejectedOthersAreNot) {
  WriteText(revoked_path(), "# lost laptop, 2024-03-02\n  th-aranya   # case does not matter\n\n");
  PeerVerifier verifier = Verifier();
  NodeSigner aranya = Signer("TH-ARANYA");
  auto who = verifier.VerifyCertificate(aranya.cert_pem());
  ASSERT_FALSE(who.ok());
  EXPECT_EQ(who.status().message(), "node TH-ARANYA is revoked");
  EXPECT_TRUE(verifier.VerifyCertificate(Signer("KH-POIPET").cert_pem()).ok());
}

TEST_F(IdentityTest, RevokedBySerialAsOperatorsPasteIt) {
  NodeSigner aranya = Signer("TH-ARANYA");
  auto cert = ossl::ParseCertificate(aranya.cert_pem());
  ASSERT_TRUE(cert.ok());
  std::string serial = ossl::SerialHex(cert->get());
  // "openssl x509 -serial" style, lower case with colons and a leading zero.
  std::string pasted = "serial=0";
  for (size_t i = 0; i < serial.size(); ++i) {
    pasted += static_cast<char>(std::tolower(static_cast<unsigned char>(serial[i])));
    if (i % 2 == 1 && i + 1 < serial.size()) pasted += ':';
  }
  WriteText(revoked_path(), pasted + "\n");
  auto who = Verifier().VerifyCertificate(aranya.cert_pem());
  ASSERT_FALSE(who.ok()) << pasted;
  EXPECT_EQ(who.status().message(), "node TH-ARANYA is revoked");
}

TEST_F(IdentityTest, TamperedBodyIsRejected) {
  NodeSigner poipet = Signer("KH-POIPET");
  auto sig = poipet.Sign(SignedInput("3 cases closed"));
  ASSERT_TRUE(sig.ok());
  auto who =
      Verifier().VerifySigned(poipet.cert_pem(), SignedInput("4 cases closed"), *sig, "KH-POIPET");
  ASSERT_FALSE(who.ok());
  EXPECT_EQ(who.status().message(), "signature does not match");
  EXPECT_FALSE(Verifier().VerifySignature(poipet.cert_pem(), SignedInput("x"), "garbage").ok());
}

TEST_F(IdentityTest, MissingRevocationListMeansNothingRevoked) {
  auto v = PeerVerifier::Load(ca_pem(), dir_ / "no-such-file");
  ASSERT_TRUE(v.ok());
  EXPECT_FALSE(v->IsRevoked("KH-POIPET", ""));
  auto missing_ca = PeerVerifier::Load(dir_ / "nope.pem", "");
  EXPECT_EQ(missing_ca.status().code(), Code::kIo);
}

// Deployments may bring their own PKI: an RSA certificate issued with the
// openssl command line by the same CA must work like ours.
TEST_F(IdentityTest, RsaCertificateFromOpensslCommandLineWorks) {
  if (std::system("command -v openssl >/dev/null 2>&1") != 0) GTEST_SKIP() << "no openssl CLI";
  std::string d = node_dir("KH-RSA");
  std::filesystem::create_directories(d);
  std::string cmd =
      "cd '" + d + "' && openssl req -new -newkey rsa:2048 -nodes -subj /CN=KH-RSA " +
      "-keyout node.key -out node.csr 2>/dev/null && openssl x509 -req -in node.csr " + "-CA '" +
      ca_pem() + "' -CAkey '" + ca_dir() + "/ca.key' -days 30 " + "-out node.pem 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  NodeSigner rsa = Signer("KH-RSA");
  EXPECT_EQ(rsa.node_id(), "KH-RSA");
  auto sig = rsa.Sign(SignedInput("x"));
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(sig->size(), 256u);
  auto who = Verifier().VerifySigned(rsa.cert_pem(), SignedInput("x"), *sig, "KH-RSA");
  EXPECT_TRUE(who.ok()) << who.status().ToString();
}

// Regression: BN_bn2hex prints "0ABC..." when the top nibble is zero (1 in
// 16 random serials), which once failed to match a revoked "ABC...".
TEST_F(IdentityTest, SerialWithLeadingZeroNibbleIsRevoked) {
  if (std::system("command -v openssl >/dev/null 2>&1") != 0) GTEST_SKIP() << "no openssl CLI";
  std::string d = node_dir("KH-ZERO");
  std::filesystem::create_directories(d);
  std::string cmd = "cd '" + d +
                    "' && openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 " +
                    "-nodes -subj /CN=KH-ZERO -keyout node.key -out node.csr 2>/dev/null && " +
                    "openssl x509 -req -in node.csr -CA '" + ca_pem() + "' -CAkey '" + ca_dir() +
                    "/ca.key' -set_serial 0x0ABCDEF1 -days 30 -out node.pem 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  WriteText(revoked_path(), "ABCDEF1\n");
  auto who = Verifier().VerifyCertificate(Signer("KH-ZERO").cert_pem());
  ASSERT_FALSE(who.ok());
  EXPECT_EQ(who.status().message(), "node KH-ZERO is revoked");
}

TEST(RequestSigningTest, CanonicalInputIsStable) {
  net::RequestBinding pull{"pull", "KH-POIPET", "KH-NCCT", "0f1e2d3c4b5a69788796a5b4c3d2e1f0", 42};
  EXPECT_EQ(net::RequestSigningInput(pull, "").value(),
            "accord-req-v2\npull\nKH-POIPET\nKH-NCCT\n0f1e2d3c4b5a69788796a5b4c3d2e1f0\n42\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  net::RequestBinding hello{"hello", "KH-POIPET", "KH-NCCT", net::kNoSession, 0};
  EXPECT_EQ(net::RequestSigningInput(hello, "").value(),
            "accord-req-v2\nhello\nKH-POIPET\nKH-NCCT\n-\n0\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // A field cannot smuggle a line into the input.
  net::RequestBinding smuggled{"pull", "KH-POIPET\nKH-NCCT", "KH-NCCT", "-", 1};
  EXPECT_FALSE(net::RequestSigningInput(smuggled, "").ok());
}

TEST(RequestSigningTest, SessionsAndNumbersHaveOneSpelling) {
  EXPECT_TRUE(net::IsSessionId("0f1e2d3c4b5a69788796a5b4c3d2e1f0"));
  EXPECT_FALSE(net::IsSessionId("0F1E2D3C4B5A69788796A5B4C3D2E1F0"));
  EXPECT_FALSE(net::IsSessionId("0f1e2d3c4b5a69788796a5b4c3d2e1f"));
  EXPECT_FALSE(net::IsSessionId("-"));
  EXPECT_EQ(net::ParseDecimal("0"), 0);
  EXPECT_EQ(net::ParseDecimal("1700000000123"), 1700000000123);
  for (const char* bad : {"", "007", "+7", "-7", "7 ", "1e3", "99999999999999999999"}) {
    EXPECT_FALSE(net::ParseDecimal(bad).has_value()) << bad;
  }
}

TEST(Base64Test, RoundTripsAndRejectsJunk) {
  for (const std::string& s :
       std::vector<std::string>{"", "f", "fo", "foo", "foob", std::string("\0\xff\x10", 3)}) {
    auto back = Base64Decode(Base64Encode(s));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, s);
  }
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_FALSE(Base64Decode("Zm9vYg=").ok());
  EXPECT_FALSE(Base64Decode("Zm9v\nYg==").ok());
  EXPECT_FALSE(Base64Decode("Zm=vYg==").ok());
  EXPECT_FALSE(Base64Decode("Zm9vYg=A").ok());
}

}  // namespace
}  // namespace accord::sync
