// Retention of superseded personal data (docs/sharing.md, "Retention"): what
// Store::PruneSuperseded did, or would do on a dry run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace accord {

inline constexpr int64_t kMsPerDay = int64_t{24} * 3600 * 1000;

// One personal type the deployment's retention names.
struct RetentionOfType {
  std::string type;
  int days = 0;           // superseded values are kept this long
  int64_t cutoff_ms = 0;  // values superseded here before this time go
  int64_t pruned = 0;     // values pruned (a dry run: that would be)
  int64_t records = 0;    // records they belong to
  // Superseded values past the period that stay because where the record
  // may go is judged from them (the policy's scope fields: a case's consent,
  // direction, override reason; the refs a type follows).
  int64_t kept_scope_fields = 0;
};

struct RetentionReport {
  int policy_version = 0;  // the sharing policy whose retention applied
  bool dry_run = false;
  int64_t now_ms = 0;
  std::vector<RetentionOfType> types;  // by type name
  // Types the retention names that are not personal data on this node:
  // their history is kept (retention is for personal data only).
  std::vector<std::string> not_personal;
  int64_t pruned = 0;  // over every type
  // The prune committed but another connection's read kept the WAL from
  // being emptied: the old pages stay there until the next checkpoint.
  std::string warning;
};

}  // namespace accord
