#include "core/conflict_id.h"

#include <algorithm>
#include <cstdint>

#include "core/hex.h"
#include "core/schema.h"

namespace accord {

std::string ConflictIdOf(std::string_view record_id, std::string_view field,
                         std::vector<std::string> vectors) {
  std::sort(vectors.begin(), vectors.end());
  // FNV-1a, 64 bits: a stable name, not a security measure.
  uint64_t hash = 1469598103934665603ull;
  auto mix = [&](std::string_view text) {
    for (unsigned char c : text) {
      hash ^= c;
      hash *= 1099511628211ull;
    }
    hash ^= 0xff;
    hash *= 1099511628211ull;
  };
  mix(record_id);
  mix(field);
  for (const auto& v : vectors) mix(v);
  return HexEncode(hash >> 16, 12);  // 48 bits name a conflict well enough
}

Result<std::string> ComputeConflictId(Database& db, std::string_view record_id,
                                      std::string_view field) {
  // A deletion conflict involves the whole record: any new edit or tombstone changes it.
  std::string sql = "SELECT vv FROM versions WHERE record_id = ? AND state > 0";
  if (field != kDeletedField) sql += " AND field = ?";
  ASSIGN_OR_RETURN(Statement * stmt, db.Prepare(sql));
  stmt->Bind(1, record_id);
  if (field != kDeletedField) stmt->Bind(2, field);
  std::vector<std::string> vectors;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    vectors.push_back(stmt->Text(0));
  }
  stmt->Reset();
  return ConflictIdOf(record_id, field, std::move(vectors));
}

}  // namespace accord
