// Office users: the people who write and resolve on a node (docs/users.md).
// Users are per node and never synced; the name of the one who made a write
// travels with it, signed by its origin (FieldVersion::author).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace accord {

// What a user may do. Stored as a sorted comma-separated list of these words.
inline constexpr std::string_view kRightWrite = "write";      // put, load, delete
inline constexpr std::string_view kRightResolve = "resolve";  // resolve conflicts
inline constexpr std::string_view kRightPurge = "purge";      // accord purge (purge orders)
inline constexpr std::string_view kRightAdmin = "admin";      // add and disable users

struct User {
  std::string name;                 // e.g. "sokha.kh": [a-z0-9][a-z0-9._-]{0,31}
  std::string display_name;         // any language, e.g. "សុខា ខៀវ"
  std::vector<std::string> rights;  // sorted, each one of the words above
  bool disabled = false;
  int64_t disabled_at_ms = 0;
  std::string disabled_by;  // the admin who disabled it
  int64_t created_at_ms = 0;
  std::string created_by;  // the admin who added it ("" for a node's first user)

  bool Has(std::string_view right) const;
};

struct NewUser {
  std::string name;
  std::string display_name;
  std::vector<std::string> rights;
  std::string password;
};

// How hard a password hash is to compute (Argon2id's ops and memory limits).
enum class PasswordCost {
  kInteractive,  // libsodium's OPSLIMIT/MEMLIMIT_INTERACTIVE: every real node
  kTestMinimum,  // its MIN limits: tests only (StoreOptions::password_cost)
};

// Whether `name` is a valid user name; the error says what is wrong.
Status CheckUserName(std::string_view name);
// Parses "write,resolve" into sorted, distinct rights; refuses unknown words.
Result<std::vector<std::string>> ParseRights(std::string_view text);
std::string RightsText(const std::vector<std::string>& rights);

// An Argon2id hash string ("$argon2id$v=19$m=...,t=...,p=1$salt$hash") of the
// password, with a fresh random salt.
Result<std::string> HashPassword(std::string_view password, PasswordCost cost);
// Whether `password` matches `hash` (a string HashPassword made).
bool PasswordMatches(std::string_view hash, std::string_view password);

}  // namespace accord
