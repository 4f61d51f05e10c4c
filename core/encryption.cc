// Encrypting an existing node's personal data (`accord encrypt`,
// docs/encryption.md): every clear cell of a personal type sealed in one
// transaction, then no clear copy left in the file, its WAL or free pages.
#include "core/store.h"

namespace accord {

namespace {

struct ClearRow {
  int64_t seq = 0;
  std::string record_id, type, field, vv;
  std::optional<std::string> value;  // set: a clear value to seal
  std::optional<std::string> note;   // set: a clear note to seal
  std::optional<std::string> wire;   // set: clear signed bytes to seal
};

Status WaitForEmptyWal(Database& db, const char* what) {
  int frames = 0, copied = 0;
  int rc =
      sqlite3_wal_checkpoint_v2(db.handle(), nullptr, SQLITE_CHECKPOINT_TRUNCATE, &frames, &copied);
  if (rc == SQLITE_BUSY) {
    return Unavailable(std::string(what) + ": another connection kept " +
                       std::to_string(frames - copied) +
                       " WAL frames from being emptied (stop `accord serve` and run it again)");
  }
  if (rc != SQLITE_OK) return SqliteStatus(db.handle(), rc, what);
  return Status::Ok();
}

}  // namespace

Result<EncryptionReport> Store::EncryptPersonalData(std::shared_ptr<const DataKey> key,
                                                    const std::vector<std::string>& also_personal) {
  if (revocation_lock_) return FailedPrecondition(RevocationLockMessage(*revocation_lock_));
  ASSIGN_OR_RETURN(EncryptionReport report, SealPersonalData(std::move(key), also_personal, {}));
  // A case's files attached while the node was clear are sealed too.
  ASSIGN_OR_RETURN(report.files_sealed, SealAttachmentFiles());
  return report;
}

Result<EncryptionReport> Store::SealPersonalData(
    std::shared_ptr<const DataKey> key, const std::vector<std::string>& also_personal,
    const std::vector<std::pair<std::string, std::string>>& extra_meta) {
  if (!key) return InvalidArgument("no data key given");
  const std::string key_id = key->KeyId();
  if (cipher_.encrypted() && cipher_.key_id() != key_id) {
    return PermissionDenied("the key given is not this node's data key: nothing was changed");
  }
  std::set<std::string, std::less<>> marked = cipher_.also_personal();
  for (const std::string& type : also_personal) {
    if (!Schema::Get().FindType(type)) {
      return InvalidArgument("unknown record type '" + type + "' (see `accord schema`)");
    }
    marked.insert(type);
  }
  std::string marked_list;
  for (const std::string& type : marked) marked_list += (marked_list.empty() ? "" : ",") + type;
  CellCipher before = cipher_;
  CellCipher sealing(key_id, key, marked);
  EncryptionReport report;
  Status done = [&]() -> Status {
    ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_, Transaction::Mode::kWrite));
    ASSIGN_OR_RETURN(
        Statement * mark,
        db_->Prepare("INSERT OR IGNORE INTO meta(key, value) VALUES('data_key_id', ?)"));
    RETURN_IF_ERROR(mark->Bind(1, key_id).Run());
    if (!marked.empty()) {
      ASSIGN_OR_RETURN(Statement * types, db_->Prepare("INSERT OR REPLACE INTO meta(key, value) "
                                                       "VALUES('personal_types', ?)"));
      RETURN_IF_ERROR(types->Bind(1, marked_list).Run());
    }
    for (const auto& [meta_key, meta_value] : extra_meta) {
      ASSIGN_OR_RETURN(Statement * extra,
                       db_->Prepare("INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)"));
      RETURN_IF_ERROR(extra->Bind(1, meta_key).Bind(2, meta_value).Run());
    }
    ASSIGN_OR_RETURN(
        Statement * scan,
        db_->Prepare("SELECT v.seq, v.record_id, r.type, v.field, v.vv, v.value, v.note, v.wire "
                     "FROM versions v JOIN records r ON r.id = v.record_id ORDER BY v.seq"));
    std::vector<ClearRow> clear;
    while (true) {
      ASSIGN_OR_RETURN(bool row, scan->Step());
      if (!row) break;
      ClearRow r;
      r.type = scan->Text(2);
      r.field = scan->Text(3);
      if (!sealing.Seals(r.type, r.field)) continue;
      if (!scan->IsNull(5) && !scan->IsBlob(5)) r.value = scan->Text(5);
      if (!scan->IsBlob(6) && !scan->Text(6).empty()) r.note = scan->Text(6);
      if (!scan->IsNull(7) && !CellCipher::IsSealed(scan->Blob(7))) r.wire = scan->Blob(7);
      if (!r.value && !r.note && !r.wire) continue;
      r.seq = scan->Int(0);
      r.record_id = scan->Text(1);
      r.vv = scan->Text(4);
      clear.push_back(std::move(r));
    }
    scan->Reset();
    ASSIGN_OR_RETURN(Statement * value,
                     db_->Prepare("UPDATE versions SET value = ? WHERE seq = ?"));
    ASSIGN_OR_RETURN(Statement * note, db_->Prepare("UPDATE versions SET note = ? WHERE seq = ?"));
    ASSIGN_OR_RETURN(Statement * wire, db_->Prepare("UPDATE versions SET wire = ? WHERE seq = ?"));
    for (const ClearRow& r : clear) {
      CellRow cell{r.record_id, r.field, r.vv};
      if (r.value) {
        RETURN_IF_ERROR(sealing.BindValue(*value, 1, r.type, cell, r.value));
        RETURN_IF_ERROR(value->Bind(2, r.seq).Run());
        ++report.cells_sealed;
      }
      if (r.note) {
        RETURN_IF_ERROR(sealing.BindNote(*note, 1, r.type, cell, *r.note));
        RETURN_IF_ERROR(note->Bind(2, r.seq).Run());
        ++report.cells_sealed;
      }
      if (r.wire) {
        RETURN_IF_ERROR(sealing.BindWire(*wire, 1, r.type, cell, *r.wire));
        RETURN_IF_ERROR(wire->Bind(2, r.seq).Run());
        ++report.cells_sealed;
      }
      ++report.rows;
    }
    cipher_ = sealing;
    return txn->Commit();
  }();
  if (!done.ok()) {
    cipher_ = before;
    return done;
  }
  ScopeInputsChanged();
  // The clear cells are overwritten (secure_delete zeroes what is freed),
  // but their pages live on in the WAL until it is emptied; VACUUM then
  // rebuilds the file so that no page of it held them.
  auto hold = HoldOffBackgroundCheckpoints();
  RETURN_IF_ERROR(WaitForEmptyWal(*db_, "encrypted, but emptying the WAL"));
  RETURN_IF_ERROR(db_->Exec("VACUUM"));
  RETURN_IF_ERROR(WaitForEmptyWal(*db_, "encrypted, but emptying the WAL after VACUUM"));
  return report;
}

}  // namespace accord
