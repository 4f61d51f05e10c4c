// Merging one field version into the store: the heart of conflict detection.
// Local writes and received states go through the same MergeVersion, so a
// node applies its own writes by exactly the rule it applies to its peers'.
#include <set>

#include "core/conflict_id.h"
#include "core/state_bytes.h"
#include "core/store.h"

namespace accord {

Status Store::OpenConflict(std::string_view record_id, std::string_view field, std::string_view id,
                           int64_t now, bool* newly_opened) {
  // The id follows the live versions: refresh it whenever they change.
  ASSIGN_OR_RETURN(Statement * update,
                   db_->Prepare("UPDATE conflicts SET id = ? WHERE record_id = ? AND field = ?"));
  RETURN_IF_ERROR(update->Bind(1, id).Bind(2, record_id).Bind(3, field).Run());
  *newly_opened = db_->Changes() == 0;
  if (!*newly_opened) return Status::Ok();
  ASSIGN_OR_RETURN(Statement * insert,
                   db_->Prepare("INSERT INTO conflicts(record_id, field, detected_at, id) "
                                "VALUES(?, ?, ?, ?)"));
  return insert->Bind(1, record_id).Bind(2, field).Bind(3, now).Bind(4, id).Run();
}

Status Store::CloseConflict(std::string_view record_id, std::string_view field) {
  ASSIGN_OR_RETURN(Statement * stmt,
                   db_->Prepare("DELETE FROM conflicts WHERE record_id = ? AND field = ?"));
  return stmt->Bind(1, record_id).Bind(2, field).Run();
}

Result<Store::MergeOutcome> Store::MergeVersion(const FieldVersion& incoming,
                                                std::string_view received_from, int64_t now,
                                                const std::vector<StoredVersion>* known_live) {
  ScopeInputsChanged();
  MergeOutcome outcome;
  std::vector<StoredVersion> read;
  if (!known_live) {
    ASSIGN_OR_RETURN(read, LiveVersions(incoming.record_id, incoming.field));
  }
  const std::vector<StoredVersion>& live = known_live ? *known_live : read;
  std::vector<const StoredVersion*> concurrent;
  std::vector<int64_t> superseded;
  for (auto& held : live) {
    switch (incoming.version.Compare(held.version.version)) {
      case Order::kEqual:
        // One write has one value: the same vector with another value means a
        // peer rewrote history. Refuse rather than pick one silently.
        if (held.version.value != incoming.value || held.version.origin != incoming.origin) {
          return Corruption("record " + incoming.record_id + " field " + incoming.field +
                            ": version " + incoming.version.ToText() +
                            " arrived with a different value than the one held");
        }
        return outcome;  // already held
      case Order::kBefore:
        return outcome;  // an older version: this node has seen newer
      case Order::kAfter:
        superseded.push_back(held.seq);
        break;
      case Order::kConcurrent:
        concurrent.push_back(&held);
        break;
    }
  }

  std::vector<const FieldVersion*> contenders = {&incoming};
  for (const StoredVersion* sibling : concurrent) contenders.push_back(&sibling->version);
  ASSIGN_OR_RETURN(size_t winner_index, ProvisionalWinner(contenders));
  const FieldVersion* winner = contenders[winner_index];
  if (!superseded.empty()) {
    ASSIGN_OR_RETURN(Statement * retire,
                     db_->Prepare("UPDATE versions SET state = 0 WHERE seq = ?"));
    for (int64_t seq : superseded) RETURN_IF_ERROR(retire->Bind(1, seq).Run());
  }
  ASSIGN_OR_RETURN(Statement * restate,
                   db_->Prepare("UPDATE versions SET state = ? WHERE seq = ?"));
  for (const StoredVersion* sibling : concurrent) {
    bool should_win = winner == &sibling->version;
    if (should_win != sibling->winner) {
      RETURN_IF_ERROR(restate->Bind(1, int64_t{should_win ? 2 : 1}).Bind(2, sibling->seq).Run());
    }
  }
  ASSIGN_OR_RETURN(
      Statement * insert,
      db_->Prepare("INSERT INTO versions(record_id, field, value, vv, origin, origin_time, note, "
                   "state, received_at, received_from, origin_counter, salt, unit, "
                   "unit_position, wire, unit_counter, author) "
                   "VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  std::string vv_text = incoming.version.ToText();
  // Personal cells are sealed here, on their one way into the table.
  std::string type = incoming.record_type;
  if (type.empty() && cipher_.encrypted()) {
    ASSIGN_OR_RETURN(std::optional<std::string> held_type, RecordType(incoming.record_id));
    type = held_type.value_or("");
  }
  CellRow cell{incoming.record_id, incoming.field, vv_text};
  RETURN_IF_ERROR(cipher_.BindValue(*insert, 3, type, cell, incoming.value));
  RETURN_IF_ERROR(cipher_.BindNote(*insert, 7, type, cell, incoming.note));
  // The signed bytes, when the columns do not say them exactly.
  RETURN_IF_ERROR(cipher_.BindWire(
      *insert, 15, type, cell,
      SignedBytesAreCanonical(incoming) ? std::string_view() : std::string_view(incoming.wire)));
  // Every string bound here outlives the Run (one insert per state received).
  RETURN_IF_ERROR(insert->BindUncopied(1, incoming.record_id)
                      .BindUncopied(2, incoming.field)
                      .BindUncopied(4, vv_text)
                      .BindUncopied(5, incoming.origin)
                      .Bind(6, incoming.origin_time_ms)
                      .Bind(8, int64_t{winner == &incoming ? 2 : 1})
                      .Bind(9, now)
                      .BindUncopied(10, received_from)
                      .Bind(11, static_cast<int64_t>(incoming.OriginCounter()))
                      .BindBlobOrNull(12, incoming.salt)
                      .Bind(13, static_cast<int64_t>(incoming.unit))
                      .Bind(14, static_cast<int64_t>(incoming.unit_position))
                      .Bind(16, static_cast<int64_t>(incoming.unit_counter))
                      .BindUncopied(17, incoming.author)
                      .Run());
  outcome.stored = true;

  // Concurrent writes of one value agree: kept as siblings, but nothing to review.
  bool differing = false;
  for (const StoredVersion* sibling : concurrent) {
    if (sibling->version.value != incoming.value) differing = true;
  }
  // The tombstone's conflicts (delete versus edit) are RefreshDeletion's to judge.
  // An open conflict needs two live versions: with fewer there is none to close.
  if (incoming.field != kDeletedField && differing) {
    // The live versions are now the concurrent siblings and the incoming one.
    std::vector<std::string> vectors = {std::move(vv_text)};
    for (const StoredVersion* sibling : concurrent) {
      vectors.push_back(sibling->version.version.ToText());
    }
    RETURN_IF_ERROR(
        OpenConflict(incoming.record_id, incoming.field,
                     ConflictIdOf(incoming.record_id, incoming.field, std::move(vectors)), now,
                     &outcome.new_conflict));
  } else if (incoming.field != kDeletedField && live.size() > 1) {
    RETURN_IF_ERROR(CloseConflict(incoming.record_id, incoming.field));
  }
  return outcome;
}

Result<bool> Store::RefreshDeletion(std::string_view record_id, int64_t now) {
  ScopeInputsChanged();
  ASSIGN_OR_RETURN(std::vector<StoredVersion> tombs, LiveVersions(record_id, kDeletedField));
  std::set<std::optional<std::string>> values;
  VersionVector tomb_vector;
  for (const auto& t : tombs) {
    values.insert(t.version.value);
    tomb_vector.MergeFrom(t.version.version);
  }
  // Deleted unless restored: every live tombstone says 1.
  bool has_tombstone = values.size() == 1 && *values.begin() == "1";
  bool edits_unseen = false;
  if (has_tombstone) {
    // An edit the tombstone's vector has not seen was concurrent with the delete.
    ASSIGN_OR_RETURN(Statement * stmt,
                     db_->Prepare("SELECT vv FROM versions WHERE record_id = ? AND state > 0 "
                                  "AND field <> '_deleted'"));
    stmt->Bind(1, record_id);
    while (!edits_unseen) {
      ASSIGN_OR_RETURN(bool row, stmt->Step());
      if (!row) break;
      auto vv = VersionVector::FromText(stmt->Text(0));
      if (!vv.ok()) {
        stmt->Reset();
        return vv.status();
      }
      if (!vv->DominatedByOrEqual(tomb_vector)) edits_unseen = true;
    }
    stmt->Reset();
  }
  bool deleted = has_tombstone && !edits_unseen;
  // records.has_tombstone: some live tombstone says 1. Every open deletion
  // conflict has one, so writers re-derive (and re-name) it on each write.
  bool any_delete = values.count("1") > 0;
  ASSIGN_OR_RETURN(Statement * update,
                   db_->Prepare("UPDATE records SET deleted = ?, has_tombstone = ? WHERE id = ?"));
  RETURN_IF_ERROR(
      update->Bind(1, int64_t{deleted}).Bind(2, int64_t{any_delete}).Bind(3, record_id).Run());
  bool open = values.size() > 1 || (has_tombstone && edits_unseen);
  if (!open) {
    RETURN_IF_ERROR(CloseConflict(record_id, kDeletedField));
    return false;
  }
  ASSIGN_OR_RETURN(std::string id, ComputeConflictId(*db_, record_id, kDeletedField));
  bool newly_opened = false;
  RETURN_IF_ERROR(OpenConflict(record_id, kDeletedField, id, now, &newly_opened));
  return newly_opened;
}

}  // namespace accord
