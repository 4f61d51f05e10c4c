#include "cli/cli_context.h"

#include <cstdlib>
#include <iostream>

namespace accord::cli {

std::string DefaultNodeDir() {
  if (const char* dir = std::getenv("ACCORD_DIR"); dir && *dir) return dir;
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg)
    return std::string(xdg) + "/accord";
  if (const char* home = std::getenv("HOME"); home && *home)
    return std::string(home) + "/.local/share/accord";
  return "./accord-node";
}

Result<std::unique_ptr<Store>> Context::OpenStore() const {
  auto store = Store::Open(DatabasePath());
  if (!store.ok()) return store.status().WithContext("node directory " + dir + ": ");
  return store;
}

int Fail(const Status& status) {
  std::cerr << "accord: " << status.message() << "\n";
  return kExitFailure;
}

int UsageError(const Status& status) {
  std::cerr << "accord: " << status.message() << "\n";
  return kExitUsage;
}

void OnRun(CLI::App* command, Runner& run, Runner body) {
  command->callback([&run, body = std::move(body)] { run = body; });
}

void AddJsonFlag(CLI::App* command, Context& ctx) {
  command->add_flag("--json", ctx.json, "Print JSON for scripts");
}

void PrintJson(const nlohmann::json& value) {
  std::cout << value.dump(2) << "\n";
}

}  // namespace accord::cli
