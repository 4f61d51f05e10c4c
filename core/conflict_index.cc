// The conflicts table as the store exposes it: a conflict's id, one conflict
// found by id, and the open conflicts listed a page at a time. (Opening and
// closing rows, and keeping their ids current, is the merge's job:
// core/merge.cc.)
#include <limits>

#include "core/conflict_id.h"
#include "core/store.h"

namespace accord {

namespace {

constexpr const char* kRefColumns =
    "SELECT c.id, c.record_id, r.type, c.field, c.detected_at "
    "FROM conflicts c JOIN records r ON r.id = c.record_id ";

ConflictRef ReadRef(Statement& stmt) {
  ConflictRef ref;
  ref.id = stmt.Text(0);
  ref.record_id = stmt.Text(1);
  ref.record_type = stmt.Text(2);
  ref.field = stmt.Text(3);
  ref.detected_at_ms = stmt.Int(4);
  return ref;
}

int64_t SqlCount(uint64_t n) {
  return n > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
             ? std::numeric_limits<int64_t>::max()
             : static_cast<int64_t>(n);
}

}  // namespace

Result<std::string> Store::ConflictId(std::string_view record_id, std::string_view field) {
  ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_, Transaction::Mode::kRead));
  return ComputeConflictId(*db_, record_id, field);
}

Result<std::optional<ConflictRef>> Store::FindConflict(std::string_view id) {
  ASSIGN_OR_RETURN(Statement * stmt, db_->Prepare(std::string(kRefColumns) + "WHERE c.id = ?"));
  stmt->Bind(1, id);
  ASSIGN_OR_RETURN(bool found, stmt->Step());
  std::optional<ConflictRef> ref;
  if (found) ref = ReadRef(*stmt);
  stmt->Reset();
  return ref;
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
  // conflicts_in_order walks the rows in list order: a page costs its offset, not a sort.
  ASSIGN_OR_RETURN(Statement * stmt,
                   db_->Prepare(std::string(kRefColumns) +
                                "WHERE ? = '' OR r.type = ? "
                                "ORDER BY c.detected_at, c.record_id, c.field LIMIT ? OFFSET ?"));
  stmt->Bind(1, query.type)
      .Bind(2, query.type)
      .Bind(3, query.limit ? SqlCount(*query.limit) : int64_t{-1})
      .Bind(4, SqlCount(query.offset));
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    list.conflicts.push_back(ReadRef(*stmt));
  }
  stmt->Reset();
  return list;
}

}  // namespace accord
