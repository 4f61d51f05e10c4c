// Demo/test PKI (MakeDeploymentCa, MakeNodeCertificate from identity.h).
// Real deployments may bring certificates from their own CA; these exist so
// that an office can be set up without learning the openssl command line.
#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/node_id.h"
#include "sync/identity.h"
#include "sync/openssl_util.h"

namespace accord::sync {
namespace {

namespace fs = std::filesystem;

constexpr long kCaValidityDays = 3650;
constexpr long kNodeValidityDays = 730;
// Backdate notBefore a little so a node whose clock runs behind the CA's
// does not reject a certificate issued "in its future".
constexpr long kBackdateSeconds = 3600;

Result<ossl::PkeyPtr> NewP256Key() {
  ossl::PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return Internal(ossl::ErrorText("EC P-256 key generation"));
  return key;
}

Status AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) return Internal(ossl::ErrorText(std::string("extension ") + value));
  int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  if (ok != 1) return Internal(ossl::ErrorText("X509_add_ext"));
  return Status::Ok();
}

// A certificate with a random 159-bit serial (positive, under the 20-byte
// limit) so that serials never repeat and can be revoked one by one.
Result<ossl::X509Ptr> NewCertificate(const std::string& cn, EVP_PKEY* key, long days,
                                     const std::string& organisation = "") {
  ossl::X509Ptr cert(X509_new());
  ossl::NamePtr name(X509_NAME_new());
  BIGNUM* serial = BN_new();
  bool ok =
      cert && name && serial && X509_set_version(cert.get(), X509_VERSION_3) == 1 &&
      BN_rand(serial, 159, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1 &&
      BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert.get())) != nullptr &&
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), -kBackdateSeconds) != nullptr &&
      X509_time_adj_ex(X509_getm_notAfter(cert.get()), static_cast<int>(days), 0, nullptr) !=
          nullptr &&
      X509_NAME_add_entry_by_txt(name.get(), "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                                 0) == 1 &&
      (organisation.empty() ||
       X509_NAME_add_entry_by_txt(name.get(), "O", MBSTRING_UTF8,
                                  reinterpret_cast<const unsigned char*>(organisation.c_str()), -1,
                                  -1, 0) == 1) &&
      X509_set_subject_name(cert.get(), name.get()) == 1 && X509_set_pubkey(cert.get(), key) == 1;
  BN_free(serial);
  if (!ok) return Internal(ossl::ErrorText("building certificate for " + cn));
  return cert;
}

Result<std::string> KeyToPem(EVP_PKEY* key) {
  ossl::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return Internal(ossl::ErrorText("PEM_write_bio_PrivateKey"));
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

// O_EXCL for keys: never replace one; `exclusive` false for public files.
Status WriteFile(const fs::path& path, const std::string& content, mode_t mode, bool exclusive) {
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (exclusive ? O_EXCL : O_TRUNC);
  int fd = ::open(path.c_str(), flags, mode);
  if (fd < 0) return IoError("cannot create " + path.string() + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::string err = std::strerror(errno);
      ::close(fd);
      return IoError("cannot write " + path.string() + ": " + err);
    }
    done += static_cast<size_t>(n);
  }
  // A key lost to a crash right after "created" would strand the node.
  bool synced = ::fsync(fd) == 0;
  if (::close(fd) != 0 || !synced) return IoError("cannot flush " + path.string());
  return Status::Ok();
}

Status PrepareDir(const fs::path& dir, const fs::path& key_path) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return IoError("cannot create directory " + dir.string() + ": " + ec.message());
  if (fs::exists(key_path, ec)) {
    return FailedPrecondition(key_path.string() +
                              " already exists; refusing to replace a key (delete it first)");
  }
  return Status::Ok();
}

}  // namespace

Status MakeDeploymentCa(const std::string& dir, const std::string& name) {
  if (name.empty() || name.size() > 64) {
    return InvalidArgument("CA name must be 1 to 64 characters");
  }
  fs::path key_path = fs::path(dir) / "ca.key";
  RETURN_IF_ERROR(PrepareDir(dir, key_path));

  ASSIGN_OR_RETURN(ossl::PkeyPtr key, NewP256Key());
  ASSIGN_OR_RETURN(ossl::X509Ptr cert, NewCertificate(name, key.get(), kCaValidityDays));
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get())) != 1) {
    return Internal(ossl::ErrorText("X509_set_issuer_name"));
  }
  // The CA signs certificates and nothing else; pathlen 0 forbids it from
  // delegating to intermediates nobody asked for.
  RETURN_IF_ERROR(
      AddExtension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0"));
  RETURN_IF_ERROR(
      AddExtension(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign"));
  RETURN_IF_ERROR(AddExtension(cert.get(), cert.get(), NID_subject_key_identifier, "hash"));
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) {
    return Internal(ossl::ErrorText("signing the CA certificate"));
  }
  ASSIGN_OR_RETURN(std::string key_pem, KeyToPem(key.get()));
  RETURN_IF_ERROR(WriteFile(key_path, key_pem, 0600, /*exclusive=*/true));
  return WriteFile(fs::path(dir) / "ca.pem", ossl::CertificateToPem(cert.get()), 0644, false);
}

bool IsValidPartyCode(std::string_view code) {
  if (code.size() < 2 || code.size() > 8) return false;
  for (char c : code) {
    if (c < 'A' || c > 'Z') return false;
  }
  return true;
}

std::string PartyFromNodeId(std::string_view node_id) {
  size_t dash = node_id.find('-');
  if (dash == std::string_view::npos) return "";
  std::string prefix(node_id.substr(0, dash));
  return IsValidPartyCode(prefix) ? prefix : "";
}

Status MakeNodeCertificate(const std::string& ca_dir, const std::string& node_id,
                           const std::string& out_dir, const std::string& party) {
  if (!IsValidNodeId(node_id)) {
    return InvalidArgument("\"" + node_id +
                           "\" is not a valid node id (letters, digits, '-', 1-32)");
  }
  if (!party.empty() && !IsValidPartyCode(party)) {
    return InvalidArgument("\"" + party + "\" is not a party code (2-8 capital letters, e.g. KH)");
  }
  fs::path ca_pem_path = fs::path(ca_dir) / "ca.pem";
  fs::path ca_key_path = fs::path(ca_dir) / "ca.key";
  ASSIGN_OR_RETURN(std::string ca_pem, ossl::ReadFile(ca_pem_path));
  ASSIGN_OR_RETURN(std::string ca_key_pem, ossl::ReadFile(ca_key_path));
  ASSIGN_OR_RETURN(ossl::X509Ptr ca, ossl::ParseCertificate(ca_pem));
  ASSIGN_OR_RETURN(ossl::PkeyPtr ca_key, ossl::ParsePrivateKey(ca_key_pem));
  if (X509_check_private_key(ca.get(), ca_key.get()) != 1) {
    ERR_clear_error();
    return InvalidArgument(ca_key_path.string() + " does not belong to " + ca_pem_path.string());
  }

  fs::path key_path = fs::path(out_dir) / "node.key";
  RETURN_IF_ERROR(PrepareDir(out_dir, key_path));
  ASSIGN_OR_RETURN(ossl::PkeyPtr key, NewP256Key());
  ASSIGN_OR_RETURN(ossl::X509Ptr cert,
                   NewCertificate(node_id, key.get(), kNodeValidityDays, party));
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(ca.get())) != 1) {
    return Internal(ossl::ErrorText("X509_set_issuer_name"));
  }
  // Every node is both a TLS client (when it syncs) and a server (when
  // others sync with it), so one certificate carries both purposes.
  RETURN_IF_ERROR(AddExtension(cert.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE"));
  RETURN_IF_ERROR(AddExtension(cert.get(), ca.get(), NID_key_usage, "critical,digitalSignature"));
  RETURN_IF_ERROR(AddExtension(cert.get(), ca.get(), NID_ext_key_usage, "serverAuth,clientAuth"));
  RETURN_IF_ERROR(AddExtension(cert.get(), ca.get(), NID_subject_key_identifier, "hash"));
  RETURN_IF_ERROR(AddExtension(cert.get(), ca.get(), NID_authority_key_identifier, "keyid"));
  if (X509_sign(cert.get(), ca_key.get(), EVP_sha256()) <= 0) {
    return Internal(ossl::ErrorText("signing the node certificate"));
  }

  ASSIGN_OR_RETURN(std::string key_pem, KeyToPem(key.get()));
  RETURN_IF_ERROR(WriteFile(key_path, key_pem, 0600, /*exclusive=*/true));
  RETURN_IF_ERROR(
      WriteFile(fs::path(out_dir) / "node.pem", ossl::CertificateToPem(cert.get()), 0644, false));
  std::error_code ec;
  fs::path out_ca = fs::path(out_dir) / "ca.pem";
  if (fs::exists(out_ca, ec) && fs::equivalent(out_ca, ca_pem_path, ec)) return Status::Ok();
  return WriteFile(out_ca, ca_pem, 0644, false);
}

}  // namespace accord::sync
