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

  std::string DatabasePath() const { return dir + "/accord.db"; }
  std::string TlsDir() const { return dir + "/tls"; }
  Result<std::unique_ptr<Store>> OpenStore() const;
};

// The default node directory when --dir is not given.
std::string DefaultNodeDir();

// Prints the error on stderr and returns the exit code: 2 when the user's
// arguments were wrong (`usage_on_invalid`), 1 otherwise.
int Fail(const Status& status, bool usage_on_invalid = true);

void PrintJson(const nlohmann::json& value);

// A command registers itself on the app and sets `run` when chosen.
using Runner = std::function<int()>;

void AddRecordCommands(CLI::App& app, Context& ctx, Runner& run);
void AddSyncCommands(CLI::App& app, Context& ctx, Runner& run);
void AddConflictCommands(CLI::App& app, Context& ctx, Runner& run);
void AddBundleCommands(CLI::App& app, Context& ctx, Runner& run);
void AddPeerCommands(CLI::App& app, Context& ctx, Runner& run);

}  // namespace accord::cli
