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

  std::string DatabasePath() const { return dir + "/accord.db"; }
  std::string TlsDir() const { return dir + "/tls"; }
  // What no output file may replace: the database with its WAL and shared
  // memory files, and the keys.
  std::vector<std::string> OwnFiles() const;
  Result<std::unique_ptr<Store>> OpenStore() const;
  // OpenStore for a local write: on a node with users, signs in the acting
  // user (kPermissionDenied for an unknown or disabled user or a wrong
  // password) and makes the store's writes theirs. On a node without users
  // nothing is asked.
  Result<std::unique_ptr<Store>> OpenStoreAs() const;
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

}  // namespace accord::cli
