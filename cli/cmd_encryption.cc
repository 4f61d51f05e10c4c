// Encryption at rest (docs/encryption.md): `accord encrypt`, `accord
// passphrase change`, `accord key export`, `accord rekey` (a node locked by
// its revocation); `accord init --encrypt` uses MakeWrappedKey.
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "cli/cli_context.h"
#include "core/key_file.h"
#include "sync/identity.h"
#include "sync/revocation_list.h"

namespace accord::cli {

namespace {

int RunEncrypt(const Context& ctx, const std::vector<std::string>& also_personal) {
  RestrictToOwner(ctx.dir);
  std::shared_ptr<const DataKey> key;
  std::error_code ec;
  if (std::filesystem::exists(ctx.WrappedKeyPath(), ec)) {
    // Encrypted before (or stopped half-way): the same key, with its passphrase.
    auto loaded = ctx.LoadDataKey();
    if (!loaded.ok()) return Fail(loaded.status());
    if (!*loaded) {
      return Fail(
          FailedPrecondition("this node has a data key: give its passphrase (ACCORD_PASSPHRASE or "
                             "--passphrase-file)"));
    }
    key = std::move(loaded).value();
  }
  auto store = Store::Open(ctx.DatabasePath());
  if (!store.ok()) return Fail(store.status().WithContext("node directory " + ctx.dir + ": "));
  if (!key) {
    auto made = MakeWrappedKey(ctx);
    if (!made.ok()) return Fail(made.status());
    key = std::move(made).value();
  }
  auto report = (*store)->EncryptPersonalData(key, also_personal);
  if (!report.ok()) return Fail(report.status());
  if (ctx.json) {
    PrintJson({{"cells_sealed", report->cells_sealed},
               {"versions", report->rows},
               {"files_sealed", report->files_sealed}});
  } else {
    std::cout << "encrypted " << report->cells_sealed << " cells of personal data in "
              << report->rows << " versions";
    if (report->files_sealed) std::cout << " and " << report->files_sealed << " case file(s)";
    std::cout << "; the key is wrapped in " << ctx.WrappedKeyPath() << "\n";
  }
  return kExitOk;
}

int RunPassphraseChange(const Context& ctx, const std::string& new_file) {
  std::error_code ec;
  if (!std::filesystem::exists(ctx.WrappedKeyPath(), ec)) {
    return Fail(FailedPrecondition("this node has no wrapped data key (" + ctx.WrappedKeyPath() +
                                   "): run `accord encrypt` first"));
  }
  auto old_passphrase = ctx.Passphrase();
  if (!old_passphrase.ok()) return Fail(old_passphrase.status());
  if (!*old_passphrase) return Fail(FailedPrecondition("give the current passphrase"));
  auto key = UnwrapKey(ctx.WrappedKeyPath(), **old_passphrase);
  if (!key.ok()) return Fail(key.status());
  Context fresh = ctx;
  fresh.passphrase_file = new_file;
  std::optional<std::string> next;
  if (const char* env = std::getenv("ACCORD_NEW_PASSPHRASE"); new_file.empty() && env && *env) {
    next = env;
  } else if (!new_file.empty()) {
    auto read = fresh.Passphrase();
    if (!read.ok()) return Fail(read.status());
    next = *read;
  }
  if (!next) {
    return Fail(FailedPrecondition(
        "give the new passphrase: --new-passphrase-file or ACCORD_NEW_PASSPHRASE"));
  }
  // Only the wrapped key changes: the database is not touched.
  Status written = WriteWrappedKey(ctx.WrappedKeyPath(), *key, *next, PassphraseCost{});
  if (!written.ok()) return Fail(written);
  std::cout << "passphrase changed for " << ctx.WrappedKeyPath() << "\n";
  return kExitOk;
}

int RunKeyExport(const Context& ctx, const std::string& out) {
  auto key = ctx.LoadDataKey();
  if (!key.ok()) return Fail(key.status());
  if (!*key) {
    return Fail(FailedPrecondition(
        "no data key opened: give the passphrase (ACCORD_PASSPHRASE or --passphrase-file)"));
  }
  Status written = WriteRawKeyFile(out, **key, ctx.OwnFiles());
  if (!written.ok()) return Fail(written);
  std::cout << "wrote the raw data key to " << out
            << " (anyone holding it reads this node's cases: keep it like the passphrase)\n";
  return kExitOk;
}

struct RekeyArgs {
  std::string cert, key, key_export;
};

// A node that locked itself when it learnt its certificate was revoked
// (docs/encryption.md, "When the node is revoked"): an administrator gives
// it a new certificate from the CA and its data key from an export held
// elsewhere. Everything is checked before anything changes.
int RunRekey(const Context& ctx, const RekeyArgs& args) {
  auto store = Store::Open(ctx.DatabasePath());
  if (!store.ok()) return Fail(store.status().WithContext("node directory " + ctx.dir + ": "));
  const auto& lock = (*store)->revocation_lock();
  if (!lock) return Fail(FailedPrecondition("this node's personal data is not locked"));
  if (lock->destroyed) return Fail((*store)->LiftRevocationLock(nullptr));  // says why not
  auto key = ReadRawKeyFile(args.key_export);
  if (!key.ok()) return Fail(key.status().WithContext(args.key_export + ": "));
  if (key->KeyId() != (*store)->data_key_id()) {
    return Fail(PermissionDenied(args.key_export +
                                 " is not this node's data key (the node's key "
                                 "id is " +
                                 (*store)->data_key_id() + "): nothing was changed"));
  }
  auto signer = sync::NodeSigner::Load(args.cert, args.key);
  if (!signer.ok()) return Fail(signer.status());
  if (signer->node_id() != (*store)->node_id()) {
    return Fail(InvalidArgument(args.cert + " names " + signer->node_id() + ", not this node (" +
                                (*store)->node_id() + ")"));
  }
  auto serial = sync::CertificateSerial(signer->cert_pem());
  if (!serial.ok()) return Fail(serial.status());
  if (*serial == lock->serial_hex) {
    return Fail(InvalidArgument(args.cert +
                                " is the certificate the CA revoked: issue a new one (accord cert "
                                "node --ca-dir CA --node-id " +
                                (*store)->node_id() + " --out NEW-DIR)"));
  }
  const std::string tls = ctx.TlsDir();
  auto trust =
      sync::PeerVerifier::Load(tls + "/ca.pem", tls + "/revoked.txt", tls + "/revoked.crl");
  if (!trust.ok()) return Fail(trust.status());
  if (auto checked = trust->VerifyCertificate(signer->cert_pem()); !checked.ok()) {
    return Fail(checked.status().WithContext(args.cert + ": "));
  }
  auto passphrase = ctx.Passphrase(/*confirm=*/true);
  if (!passphrase.ok()) return Fail(passphrase.status());
  if (!*passphrase) {
    return Fail(FailedPrecondition(
        "give the node's new passphrase: ACCORD_PASSPHRASE, --passphrase-file, or type it"));
  }
  // Checked: now the new certificate, the key wrapped again, and the lock
  // lifted last, so that a failure half-way leaves the node locked.
  std::error_code ec;
  for (const auto& [from, to] :
       {std::pair{args.cert, tls + "/node.pem"}, std::pair{args.key, tls + "/node.key"}}) {
    if (std::filesystem::equivalent(from, to, ec)) continue;
    std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing, ec);
    if (ec) return Fail(IoError("cannot copy " + from + " to " + to + ": " + ec.message()));
  }
  std::filesystem::create_directories(ctx.KeysDir(), ec);
  RestrictToOwner(ctx.dir);
  auto shared = std::make_shared<const DataKey>(*key);
  if (Status st = WriteWrappedKey(ctx.WrappedKeyPath(), *shared, **passphrase, PassphraseCost{});
      !st.ok()) {
    return Fail(st);
  }
  if (Status st = (*store)->LiftRevocationLock(shared); !st.ok()) return Fail(st);
  if (ctx.json) {
    PrintJson({{"node_id", (*store)->node_id()}, {"serial", *serial}, {"unlocked", true}});
  } else {
    std::cout << "re-keyed " << (*store)->node_id() << ": new certificate " << *serial << " in "
              << tls << ", data key wrapped again in " << ctx.WrappedKeyPath()
              << "; personal data unlocked\n";
  }
  return kExitOk;
}

}  // namespace

Result<std::shared_ptr<const DataKey>> MakeWrappedKey(const Context& ctx) {
  std::error_code ec;
  if (std::filesystem::exists(ctx.WrappedKeyPath(), ec)) {
    return FailedPrecondition("a data key exists already at " + ctx.WrappedKeyPath());
  }
  ASSIGN_OR_RETURN(std::optional<std::string> passphrase, ctx.Passphrase(/*confirm=*/true));
  if (!passphrase) {
    return FailedPrecondition(
        "give the office's passphrase: ACCORD_PASSPHRASE, --passphrase-file, or type it on a "
        "terminal");
  }
  std::filesystem::create_directories(ctx.KeysDir(), ec);
  if (ec) return IoError("cannot create " + ctx.KeysDir() + ": " + ec.message());
  RestrictToOwner(ctx.dir);
  auto key = std::make_shared<const DataKey>(DataKey::Generate());
  RETURN_IF_ERROR(WriteWrappedKey(ctx.WrappedKeyPath(), *key, *passphrase, PassphraseCost{}));
  return std::shared_ptr<const DataKey>(std::move(key));
}

void AddEncryptionCommands(CLI::App& app, Context& ctx, Runner& run) {
  auto* encrypt = app.add_subcommand(
      "encrypt",
      "Encrypt this node's personal data (cases, family tracing, case reviews) at rest, under a "
      "key wrapped by the office's passphrase");
  auto personal = std::make_shared<std::vector<std::string>>();
  encrypt->add_option("--personal", *personal,
                      "Also treat this record type as personal (repeatable; kept for every later "
                      "write)");
  AddJsonFlag(encrypt, ctx);
  OnRun(encrypt, run, [&ctx, personal] { return RunEncrypt(ctx, *personal); });

  auto* passphrase = app.add_subcommand("passphrase", "The passphrase of an encrypted node");
  passphrase->require_subcommand(1);
  auto new_file = std::make_shared<std::string>();
  auto* change = passphrase->add_subcommand(
      "change", "Wrap the data key under a new passphrase (the database is not touched)");
  change->add_option("--new-passphrase-file", *new_file,
                     "File holding the new passphrase (else $ACCORD_NEW_PASSPHRASE)");
  OnRun(change, run, [&ctx, new_file] { return RunPassphraseChange(ctx, *new_file); });

  auto* key = app.add_subcommand("key", "The data key of an encrypted node");
  key->require_subcommand(1);
  auto out = std::make_shared<std::string>();
  auto* exported = key->add_subcommand(
      "export",
      "Write the raw data key to a file, for `accord serve --key-file` or a systemd "
      "credential");
  exported->add_option("--out", *out, "The key file to write (mode 0600)")->required();
  OnRun(exported, run, [&ctx, out] { return RunKeyExport(ctx, *out); });

  auto rekey_args = std::make_shared<RekeyArgs>();
  auto* rekey = app.add_subcommand(
      "rekey",
      "Unlock a node that locked itself when its certificate was revoked: a new certificate "
      "from the CA and the data key from an export (asks for the node's new passphrase)");
  rekey->add_option("--cert", rekey_args->cert, "The node's new certificate (accord cert node)")
      ->required();
  rekey->add_option("--key", rekey_args->key, "Its private key")->required();
  rekey
      ->add_option("--key-export", rekey_args->key_export,
                   "The data key, as `accord key export` wrote it (held off the node)")
      ->required();
  AddJsonFlag(rekey, ctx);
  OnRun(rekey, run, [&ctx, rekey_args] { return RunRekey(ctx, *rekey_args); });
}

}  // namespace accord::cli
