// The conflicts table as the store exposes it: the id of a conflict, and the
// open conflicts listed in pages. (Opening and closing rows is the merge's
// job: core/merge.cc.)
#include <algorithm>

#include "core/hex.h"
#include "core/store.h"

namespace accord {

Result<std::string> Store::ConflictIdLocked(std::string_view record_id, std::string_view field) {
  // A deletion conflict involves the whole record: any new edit or tombstone changes it.
  std::string sql = "SELECT vv FROM versions WHERE record_id = ? AND state > 0";
  if (field != kDeletedField) sql += " AND field = ?";
  ASSIGN_OR_RETURN(Statement * stmt, db_->Prepare(sql));
  stmt->Bind(1, record_id);
  if (field != kDeletedField) stmt->Bind(2, field);
  std::vector<std::string> vectors;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    vectors.push_back(stmt->Text(0));
  }
  stmt->Reset();
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

Result<std::string> Store::ConflictId(std::string_view record_id, std::string_view field) {
  ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_, Transaction::Mode::kRead));
  return ConflictIdLocked(record_id, field);
}

Result<ConflictList> Store::ListConflicts(const ConflictQuery& query) {
  if (!query.type.empty() && !Schema::Get().FindType(query.type)) {
    return InvalidArgument("unknown record type '" + query.type + "'");
  }
  // The count and the page are one snapshot.
  ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_, Transaction::Mode::kRead));
  ConflictList list;
  ASSIGN_OR_RETURN(Statement * count,
                   db_->Prepare("SELECT count(*) FROM conflicts c JOIN records r "
                                "ON r.id = c.record_id WHERE ? = '' OR r.type = ?"));
  count->Bind(1, query.type).Bind(2, query.type);
  ASSIGN_OR_RETURN(bool counted, count->Step());
  list.total = counted ? static_cast<uint64_t>(count->Int(0)) : 0;
  count->Reset();
  ASSIGN_OR_RETURN(Statement * stmt,
                   db_->Prepare("SELECT c.record_id, r.type, c.field, c.detected_at "
                                "FROM conflicts c JOIN records r ON r.id = c.record_id "
                                "WHERE ? = '' OR r.type = ? "
                                "ORDER BY c.detected_at, c.record_id, c.field LIMIT ? OFFSET ?"));
  stmt->Bind(1, query.type)
      .Bind(2, query.type)
      .Bind(3, query.limit ? static_cast<int64_t>(*query.limit) : int64_t{-1})
      .Bind(4, static_cast<int64_t>(query.offset));
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    ConflictRef ref;
    ref.record_id = stmt->Text(0);
    ref.record_type = stmt->Text(1);
    ref.field = stmt->Text(2);
    ref.detected_at_ms = stmt->Int(3);
    list.conflicts.push_back(std::move(ref));
  }
  stmt->Reset();
  for (ConflictRef& ref : list.conflicts) {
    ASSIGN_OR_RETURN(ref.id, ConflictIdLocked(ref.record_id, ref.field));
  }
  return list;
}

}  // namespace accord
