// Conflict ids: the name a conflict has on every node holding the same live
// versions, so two offices talking about "conflict 3f2a9c01b7e4" mean the same
// one. Derived, never assigned: a digest of the record id, the field and the
// sorted vectors of the live versions involved — the field's, or for a
// delete-versus-edit conflict (field "_deleted") every live version of the
// record. A new live version changes the id; the conflicts table keeps the
// current one (docs/schema.md).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/sqlite.h"
#include "core/status.h"

namespace accord {

// `vectors`: the VersionVector::ToText() of every live version involved, any order.
std::string ConflictIdOf(std::string_view record_id, std::string_view field,
                         std::vector<std::string> vectors);

// Reads the live vectors from the versions table. REQUIRES: inside a
// transaction when the result must match other reads.
Result<std::string> ComputeConflictId(Database& db, std::string_view record_id,
                                      std::string_view field);

}  // namespace accord
