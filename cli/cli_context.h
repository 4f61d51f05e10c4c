// What every `accord` command shares: the node directory, opening the store,
// printing results and turning a Status into an exit code.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/status.h"
#include "core/store.h"

namespace accord::cli {

// Exit statuses every command keeps: 0 success, 1 failure, 2 bad usage.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

struct Context {
  std::string dir;  // the node directory (--dir, $ACCORD_DIR, or the XDG data dir)
  bool json = false;
  // The office user a write is made by (docs/users.md): --as, else
  // $ACCORD_USER; the password from --password-file, else $ACCORD_PASSWORD,
  // else a prompt on the terminal.
  std::string as_user;
  std::string password_file;
  // Where the data key of an encrypted node comes from (docs/encryption.md).
  std::string passphrase_file;  // --passphrase-file
  std::string key_file;         // --key-file

  std::string DatabasePath() const { return dir + "/accord.db"; }
  std::string TlsDir() const { return dir + "/tls"; }
  std::string KeysDir() const { return dir + "/keys"; }
  // The data key, wrapped under the office's passphrase (core/key_file.h).
  std::string WrappedKeyPath() const { return KeysDir() + "/data-key"; }
  // The office's passphrase: --passphrase-file, else $ACCORD_PASSPHRASE, else
  // asked on the terminal (twice with `confirm`); nullopt when none is given
  // and there is no terminal.
  Result<std::optional<std::string>> Passphrase(bool confirm = false) const;
  // A raw key file given (--key-file, $ACCORD_KEY_FILE, or the systemd
  // credential $CREDENTIALS_DIRECTORY/accord-key), else the wrapped key
  // opened with the passphrase; nullptr when the node has no wrapped key or
  // no passphrase was given (personal data stays locked). A wrong passphrase
  // is an error: nothing is opened, nothing changes.
  // Loaded once per process (a passphrase costs an Argon2id derivation).
  Result<std::shared_ptr<const DataKey>> LoadDataKey() const;
  // What no output file may replace and no attachment may take in
  // (core/protected_paths.h): the database with its WAL and shared memory
  // files, the TLS and data keys, the key, passphrase and password files
  // given, and anything else in the node directory.
  std::vector<std::string> OwnFiles() const;
  Result<std::unique_ptr<Store>> OpenStore() const;
  // OpenStore for a local write: on a node with users, signs in the acting
  // user (kPermissionDenied for an unknown or disabled user or a wrong
  // password) and makes the store's writes theirs. On a node without users
  // nothing is asked.
  Result<std::unique_ptr<Store>> OpenStoreAs() const;

 private:
  Result<std::shared_ptr<const DataKey>> FindDataKey() const;
  mutable std::optional<std::shared_ptr<const DataKey>> loaded_key_;
};

// --as and --password-file, on every command that writes.
void AddActingUserOptions(CLI::App* command, Context& ctx);

// A password: from `file` when given (one trailing newline dropped), else
// the environment variable `env`, else asked on the terminal (twice when
// `confirm`). `whose` names the user in the prompt and the errors.
Result<std::string> ReadPassword(const std::string& file, const char* env, const std::string& whose,
                                 bool confirm);

// Who wrote a version: "sokha.kh@KH-NCCT", or the node alone when its origin
// has no users.
std::string WrittenBy(const FieldVersion& v);

// Makes the node directory, its tls/ folder and the files in both readable by
// the owner only (directories 0700, files 0600). Best effort: a file owned by
// someone else or a symbolic link is left alone.
void RestrictToOwner(const std::string& dir);

// The default node directory when --dir is not given.
std::string DefaultNodeDir();

// Prints the error on stderr and returns kExitFailure: the command was
// understood but could not be done (a store, file, peer or network error,
// whatever its code).
int Fail(const Status& status);
// Prints the error on stderr and returns kExitUsage. Only for what is found
// while parsing arguments, before any store, file or peer is touched.
int UsageError(const Status& status);

// JSON text of `value`. Bytes that are not UTF-8 (a file name from another
// encoding, text from an older peer) are shown as U+FFFD instead of
// throwing once the command's work is done.
std::string JsonText(const nlohmann::json& value, int indent = -1);
void PrintJson(const nlohmann::json& value);

// A command registers its options on the app; when it is the one chosen,
// `run` is set to its body, which main() calls after parsing.
using Runner = std::function<int()>;
void OnRun(CLI::App* command, Runner& run, Runner body);
void AddJsonFlag(CLI::App* command, Context& ctx);

void AddRecordCommands(CLI::App& app, Context& ctx, Runner& run);
void AddSyncCommands(CLI::App& app, Context& ctx, Runner& run);
void AddConflictCommands(CLI::App& app, Context& ctx, Runner& run);
void AddBundleCommands(CLI::App& app, Context& ctx, Runner& run);
void AddPeerCommands(CLI::App& app, Context& ctx, Runner& run);
void AddSharingCommands(CLI::App& app, Context& ctx, Runner& run);
void AddUserCommands(CLI::App& app, Context& ctx, Runner& run);
void AddSearchCommands(CLI::App& app, Context& ctx, Runner& run);
void AddSignatureCommands(CLI::App& app, Context& ctx, Runner& run);
// accord report actions | plan (core/reports.h).
void AddReportCommands(CLI::App& app, Context& ctx, Runner& run);
// retention prune.
void AddRetentionCommands(CLI::App& app, Context& ctx, Runner& run);
// A retention run, as `retention prune` prints it (also after sync and in
// serve's log).
nlohmann::json RetentionReportJson(const RetentionReport& report);
void PrintRetentionReport(const RetentionReport& report, std::ostream& out);
// encrypt, passphrase change, key export (init --encrypt is with init).
void AddEncryptionCommands(CLI::App& app, Context& ctx, Runner& run);
void AddPurgeCommands(CLI::App& app, Context& ctx, Runner& run);
// attach, attachments, attachment save (docs/attachments.md).
void AddAttachmentCommands(CLI::App& app, Context& ctx, Runner& run);
// Makes a new data key, wraps it under a passphrase asked for (confirmed on
// a terminal) into the node's keys/ folder, and returns it. Refuses when a
// wrapped key is there already.
Result<std::shared_ptr<const DataKey>> MakeWrappedKey(const Context& ctx);

}  // namespace accord::cli
