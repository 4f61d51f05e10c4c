// Reading records: current values, conflicts, lists and history.
#include <set>

#include "core/record_id.h"
#include "core/state_bytes.h"
#include "core/store.h"
#include "core/text_rule.h"

namespace accord {

namespace {

Result<StoredVersion> ReadVersionRow(Statement& stmt, std::string_view record_id,
                                     const CellCipher& cipher) {
  // Columns: seq, field, value, vv, origin, origin_time, note, state, received_at, received_from,
  // author
  StoredVersion sv;
  sv.seq = stmt.Int(0);
  sv.version.record_id = std::string(record_id);
  sv.version.field = stmt.Text(1);
  std::string vv = stmt.Text(3);
  CellRow cell{record_id, sv.version.field, vv};
  ASSIGN_OR_RETURN(sv.version.value, cipher.ReadValue(stmt, 2, cell));
  ASSIGN_OR_RETURN(sv.version.version, VersionVector::FromText(vv));
  sv.version.origin = stmt.Text(4);
  sv.version.origin_time_ms = stmt.Int(5);
  ASSIGN_OR_RETURN(sv.version.note, cipher.ReadNote(stmt, 6, cell));
  sv.live = stmt.Int(7) > 0;
  sv.winner = stmt.Int(7) == 2;
  sv.received_at_ms = stmt.Int(8);
  sv.received_from = stmt.Text(9);
  sv.version.author = stmt.Text(10);
  return sv;
}

// History also reads what proves each version's origin (the signed bytes
// and the place in a unit): columns 11-15.
constexpr const char* kProofColumns = ", salt, unit, unit_position, wire, unit_counter";

Status ReadProofColumns(Statement& stmt, StoredVersion& sv, const CellCipher& cipher) {
  sv.version.salt = stmt.Blob(11);
  sv.version.unit = static_cast<uint32_t>(stmt.Int(12));
  sv.version.unit_position = static_cast<uint32_t>(stmt.Int(13));
  std::string vv = stmt.Text(3);
  ASSIGN_OR_RETURN(sv.version.wire,
                   cipher.ReadWire(stmt, 14, {sv.version.record_id, sv.version.field, vv}));
  sv.version.unit_counter = static_cast<uint64_t>(stmt.Int(15));
  return Status::Ok();
}

constexpr const char* kVersionColumns =
    "seq, field, value, vv, origin, origin_time, note, state, received_at, received_from, author";

}  // namespace

Result<RecordView> Store::BuildView(std::string_view id, std::string_view type, bool deleted) {
  RecordView view;
  view.id = std::string(id);
  view.type = std::string(type);
  view.deleted = deleted;
  ASSIGN_OR_RETURN(
      Statement * stmt,
      db_->Prepare(std::string("SELECT ") + kVersionColumns +
                   " FROM versions WHERE record_id = ? AND state > 0 ORDER BY field, seq"));
  stmt->Bind(1, id);
  std::map<std::string, std::vector<FieldVersion>> live;
  bool has_tombstone = false;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    auto sv_or = ReadVersionRow(*stmt, id, cipher_);
    if (!sv_or.ok()) {
      stmt->Reset();
      return sv_or.status();
    }
    StoredVersion sv = std::move(sv_or).value();
    sv.version.record_type = view.type;
    if (sv.version.field == kDeletedField) {
      if (sv.version.value == "1") has_tombstone = true;
      continue;
    }
    if (sv.winner) view.fields[sv.version.field] = sv.version;
    live[sv.version.field].push_back(std::move(sv.version));
  }
  stmt->Reset();
  for (auto& [field, versions] : live) {
    std::set<std::optional<std::string>> distinct;
    for (const auto& v : versions) distinct.insert(v.value);
    if (distinct.size() > 1) view.conflicts[field] = std::move(versions);
  }
  view.delete_conflict = has_tombstone && !deleted;
  return view;
}

Result<RecordView> Store::Get(std::string_view id) {
  if (!IsValidRecordId(id)) return InvalidArgument("'" + std::string(id) + "' is not a record id");
  ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_, Transaction::Mode::kRead));
  ASSIGN_OR_RETURN(Statement * stmt,
                   db_->Prepare("SELECT type, deleted FROM records WHERE id = ?"));
  stmt->Bind(1, id);
  ASSIGN_OR_RETURN(bool found, stmt->Step());
  if (!found) {
    stmt->Reset();
    ASSIGN_OR_RETURN(std::optional<PurgeOrder> order, FindPurgeOrder(id));
    if (order) return NotFound("record " + std::string(id) + " was " + DescribePurge(*order));
    return NotFound("no record with id " + std::string(id));
  }
  std::string type = stmt->Text(0);
  bool deleted = stmt->Int(1) != 0;
  stmt->Reset();
  return BuildView(id, type, deleted);
}

Result<std::vector<RecordView>> Store::List(std::string_view type,
                                            const std::optional<FieldWrite>& where) {
  const TypeSpec* spec = Schema::Get().FindType(type);
  if (!spec) return InvalidArgument("unknown record type '" + std::string(type) + "'");
  const FieldSpec* where_field = where ? spec->FindField(where->field) : nullptr;
  if (where && !where_field) {
    return InvalidArgument("type " + spec->name + " has no field '" + where->field + "'");
  }
  // Matched as stored: the same word typed decomposed (NFD) finds it too.
  std::optional<std::string> where_value;
  if (where && where->value) {
    auto normalized = NormalizeText(*where->value, where_field->kind == FieldKind::kLongText);
    if (!normalized.ok()) {
      return InvalidArgument(spec->name + "." + where_field->name + ": the value " +
                             normalized.status().message());
    }
    where_value = std::move(normalized).value();
  }
  ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_, Transaction::Mode::kRead));
  std::vector<std::string> ids;
  // A sealed cell cannot be compared in SQL: every record of the type is
  // read and its opened winner compared below.
  bool where_sealed = where && cipher_.Seals(spec->name, where->field);
  if (where && !where_sealed) {
    // The winner's value decides, as the SQL views show it.
    std::string sql =
        "SELECT r.id FROM records r JOIN versions v ON v.record_id = r.id AND v.field = ? "
        "AND v.state = 2 WHERE r.type = ? AND r.deleted = 0 AND ";
    sql += where->value ? "v.value = ?" : "v.value IS NULL";
    sql += " ORDER BY r.id";
    ASSIGN_OR_RETURN(Statement * stmt, db_->Prepare(sql));
    stmt->Bind(1, where->field).Bind(2, type);
    if (where_value) stmt->Bind(3, *where_value);
    while (true) {
      ASSIGN_OR_RETURN(bool row, stmt->Step());
      if (!row) break;
      ids.push_back(stmt->Text(0));
    }
    stmt->Reset();
  } else {
    ASSIGN_OR_RETURN(
        Statement * stmt,
        db_->Prepare("SELECT id FROM records WHERE type = ? AND deleted = 0 ORDER BY id"));
    stmt->Bind(1, type);
    while (true) {
      ASSIGN_OR_RETURN(bool row, stmt->Step());
      if (!row) break;
      ids.push_back(stmt->Text(0));
    }
    stmt->Reset();
  }
  std::vector<RecordView> views;
  views.reserve(ids.size());
  for (const auto& id : ids) {
    ASSIGN_OR_RETURN(RecordView view, BuildView(id, type, false));
    if (where_sealed) {
      const std::optional<std::string>* winner = view.Value(where->field);
      if (!winner || *winner != where_value) continue;
    }
    views.push_back(std::move(view));
  }
  return views;
}

Result<std::vector<StoredVersion>> Store::History(std::string_view id,
                                                  const std::optional<std::string>& field) {
  if (!IsValidRecordId(id)) return InvalidArgument("'" + std::string(id) + "' is not a record id");
  ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_, Transaction::Mode::kRead));
  ASSIGN_OR_RETURN(std::optional<std::string> type, RecordType(id));
  if (!type) {
    ASSIGN_OR_RETURN(std::optional<PurgeOrder> order, FindPurgeOrder(id));
    if (order) return NotFound("record " + std::string(id) + " was " + DescribePurge(*order));
    return NotFound("no record with id " + std::string(id));
  }
  if (field && *field != kDeletedField) {
    const TypeSpec* spec = Schema::Get().FindType(*type);
    if (!spec || !spec->FindField(*field)) {
      return InvalidArgument("type " + *type + " has no field '" + *field + "'");
    }
  }
  std::string sql = std::string("SELECT ") + kVersionColumns + kProofColumns + ", pruned_at" +
                    " FROM versions WHERE record_id = ?" + (field ? " AND field = ?" : "") +
                    " ORDER BY seq";
  ASSIGN_OR_RETURN(Statement * stmt, db_->Prepare(sql));
  stmt->Bind(1, id);
  if (field) stmt->Bind(2, *field);
  std::vector<StoredVersion> history;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    auto sv = ReadVersionRow(*stmt, id, cipher_);
    if (!sv.ok()) {
      stmt->Reset();
      return sv.status();
    }
    if (Status proof = ReadProofColumns(*stmt, *sv, cipher_); !proof.ok()) {
      stmt->Reset();
      return proof;
    }
    sv->version.record_type = *type;
    sv->pruned_at_ms = stmt->Int(16);
    // A pruned version has no signed bytes left to restore.
    if (sv->pruned_at_ms == 0) RestoreSignedBytes(sv->version);
    history.push_back(std::move(sv).value());
  }
  stmt->Reset();
  return history;
}

}  // namespace accord
