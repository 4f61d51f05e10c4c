// `accord`: the command line of an Accord node.
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/cli_context.h"

int main(int argc, char** argv) {
  using namespace accord::cli;
  // Everything accord creates (database, WAL, keys, bundles) holds case data
  // or secrets: owner-only, whatever the user's umask says.
  umask(077);
  CLI::App app{
      "accord: an offline-first node for joint plans of action, meetings and cases.\n"
      "Every command works with no network; `accord sync` exchanges changes with a peer."};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Show help for every command");
  Context ctx;
  ctx.dir = DefaultNodeDir();
  app.add_option("--dir", ctx.dir, "Node directory (default: $ACCORD_DIR, else the XDG data dir)");
  app.add_option("--passphrase-file", ctx.passphrase_file,
                 "File holding the passphrase of an encrypted node (else $ACCORD_PASSPHRASE, "
                 "else asked on the terminal)");
  app.add_option("--key-file", ctx.key_file,
                 "Raw data key of an encrypted node, e.g. for `serve` (else $ACCORD_KEY_FILE, "
                 "else the systemd credential accord-key)");
  Runner run;
  AddRecordCommands(app, ctx, run);
  AddSyncCommands(app, ctx, run);
  AddConflictCommands(app, ctx, run);
  AddBundleCommands(app, ctx, run);
  AddPeerCommands(app, ctx, run);
  AddSharingCommands(app, ctx, run);
  AddUserCommands(app, ctx, run);
  AddSearchCommands(app, ctx, run);
  AddSignatureCommands(app, ctx, run);
  AddEncryptionCommands(app, ctx, run);
  AddPurgeCommands(app, ctx, run);
  AddReportCommands(app, ctx, run);
  AddRetentionCommands(app, ctx, run);
  AddAttachmentCommands(app, ctx, run);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  if (!run) return kExitUsage;
  try {
    return run();
  } catch (const std::exception& e) {
    std::cerr << "accord: internal error: " << e.what() << "\n";
    return kExitFailure;
  }
}
