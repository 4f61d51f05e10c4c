// Versioned schema migrations of the node database (PRAGMA user_version), and
// the per-type SQL views regenerated whenever the schema registry changes.
#pragma once

#include "core/sqlite.h"
#include "core/status.h"

namespace accord {

// The database layout this build writes.
inline constexpr int kDatabaseVersion = 1;

// Brings the database to kDatabaseVersion inside one transaction; refuses a
// database written by a newer build.
Status MigrateDatabase(Database& db);

// Drops and recreates one view per record type (named TypeSpec::view) showing
// the current value of every field as ordinary columns, deleted records excluded.
Status RebuildViews(Database& db);

}  // namespace accord
