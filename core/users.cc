// Office users: names, rights, Argon2id password hashes (libsodium), and the
// Store calls that keep them in the users table (layout 9).
#include "core/users.h"

#include <sodium.h>

#include <algorithm>
#include <set>

#include "core/store.h"
#include "core/text_rule.h"

namespace accord {

namespace {

constexpr size_t kMaxUserName = 32;
constexpr size_t kMaxDisplayName = 200;  // bytes, after normalisation
constexpr size_t kMaxPassword = 1024;

const std::set<std::string_view>& KnownRights() {
  static const std::set<std::string_view> rights = {kRightAdmin, kRightPurge, kRightResolve,
                                                    kRightWrite};
  return rights;
}

// libsodium must be initialised once before use; sodium_init is safe to
// call from several threads and again.
Status EnsureSodium() {
  static const int result = sodium_init();
  if (result < 0) return Internal("libsodium could not be initialised");
  return Status::Ok();
}

}  // namespace

bool User::Has(std::string_view right) const {
  return std::find(rights.begin(), rights.end(), right) != rights.end();
}

Status CheckUserName(std::string_view name) {
  auto fail = [&](const std::string& why) {
    return InvalidArgument("'" + std::string(name) + "' is not a user name: " + why +
                           " (lowercase letters, digits, '.', '_' and '-', starting with a letter "
                           "or digit, at most 32, e.g. sokha.kh)");
  };
  if (name.empty()) return fail("it is empty");
  if (name.size() > kMaxUserName) return fail("it is longer than 32 characters");
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (alnum) continue;
    if (i > 0 && (c == '.' || c == '_' || c == '-')) continue;
    return fail(i == 0 ? "it must start with a lowercase letter or digit"
                       : "it holds '" + std::string(1, c) + "'");
  }
  return Status::Ok();
}

Result<std::vector<std::string>> ParseRights(std::string_view text) {
  std::set<std::string> rights;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    std::string_view word = text.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (!word.empty()) {
      if (!KnownRights().count(word)) {
        return InvalidArgument("unknown right '" + std::string(word) +
                               "' (rights: write, resolve, purge, admin)");
      }
      rights.insert(std::string(word));
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return std::vector<std::string>(rights.begin(), rights.end());
}

std::string RightsText(const std::vector<std::string>& rights) {
  std::string out;
  for (const auto& r : rights) out += (out.empty() ? "" : ",") + r;
  return out;
}

Result<std::string> HashPassword(std::string_view password, PasswordCost cost) {
  RETURN_IF_ERROR(EnsureSodium());
  unsigned long long ops = cost == PasswordCost::kInteractive ? crypto_pwhash_OPSLIMIT_INTERACTIVE
                                                              : crypto_pwhash_OPSLIMIT_MIN;
  size_t mem = cost == PasswordCost::kInteractive ? crypto_pwhash_MEMLIMIT_INTERACTIVE
                                                  : crypto_pwhash_MEMLIMIT_MIN;
  char out[crypto_pwhash_STRBYTES];
  // crypto_pwhash_str_alg with ALG_ARGON2ID13: the string says $argon2id$
  // whatever libsodium's default algorithm becomes.
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), ops, mem,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Unavailable("hashing the password ran out of memory");
  }
  return std::string(out);
}

bool PasswordMatches(std::string_view hash, std::string_view password) {
  if (!EnsureSodium().ok()) return false;
  std::string h(hash);  // NUL-terminated for libsodium
  return crypto_pwhash_str_verify(h.c_str(), password.data(), password.size()) == 0;
}

// ---- The users table.

namespace {

constexpr const char* kUserColumns =
    "SELECT name, display_name, rights, disabled, disabled_at, disabled_by, created_at, "
    "created_by, password_hash FROM users ";

Result<User> ReadUser(Statement& stmt, std::string* hash) {
  User u;
  u.name = stmt.Text(0);
  u.display_name = stmt.Text(1);
  ASSIGN_OR_RETURN(u.rights, ParseRights(stmt.Text(2)));
  u.disabled = stmt.Int(3) != 0;
  u.disabled_at_ms = stmt.Int(4);
  u.disabled_by = stmt.Text(5);
  u.created_at_ms = stmt.Int(6);
  u.created_by = stmt.Text(7);
  if (hash) *hash = stmt.Text(8);
  return u;
}

Result<std::optional<User>> LookUp(Database& db, std::string_view name, std::string* hash) {
  ASSIGN_OR_RETURN(Statement * stmt, db.Prepare(std::string(kUserColumns) + "WHERE name = ?"));
  stmt->Bind(1, name);
  ASSIGN_OR_RETURN(bool found, stmt->Step());
  std::optional<User> user;
  if (found) {
    auto u = ReadUser(*stmt, hash);
    if (!u.ok()) {
      stmt->Reset();
      return u.status().WithContext("user " + std::string(name) + ": ");
    }
    user = std::move(u).value();
  }
  stmt->Reset();
  return user;
}

Result<bool> AnyUser(Database& db) {
  ASSIGN_OR_RETURN(Statement * stmt, db.Prepare("SELECT EXISTS(SELECT 1 FROM users)"));
  ASSIGN_OR_RETURN(bool row, stmt->Step());
  bool any = row && stmt->Int(0) != 0;
  stmt->Reset();
  return any;
}

std::string Refusal(const User& u) {
  return "user " + u.name + " was disabled by " +
         (u.disabled_by.empty() ? std::string("an admin") : u.disabled_by) + " and cannot " +
         "write or sign in";
}

}  // namespace

Result<bool> Store::HasUsers() {
  ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_, Transaction::Mode::kRead));
  return AnyUser(*db_);
}

Result<std::string> Store::AuthorFor(std::string_view right) {
  ASSIGN_OR_RETURN(bool any, AnyUser(*db_));
  if (!any) {
    // No users on this node: writes are the node's, as before layout 9. An
    // acting user named anyway is a mistake worth saying.
    if (!acting_user_.empty()) {
      return PermissionDenied("this node has no users, so it has no user " + acting_user_ +
                              " (add one with `accord user add`, or write without --as)");
    }
    return std::string();
  }
  if (acting_user_.empty()) {
    return PermissionDenied(
        "this node has users: every write needs one (--as NAME or ACCORD_USER, with the "
        "user's password)");
  }
  ASSIGN_OR_RETURN(std::optional<User> user, LookUp(*db_, acting_user_, nullptr));
  if (!user) return PermissionDenied("no user " + acting_user_ + " on this node");
  if (user->disabled) return PermissionDenied(Refusal(*user));
  if (!user->Has(right)) {
    return PermissionDenied(
        "user " + user->name + " may not " +
        (right == kRightResolve ? std::string("resolve conflicts")
         : right == kRightAdmin ? std::string("manage users")
                                : std::string(right)) +
        " (rights: " + (user->rights.empty() ? "none" : RightsText(user->rights)) + ")");
  }
  return user->name;
}

Status Store::AddUser(const NewUser& user) {
  RETURN_IF_ERROR(CheckUserName(user.name));
  for (const auto& r : user.rights) {
    if (!KnownRights().count(r)) return InvalidArgument("unknown right '" + r + "'");
  }
  auto display = NormalizeText(user.display_name, /*long_text=*/false);
  if (!display.ok()) {
    return InvalidArgument("display name of " + user.name + ": " + display.status().message());
  }
  if (display->size() > kMaxDisplayName) {
    return InvalidArgument("display name of " + user.name + " is longer than 200 bytes");
  }
  if (user.password.empty()) return InvalidArgument("the password of " + user.name + " is empty");
  if (user.password.size() > kMaxPassword) {
    return InvalidArgument("the password of " + user.name + " is longer than 1024 bytes");
  }
  std::vector<std::string> rights(user.rights);
  std::sort(rights.begin(), rights.end());
  rights.erase(std::unique(rights.begin(), rights.end()), rights.end());
  // Hashing takes a good part of a second: before the write lock, not under it.
  ASSIGN_OR_RETURN(std::string hash, HashPassword(user.password, options_.password_cost));
  ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_, Transaction::Mode::kWrite));
  ASSIGN_OR_RETURN(bool any, AnyUser(*db_));
  std::string by;
  if (any) {
    ASSIGN_OR_RETURN(by, AuthorFor(kRightAdmin));
  } else if (std::find(rights.begin(), rights.end(), kRightAdmin) == rights.end()) {
    return InvalidArgument(
        "the first user of a node must hold admin, to add the others "
        "(--rights admin,write,resolve)");
  }
  ASSIGN_OR_RETURN(std::optional<User> existing, LookUp(*db_, user.name, nullptr));
  if (existing) return FailedPrecondition("user " + user.name + " already exists on this node");
  ASSIGN_OR_RETURN(Statement * insert,
                   db_->Prepare("INSERT INTO users(name, display_name, password_hash, rights, "
                                "created_at, created_by) VALUES(?, ?, ?, ?, ?, ?)"));
  RETURN_IF_ERROR(insert->Bind(1, user.name)
                      .Bind(2, *display)
                      .Bind(3, hash)
                      .Bind(4, RightsText(rights))
                      .Bind(5, NowMs())
                      .Bind(6, by)
                      .Run());
  return txn->Commit();
}

Result<std::vector<User>> Store::ListUsers() {
  ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_, Transaction::Mode::kRead));
  ASSIGN_OR_RETURN(Statement * stmt, db_->Prepare(std::string(kUserColumns) + "ORDER BY name"));
  std::vector<User> users;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    auto u = ReadUser(*stmt, nullptr);
    if (!u.ok()) {
      stmt->Reset();
      return u.status();
    }
    users.push_back(std::move(u).value());
  }
  stmt->Reset();
  return users;
}

Result<std::optional<User>> Store::FindUser(std::string_view name) {
  ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_, Transaction::Mode::kRead));
  return LookUp(*db_, name, nullptr);
}

Status Store::DisableUser(std::string_view name) {
  ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_, Transaction::Mode::kWrite));
  ASSIGN_OR_RETURN(std::string by, AuthorFor(kRightAdmin));
  ASSIGN_OR_RETURN(std::optional<User> user, LookUp(*db_, name, nullptr));
  if (!user) return NotFound("no user " + std::string(name) + " on this node");
  if (user->disabled) return FailedPrecondition("user " + user->name + " is already disabled");
  if (user->Has(kRightAdmin)) {
    ASSIGN_OR_RETURN(Statement * admins,
                     db_->Prepare("SELECT count(*) FROM users WHERE disabled = 0 AND "
                                  "(',' || rights || ',') LIKE '%,admin,%'"));
    ASSIGN_OR_RETURN(bool row, admins->Step());
    int64_t enabled_admins = row ? admins->Int(0) : 0;
    admins->Reset();
    if (enabled_admins <= 1) {
      return FailedPrecondition("user " + user->name +
                                " is this node's last enabled admin: add another admin first");
    }
  }
  ASSIGN_OR_RETURN(Statement * update,
                   db_->Prepare("UPDATE users SET disabled = 1, disabled_at = ?, disabled_by = ? "
                                "WHERE name = ?"));
  RETURN_IF_ERROR(update->Bind(1, NowMs()).Bind(2, by).Bind(3, name).Run());
  return txn->Commit();
}

Result<User> Store::Authenticate(std::string_view name, std::string_view password) {
  std::string hash;
  std::optional<User> user;
  {
    ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_, Transaction::Mode::kRead));
    ASSIGN_OR_RETURN(user, LookUp(*db_, name, &hash));
  }
  if (!user) return PermissionDenied("no user " + std::string(name) + " on this node");
  if (user->disabled) return PermissionDenied(Refusal(*user));
  if (!PasswordMatches(hash, password)) {
    return PermissionDenied("wrong password for user " + user->name);
  }
  return *std::move(user);
}

}  // namespace accord
