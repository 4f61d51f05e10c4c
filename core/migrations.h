// Versioned schema migrations of the node database (PRAGMA user_version), and
// the per-type SQL views regenerated whenever the schema registry changes.
#pragma once

#include "core/sqlite.h"
#include "core/status.h"

namespace accord {

// The database layout this build writes.
inline constexpr int kDatabaseVersion = 12;

// Brings the database to kDatabaseVersion, and its views to the schema
// registry, inside one write transaction; refuses (kIncompatibleVersion) a
// database written by a newer build. A database already current is only read:
// no write lock, so opening never waits for another process's writes.
Status MigrateDatabase(Database& db);

// Drops and recreates one view per record type (named TypeSpec::view) showing
// the current value of every field as ordinary columns, deleted records excluded.
Status RebuildViews(Database& db);

}  // namespace accord
