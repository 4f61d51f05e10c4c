// Local writes: an officer's put, delete or resolution. Each runs in one write
// transaction and takes this node's next counter, so its vector dominates
// everything the node held for the field before.
#include <set>

#include "core/conflict_id.h"
#include "core/record_id.h"
#include "core/store.h"
#include "core/text_rule.h"
#include "core/write_check.h"

namespace accord {

class Store::LocalWriter {
 public:
  LocalWriter(Store& store, int64_t now) : store_(store), now_(now) {}

  // `right`: what the acting user must hold on a node with users.
  Status Begin(std::string_view right = kRightWrite) {
    RETURN_IF_ERROR(CheckNotEncryptedMeanwhile(*store_.db_, store_.cipher_));
    ASSIGN_OR_RETURN(author_, store_.AuthorFor(right));
    ASSIGN_OR_RETURN(Statement * stmt,
                     store_.db_->Prepare("SELECT counter FROM knowledge WHERE node = ?"));
    stmt->Bind(1, store_.node_id_);
    ASSIGN_OR_RETURN(bool found, stmt->Step());
    if (!found) return Corruption("this node's own counter is missing from the knowledge table");
    counter_ = static_cast<uint64_t>(stmt->Int(0));
    stmt->Reset();
    return Status::Ok();
  }

  Result<std::string> Put(const RecordWrite& raw) {
    ASSIGN_OR_RETURN(RecordWrite write, CheckRecordWrite(raw));
    const TypeSpec* type = Schema::Get().FindType(write.type);
    std::string id = write.id ? *write.id : NewRecordId();
    ASSIGN_OR_RETURN(
        Statement * lookup,
        store_.db_->Prepare("SELECT type, deleted, has_tombstone FROM records WHERE id = ?"));
    lookup->Bind(1, id);
    ASSIGN_OR_RETURN(bool exists, lookup->Step());
    std::string existing_type = exists ? lookup->Text(0) : "";
    bool deleted = exists && lookup->Int(1) != 0;
    bool has_tombstone = exists && lookup->Int(2) != 0;
    lookup->Reset();
    if (exists && existing_type != type->name) {
      return InvalidArgument("record " + id + " is a " + existing_type + ", not a " + type->name);
    }
    if (deleted) return FailedPrecondition("record " + id + " was deleted");

    std::set<std::string> seen;
    for (const FieldWrite& fw : write.writes) {
      seen.insert(fw.field);
      const FieldSpec* field = type->FindField(fw.field);
      if (fw.value && field->kind == FieldKind::kRef) {
        pending_refs_.push_back({id, type->name + "." + field->name, *fw.value, field->ref_type});
      }
    }
    if (!exists) {
      // An erased record never comes back, not even by a local write: every
      // peer would refuse it as purged (docs/security.md, "Purge orders").
      ASSIGN_OR_RETURN(std::optional<PurgeOrder> order, store_.FindPurgeOrder(id));
      if (order) {
        return FailedPrecondition("record " + id + " was " + DescribePurge(*order) +
                                  "; give a new record a new id");
      }
      for (const FieldSpec& field : type->fields) {
        if (field.required && !seen.count(field.name)) {
          return InvalidArgument("a new " + type->name + " needs " + field.name + " (required)");
        }
      }
      ASSIGN_OR_RETURN(
          Statement * insert,
          store_.db_->Prepare("INSERT INTO records(id, type, created_at) VALUES(?, ?, ?)"));
      RETURN_IF_ERROR(insert->Bind(1, id).Bind(2, type->name).Bind(3, now_).Run());
    }

    uint64_t counter = counter_ + 1;
    bool wrote = false;
    for (const FieldWrite& fw : write.writes) {
      FieldVersion version;
      version.record_id = id;
      version.record_type = type->name;
      version.field = fw.field;
      version.value = fw.value;
      std::vector<StoredVersion> live;  // a new record has none
      if (exists) {
        ASSIGN_OR_RETURN(live, store_.LiveVersions(id, fw.field));
        // Writing the value a field already holds, with no conflict, is no change.
        if (live.size() == 1 && live[0].version.value == fw.value) continue;
        if (live.empty() && !fw.value) continue;
        for (const auto& held : live) version.version.MergeFrom(held.version.version);
      }
      RETURN_IF_ERROR(WriteVersion(std::move(version), counter, "", &live));
      wrote = true;
    }
    if (wrote) counter_ = counter;
    if (wrote && has_tombstone) {
      ASSIGN_OR_RETURN(bool unused, store_.RefreshDeletion(id, now_));
      (void)unused;
    }
    return id;
  }

  Status Delete(std::string_view id) {
    ASSIGN_OR_RETURN(std::string type, ExistingAlive(id));
    ASSIGN_OR_RETURN(VersionVector seen, RecordVector(id));
    FieldVersion tomb;
    tomb.record_id = std::string(id);
    tomb.record_type = type;
    tomb.field = std::string(kDeletedField);
    tomb.value = "1";
    tomb.version = std::move(seen);
    RETURN_IF_ERROR(WriteVersion(std::move(tomb), ++counter_, ""));
    ASSIGN_OR_RETURN(bool unused, store_.RefreshDeletion(id, now_));
    (void)unused;
    return Status::Ok();
  }

  Status Resolve(std::string_view id, std::string_view field_name,
                 const std::optional<std::string>& value, std::string_view note) {
    ASSIGN_OR_RETURN(std::optional<std::string> type_name, store_.RecordType(id));
    if (!type_name) return NotFound("no record with id " + std::string(id));
    const TypeSpec* type = Schema::Get().FindType(*type_name);
    FieldVersion version;
    version.record_id = std::string(id);
    version.record_type = *type_name;
    version.field = std::string(field_name);
    version.value = value;
    version.note = std::string(note);
    if (field_name == kDeletedField) {
      if (value != "1" && value != "0") {
        return InvalidArgument("a deletion is resolved by keeping it (1) or restoring (0)");
      }
      // Restoring or confirming must dominate the tombstone and every edit.
      ASSIGN_OR_RETURN(version.version, RecordVector(id));
    } else {
      const FieldSpec* field = type ? type->FindField(field_name) : nullptr;
      ASSIGN_OR_RETURN(std::vector<StoredVersion> live, store_.LiveVersions(id, field_name));
      if (!field) {
        // A field (or type) only a newer node knows: resolvable when values of
        // it are held here, checked by the text rule alone (core/text_rule.h).
        if (live.empty()) {
          return InvalidArgument("type " + *type_name + " has no field '" +
                                 std::string(field_name) + "'");
        }
        if (value) {
          ASSIGN_OR_RETURN(version.value, NormalizeText(*value, /*long_text=*/true));
        }
      } else if (value) {
        auto normalized = NormalizeText(*value, field->kind == FieldKind::kLongText);
        if (!normalized.ok()) {
          return InvalidArgument(type->name + "." + field->name + ": the value " +
                                 normalized.status().message());
        }
        version.value = std::move(normalized).value();
        RETURN_IF_ERROR(Schema::ValidateValue(*type, *field, *version.value));
        if (field->kind == FieldKind::kRef) {
          pending_refs_.push_back(
              {std::string(id), type->name + "." + field->name, *version.value, field->ref_type});
        }
      } else if (field->required) {
        return InvalidArgument(type->name + "." + field->name +
                               " is required and cannot be cleared");
      }
      for (const auto& held : live) version.version.MergeFrom(held.version.version);
    }
    RETURN_IF_ERROR(WriteVersion(std::move(version), ++counter_, ""));
    ASSIGN_OR_RETURN(bool unused, store_.RefreshDeletion(id, now_));
    (void)unused;
    return Status::Ok();
  }

  // Checks references (they may point anywhere in the batch) and saves the counter.
  Status Finish() {
    ASSIGN_OR_RETURN(Statement * stmt,
                     store_.db_->Prepare("SELECT type, deleted FROM records WHERE id = ?"));
    for (const auto& ref : pending_refs_) {
      stmt->Bind(1, ref.target);
      ASSIGN_OR_RETURN(bool found, stmt->Step());
      std::string target_type = found ? stmt->Text(0) : "";
      bool target_deleted = found && stmt->Int(1) != 0;
      stmt->Reset();
      std::string where = "record " + ref.from_record + ", " + ref.field + ": ";
      if (!found) {
        return InvalidArgument(where + "refers to " + ref.target + ", which does not exist");
      }
      if (target_type != ref.target_type) {
        return InvalidArgument(where + "refers to " + ref.target + ", a " + target_type +
                               ", but needs a " + ref.target_type);
      }
      if (target_deleted) {
        return InvalidArgument(where + "refers to " + ref.target + ", which was deleted");
      }
    }
    ASSIGN_OR_RETURN(Statement * save,
                     store_.db_->Prepare("UPDATE knowledge SET counter = ? WHERE node = ?"));
    return save->Bind(1, static_cast<int64_t>(counter_)).Bind(2, store_.node_id_).Run();
  }

 private:
  struct PendingRef {
    std::string from_record;
    std::string field;
    std::string target;
    std::string target_type;
  };

  Status WriteVersion(FieldVersion version, uint64_t counter, std::string_view received_from,
                      const std::vector<StoredVersion>* known_live = nullptr) {
    version.version.Set(store_.node_id_, counter);
    version.origin = store_.node_id_;
    version.origin_time_ms = now_;
    version.author = author_;
    ASSIGN_OR_RETURN(MergeOutcome outcome,
                     store_.MergeVersion(version, received_from, now_, known_live));
    if (!outcome.stored) {
      return Internal("a local write of " + version.record_id + "." + version.field +
                      " did not dominate what the node held");
    }
    return Status::Ok();
  }

  Result<std::string> ExistingAlive(std::string_view id) {
    if (!IsValidRecordId(id))
      return InvalidArgument("'" + std::string(id) + "' is not a record id");
    ASSIGN_OR_RETURN(Statement * stmt,
                     store_.db_->Prepare("SELECT type, deleted FROM records WHERE id = ?"));
    stmt->Bind(1, id);
    ASSIGN_OR_RETURN(bool found, stmt->Step());
    std::string type = found ? stmt->Text(0) : "";
    bool deleted = found && stmt->Int(1) != 0;
    stmt->Reset();
    if (!found) return NotFound("no record with id " + std::string(id));
    if (deleted) return FailedPrecondition("record " + std::string(id) + " is already deleted");
    return type;
  }

  // The join of every live version of every field of the record.
  Result<VersionVector> RecordVector(std::string_view id) {
    ASSIGN_OR_RETURN(
        Statement * stmt,
        store_.db_->Prepare("SELECT vv FROM versions WHERE record_id = ? AND state > 0"));
    stmt->Bind(1, id);
    VersionVector joined;
    while (true) {
      ASSIGN_OR_RETURN(bool row, stmt->Step());
      if (!row) break;
      auto vv = VersionVector::FromText(stmt->Text(0));
      if (!vv.ok()) {
        stmt->Reset();
        return vv.status();
      }
      joined.MergeFrom(*vv);
    }
    stmt->Reset();
    return joined;
  }

  Store& store_;
  int64_t now_;
  uint64_t counter_ = 0;
  std::string author_;  // the acting user, "" on a node without users
  std::vector<PendingRef> pending_refs_;
};

Result<std::string> Store::Put(const RecordWrite& write) {
  ASSIGN_OR_RETURN(std::vector<std::string> ids, PutMany({write}));
  return ids.front();
}

Result<std::vector<std::string>> Store::PutMany(const std::vector<RecordWrite>& writes) {
  ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_, Transaction::Mode::kWrite));
  LocalWriter writer(*this, NowMs());
  RETURN_IF_ERROR(writer.Begin());
  std::vector<std::string> ids;
  ids.reserve(writes.size());
  for (size_t i = 0; i < writes.size(); ++i) {
    auto id = writer.Put(writes[i]);
    if (!id.ok()) {
      if (writes.size() == 1) return id.status();
      std::string which = "record #" + std::to_string(i + 1) +
                          (writes[i].id ? " (id " + *writes[i].id + ")" : "") + ": ";
      return id.status().WithContext(which);
    }
    ids.push_back(std::move(id).value());
  }
  RETURN_IF_ERROR(writer.Finish());
  RETURN_IF_ERROR(txn->Commit());
  SealAfterWrite();
  return ids;
}

Status Store::Delete(std::string_view id) {
  ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_, Transaction::Mode::kWrite));
  LocalWriter writer(*this, NowMs());
  RETURN_IF_ERROR(writer.Begin());
  RETURN_IF_ERROR(writer.Delete(id));
  RETURN_IF_ERROR(writer.Finish());
  RETURN_IF_ERROR(txn->Commit());
  SealAfterWrite();
  return Status::Ok();
}

Status Store::WriteResolution(std::string_view id, std::string_view field,
                              const std::optional<std::string>& value, std::string_view note,
                              std::string_view expected_conflict_id) {
  ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_, Transaction::Mode::kWrite));
  if (!expected_conflict_id.empty()) {
    ASSIGN_OR_RETURN(std::string current, ComputeConflictId(*db_, id, field));
    if (current != expected_conflict_id) {
      return FailedPrecondition("conflict " + std::string(expected_conflict_id) +
                                " changed since it was listed (a sync brought another value): "
                                "list conflicts again");
    }
  }
  LocalWriter writer(*this, NowMs());
  RETURN_IF_ERROR(writer.Begin(kRightResolve));
  RETURN_IF_ERROR(writer.Resolve(id, field, value, note));
  RETURN_IF_ERROR(writer.Finish());
  RETURN_IF_ERROR(txn->Commit());
  SealAfterWrite();
  return Status::Ok();
}

void Store::SealAfterWrite() {
  if (!write_sealer_) return;
  last_seal_failure_ = write_sealer_(*this);
}

}  // namespace accord
