#include "cli/cli_context.h"

#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "core/key_file.h"
#include "sync/signed_changes.h"

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
  for (const auto& sub : {fs::path(dir), fs::path(dir) / "tls", fs::path(dir) / "keys"}) {
    restrict(sub, 0700);
    for (const auto& entry : fs::directory_iterator(sub, ec)) {
      if (entry.is_regular_file(ec)) restrict(entry.path(), 0600);
    }
  }
}

std::vector<std::string> Context::OwnFiles() const {
  std::string db = DatabasePath();
  std::vector<std::string> own = {db,       db + "-wal", db + "-shm", db + "-journal",
                                  TlsDir(), KeysDir()};
  // The secrets the node is given from outside its directory.
  for (const std::string& file : {key_file, passphrase_file, password_file}) {
    if (!file.empty()) own.push_back(file);
  }
  if (const char* env = std::getenv("ACCORD_KEY_FILE"); env && *env) own.push_back(env);
  if (const char* creds = std::getenv("CREDENTIALS_DIRECTORY"); creds && *creds) {
    own.push_back(std::string(creds) + "/accord-key");
  }
  // Last, so that a refusal names the most precise entry: everything else
  // in the node directory (attachments, logs, what a later version adds).
  own.push_back(dir);
  return own;
}

namespace {

// A line typed on the terminal without echo; nullopt when stdin is no terminal.
std::optional<std::string> AskWithoutEcho(const std::string& prompt) {
  if (!isatty(STDIN_FILENO)) return std::nullopt;
  termios old_mode{};
  tcgetattr(STDIN_FILENO, &old_mode);
  termios quiet = old_mode;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  std::cerr << prompt << std::flush;
  std::string line;
  std::getline(std::cin, line);
  tcsetattr(STDIN_FILENO, TCSAFLUSH, &old_mode);
  std::cerr << "\n";
  return line;
}

}  // namespace

Result<std::optional<std::string>> Context::Passphrase(bool confirm) const {
  if (!passphrase_file.empty()) {
    std::ifstream in(passphrase_file, std::ios::binary);
    if (!in) return IoError("cannot read the passphrase file " + passphrase_file);
    std::ostringstream text;
    text << in.rdbuf();
    std::string passphrase = text.str();
    if (!passphrase.empty() && passphrase.back() == '\n') passphrase.pop_back();
    if (!passphrase.empty() && passphrase.back() == '\r') passphrase.pop_back();
    if (passphrase.empty())
      return InvalidArgument("the passphrase file " + passphrase_file + " is empty");
    return std::optional<std::string>(passphrase);
  }
  if (const char* env = std::getenv("ACCORD_PASSPHRASE"); env && *env) {
    return std::optional<std::string>(env);
  }
  auto typed = AskWithoutEcho("passphrase of node " + dir + ": ");
  if (!typed) return std::optional<std::string>();
  if (confirm) {
    auto again = AskWithoutEcho("the same passphrase again: ");
    if (!again || *again != *typed) return InvalidArgument("the two passphrases differ");
  }
  if (typed->empty()) return InvalidArgument("the passphrase is empty");
  return typed;
}

Result<std::shared_ptr<const DataKey>> Context::LoadDataKey() const {
  if (loaded_key_) return *loaded_key_;
  auto key = FindDataKey();
  if (key.ok()) loaded_key_ = *key;
  return key;
}

Result<std::shared_ptr<const DataKey>> Context::FindDataKey() const {
  std::string raw = key_file;
  if (raw.empty()) {
    if (const char* env = std::getenv("ACCORD_KEY_FILE"); env && *env) raw = env;
  }
  if (raw.empty()) {
    // systemd's LoadCredential=accord-key:PATH.
    if (const char* creds = std::getenv("CREDENTIALS_DIRECTORY"); creds && *creds) {
      std::error_code ec;
      std::string path = std::string(creds) + "/accord-key";
      if (std::filesystem::exists(path, ec)) raw = path;
    }
  }
  if (!raw.empty()) {
    ASSIGN_OR_RETURN(DataKey key, ReadRawKeyFile(raw));
    return std::make_shared<const DataKey>(std::move(key));
  }
  std::error_code ec;
  if (!std::filesystem::exists(WrappedKeyPath(), ec)) return std::shared_ptr<const DataKey>();
  ASSIGN_OR_RETURN(std::optional<std::string> passphrase, Passphrase());
  if (!passphrase) return std::shared_ptr<const DataKey>();
  ASSIGN_OR_RETURN(DataKey key, UnwrapKey(WrappedKeyPath(), *passphrase));
  return std::make_shared<const DataKey>(std::move(key));
}

Result<std::unique_ptr<Store>> Context::OpenStore() const {
  // A node made by an older accord, or copied in, may be readable by others.
  RestrictToOwner(dir);
  // The key is checked before the database is opened: a wrong passphrase
  // changes nothing.
  auto key = LoadDataKey();
  if (!key.ok()) return key.status().WithContext("node directory " + dir + ": ");
  StoreOptions options;
  options.data_key = std::move(key).value();
  auto store = Store::Open(DatabasePath(), std::move(options));
  if (!store.ok()) return store.status().WithContext("node directory " + dir + ": ");
  return store;
}

namespace {

// A write is signed where it is made, with the node's own key when the node
// holds it (tls/node.pem and node.key): the first sync of many fresh writes
// then reads them sealed. A node without its certificate yet, or a key that
// cannot seal, leaves the write unsealed for its next sync to seal.
void SealWritesAsMade(const Context& ctx, Store& store) {
  const std::string cert = ctx.TlsDir() + "/node.pem", key = ctx.TlsDir() + "/node.key";
  std::error_code ec;
  if (!std::filesystem::exists(cert, ec) || !std::filesystem::exists(key, ec)) return;
  auto signer = sync::NodeSigner::Load(cert, key);
  if (!signer.ok()) {
    std::cerr << "warning: this node's key cannot sign writes (" << signer.status().message()
              << "): they are signed at the next sync\n";
    return;
  }
  auto seal = sync::SealerFor(std::make_shared<const sync::NodeSigner>(std::move(signer).value()));
  store.SealWritesAsMade([seal = std::move(seal)](Store& s) {
    Status st = seal(s);
    if (!st.ok()) {
      std::cerr << "warning: the write is in, but was not signed (" << st.message()
                << "): it is signed at the next sync\n";
    }
    return st;
  });
}

}  // namespace

Result<std::unique_ptr<Store>> Context::OpenStoreAs() const {
  ASSIGN_OR_RETURN(std::unique_ptr<Store> store, OpenStore());
  SealWritesAsMade(*this, *store);
  std::string name = as_user;
  if (name.empty()) {
    if (const char* env = std::getenv("ACCORD_USER"); env && *env) name = env;
  }
  ASSIGN_OR_RETURN(bool has_users, store->HasUsers());
  if (!has_users) {
    // The store refuses a named user on a node without users, at the write.
    store->ActAs(name);
    return store;
  }
  if (name.empty()) {
    return PermissionDenied(
        "this node has users: say who writes with --as NAME or ACCORD_USER (`accord user "
        "list`), with that user's password");
  }
  ASSIGN_OR_RETURN(std::string password, ReadPassword(password_file, "ACCORD_PASSWORD", name,
                                                      /*confirm=*/false));
  ASSIGN_OR_RETURN(User user, store->Authenticate(name, password));
  store->ActAs(user.name);
  return store;
}

void AddActingUserOptions(CLI::App* command, Context& ctx) {
  command->add_option("--as", ctx.as_user,
                      "The office user making this change (default: $ACCORD_USER); needed once "
                      "the node has users");
  command->add_option("--password-file", ctx.password_file,
                      "File holding that user's password (default: $ACCORD_PASSWORD, else asked "
                      "on the terminal)");
}

namespace {

// One line from the terminal with echo off.
Result<std::string> AskHidden(const std::string& prompt) {
  std::cerr << prompt << std::flush;
  termios old{};
  bool restore = tcgetattr(STDIN_FILENO, &old) == 0;
  if (restore) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  bool got = static_cast<bool>(std::getline(std::cin, line));
  if (restore) tcsetattr(STDIN_FILENO, TCSANOW, &old);
  std::cerr << "\n";
  if (!got) return InvalidArgument("no password was typed");
  return line;
}

}  // namespace

Result<std::string> ReadPassword(const std::string& file, const char* env, const std::string& whose,
                                 bool confirm) {
  if (!file.empty()) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return NotFound("cannot read the password file " + file);
    std::stringstream text;
    text << in.rdbuf();
    std::string password = text.str();
    if (!password.empty() && password.back() == '\n') password.pop_back();
    if (!password.empty() && password.back() == '\r') password.pop_back();
    if (password.empty()) return InvalidArgument("the password file " + file + " is empty");
    return password;
  }
  if (const char* value = std::getenv(env); value && *value) return std::string(value);
  if (!isatty(STDIN_FILENO)) {
    return PermissionDenied("no password for user " + whose + ": set " + env +
                            ", give --password-file FILE, or run on a terminal");
  }
  ASSIGN_OR_RETURN(std::string first, AskHidden("password for " + whose + ": "));
  if (!confirm) return first;
  ASSIGN_OR_RETURN(std::string second, AskHidden("the same password again: "));
  if (first != second) return InvalidArgument("the two passwords differ: nothing changed");
  return first;
}

std::string WrittenBy(const FieldVersion& v) {
  return v.author.empty() ? v.origin : v.author + "@" + v.origin;
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

std::string JsonText(const nlohmann::json& value, int indent) {
  return value.dump(indent, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace);
}

void PrintJson(const nlohmann::json& value) {
  std::cout << JsonText(value, 2) << "\n";
}

}  // namespace accord::cli
