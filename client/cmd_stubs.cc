#include "client/cli_context.h"

namespace accord::cli {
void AddSyncCommands(CLI::App&, Context&, Runner&) {}
}  // namespace accord::cli
