// Office users (docs/users.md): accord user add, list, disable.
#include <iostream>
#include <memory>

#include "cli/cli_context.h"
#include "core/time_format.h"
#include "core/users.h"

namespace accord::cli {

namespace {

using nlohmann::json;

struct UserArgs {
  std::string name;
  std::string display;
  std::string rights;
  bool rights_given = false;
  std::string new_password_file;
};

json UserJson(const User& u) {
  json out = {{"name", u.name},
              {"display_name", u.display_name},
              {"rights", u.rights},
              {"disabled", u.disabled},
              {"created_at", FormatUtcMs(u.created_at_ms)},
              {"created_by", u.created_by.empty() ? json(nullptr) : json(u.created_by)}};
  if (u.disabled) {
    out["disabled_at"] = FormatUtcMs(u.disabled_at_ms);
    out["disabled_by"] = u.disabled_by;
  }
  return out;
}

int RunAdd(const Context& ctx, const UserArgs& args) {
  if (Status st = CheckUserName(args.name); !st.ok()) return UsageError(st);
  std::vector<std::string> rights;
  if (args.rights_given) {
    auto parsed = ParseRights(args.rights);
    if (!parsed.ok()) return UsageError(parsed.status());
    rights = std::move(parsed).value();
  }
  auto store = ctx.OpenStoreAs();
  if (!store.ok()) return Fail(store.status());
  if (!args.rights_given) {
    // The first user of a node manages the others; later ones write and resolve.
    auto any = (*store)->HasUsers();
    if (!any.ok()) return Fail(any.status());
    rights = *any ? std::vector<std::string>{"resolve", "write"}
                  : std::vector<std::string>{"admin", "resolve", "write"};
  }
  auto password = ReadPassword(args.new_password_file, "ACCORD_NEW_PASSWORD", args.name,
                               /*confirm=*/true);
  if (!password.ok()) return Fail(password.status());
  Status st = (*store)->AddUser({args.name, args.display, rights, *password});
  if (!st.ok()) return Fail(st);
  auto added = (*store)->FindUser(args.name);
  if (!added.ok() || !*added)
    return Fail(added.ok() ? Internal("the user vanished") : added.status());
  if (ctx.json) {
    PrintJson(UserJson(**added));
  } else {
    std::cout << "added user " << args.name << " (" << RightsText((*added)->rights) << ")\n";
  }
  return kExitOk;
}

int RunList(const Context& ctx) {
  auto store = ctx.OpenStore();
  if (!store.ok()) return Fail(store.status());
  auto users = (*store)->ListUsers();
  if (!users.ok()) return Fail(users.status());
  if (ctx.json) {
    json out = json::array();
    for (const User& u : *users) out.push_back(UserJson(u));
    PrintJson(out);
    return kExitOk;
  }
  for (const User& u : *users) {
    std::cout << u.name << "  " << (u.display_name.empty() ? "-" : u.display_name) << "  "
              << (u.rights.empty() ? "(no rights)" : RightsText(u.rights));
    if (u.disabled) {
      std::cout << "  DISABLED " << FormatUtcMs(u.disabled_at_ms) << " by " << u.disabled_by;
    }
    std::cout << "\n";
  }
  std::cerr << users->size() << " user(s)"
            << (users->empty() ? ": writes on this node are attributed to the node alone" : "")
            << "\n";
  return kExitOk;
}

int RunDisable(const Context& ctx, const UserArgs& args) {
  if (Status st = CheckUserName(args.name); !st.ok()) return UsageError(st);
  auto store = ctx.OpenStoreAs();
  if (!store.ok()) return Fail(store.status());
  Status st = (*store)->DisableUser(args.name);
  if (!st.ok()) return Fail(st);
  if (ctx.json) {
    PrintJson({{"disabled", args.name}});
  } else {
    std::cout << "disabled user " << args.name << ": it can no longer write or sign in\n";
  }
  return kExitOk;
}

}  // namespace

void AddUserCommands(CLI::App& app, Context& ctx, Runner& run) {
  auto args = std::make_shared<UserArgs>();
  auto* user = app.add_subcommand("user", "Office users: who writes and resolves on this node");
  user->require_subcommand(1);

  auto* add = user->add_subcommand(
      "add",
      "Add a user (the first one needs no --as and holds admin); the password is asked "
      "twice, or read from --new-password-file or $ACCORD_NEW_PASSWORD");
  add->add_option("name", args->name, "User name, e.g. sokha.kh")->required();
  add->add_option("--display", args->display, "Name shown to people, in any language");
  add->add_option("--rights", args->rights,
                  "Comma-separated: write, resolve, purge, admin (default: write,resolve; the "
                  "first user also admin)")
      ->each([args](const std::string&) { args->rights_given = true; });
  add->add_option("--new-password-file", args->new_password_file,
                  "File holding the new user's password");
  AddActingUserOptions(add, ctx);
  AddJsonFlag(add, ctx);
  OnRun(add, run, [&ctx, args] { return RunAdd(ctx, *args); });

  auto* list = user->add_subcommand("list", "This node's users, their rights, who is disabled");
  AddJsonFlag(list, ctx);
  OnRun(list, run, [&ctx] { return RunList(ctx); });

  auto* disable =
      user->add_subcommand("disable", "Disable a user: refused from now on; past writes stay");
  disable->add_option("name", args->name, "User name")->required();
  AddActingUserOptions(disable, ctx);
  AddJsonFlag(disable, ctx);
  OnRun(disable, run, [&ctx, args] { return RunDisable(ctx, *args); });
}

}  // namespace accord::cli
