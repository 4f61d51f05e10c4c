#include "cli/cli_context.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
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

void RestrictToOwner(const std::string& dir) {
  namespace fs = std::filesystem;
  auto restrict = [](const fs::path& p, mode_t mode) {
    struct stat st {};
    // Never through a link, and only what is ours: chmod follows links.
    if (lstat(p.c_str(), &st) != 0 || S_ISLNK(st.st_mode) || st.st_uid != geteuid()) return;
    if ((st.st_mode & 077) != 0) chmod(p.c_str(), mode);
  };
  std::error_code ec;
  restrict(dir, 0700);
  for (const auto& sub : {fs::path(dir), fs::path(dir) / "tls"}) {
    restrict(sub, 0700);
    for (const auto& entry : fs::directory_iterator(sub, ec)) {
      if (entry.is_regular_file(ec)) restrict(entry.path(), 0600);
    }
  }
}

std::vector<std::string> Context::OwnFiles() const {
  std::string db = DatabasePath();
  return {db, db + "-wal", db + "-shm", db + "-journal", TlsDir()};
}

Result<std::unique_ptr<Store>> Context::OpenStore() const {
  // A node made by an older accord, or copied in, may be readable by others.
  RestrictToOwner(dir);
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
