// What the store keeps of signed origins: this node's writes waiting for a
// seal, the seals of every unit it holds, the certificates that signed them,
// and the refusals either way. The signatures themselves are checked and
// made in sync/signed_changes.cc.
#include "core/store.h"

namespace accord {

namespace {

constexpr size_t kHashBytes = 32;
// Refusals kept for `accord status` and the review page; older ones go.
constexpr int64_t kRefusalsKept = 10000;

std::string JoinHashes(const std::vector<std::string>& hashes) {
  std::string joined;
  joined.reserve(hashes.size() * kHashBytes);
  for (const auto& h : hashes) joined += h;
  return joined;
}

Result<std::vector<std::string>> SplitHashes(const std::string& joined, const UnitKey& key) {
  if (joined.empty() || joined.size() % kHashBytes != 0) {
    return Corruption("the seal of unit " + key.ToString() + " holds damaged member hashes");
  }
  std::vector<std::string> hashes;
  for (size_t pos = 0; pos < joined.size(); pos += kHashBytes) {
    hashes.push_back(joined.substr(pos, kHashBytes));
  }
  return hashes;
}

// Reads a seal row: counter, unit, key_id, signature, hashes.
Result<ProvenUnit> ReadSeal(Statement& stmt, std::string origin) {
  ProvenUnit unit;
  unit.key.origin = std::move(origin);
  unit.key.counter = static_cast<uint64_t>(stmt.Int(0));
  unit.key.unit = static_cast<uint32_t>(stmt.Int(1));
  unit.key_id = stmt.Blob(2);
  unit.signature = stmt.Blob(3);
  ASSIGN_OR_RETURN(unit.member_hashes, SplitHashes(stmt.Blob(4), unit.key));
  return unit;
}

Status InsertRefusal(Database& db, int64_t now, bool sent, std::string_view peer,
                     const RefusedState& r) {
  ASSIGN_OR_RETURN(Statement * insert,
                   db.Prepare("INSERT INTO refusals(at, direction, peer, record_id, field, origin, "
                              "counter, reason) VALUES(?, ?, ?, ?, ?, ?, ?, ?)"));
  RETURN_IF_ERROR(insert->Bind(1, now)
                      .Bind(2, sent ? "sent" : "received")
                      .Bind(3, peer)
                      .Bind(4, r.record_id)
                      .Bind(5, r.field)
                      .Bind(6, r.origin)
                      .Bind(7, static_cast<int64_t>(std::min(r.counter, kMaxCounter)))
                      .Bind(8, r.reason)
                      .Run());
  ASSIGN_OR_RETURN(
      Statement * trim,
      db.Prepare("DELETE FROM refusals WHERE id <= (SELECT max(id) FROM refusals) - ?"));
  return trim->Bind(1, kRefusalsKept).Run();
}

// Binds and runs an insert into unit_seals (origin, counter, unit, key_id,
// signature, hashes): a seal this node made or one a peer proved.
Status KeepUnitSeal(Statement& keep, const ProvenUnit& unit) {
  return keep.Bind(1, unit.key.origin)
      .Bind(2, static_cast<int64_t>(unit.key.counter))
      .Bind(3, static_cast<int64_t>(unit.key.unit))
      .BindBlob(4, unit.key_id)
      .BindBlob(5, unit.signature)
      .BindBlob(6, JoinHashes(unit.member_hashes))
      .Run();
}

// Binds and runs an insert into origin_certificates (node, key_id, pem).
Status KeepCertificate(Statement& keep, const OriginCertificate& c) {
  return keep.Bind(1, c.node_id).BindBlob(2, c.key_id).Bind(3, c.certificate_pem).Run();
}

}  // namespace

Result<UnsealedBatch> Store::UnsealedWrites(size_t max) {
  ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_, Transaction::Mode::kRead));
  ASSIGN_OR_RETURN(
      Statement * stmt,
      db_->Prepare("SELECT v.record_id, r.type, v.field, v.value, v.vv, v.origin_time, v.note, "
                   "v.seq, v.author "
                   "FROM versions v JOIN records r ON r.id = v.record_id "
                   "WHERE v.salt IS NULL AND v.origin = ? ORDER BY v.origin_counter, v.seq "
                   "LIMIT ?"));
  stmt->Bind(1, node_id_).Bind(2, static_cast<int64_t>(max));
  UnsealedBatch batch;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    FieldVersion v;
    v.record_id = stmt->Text(0);
    v.record_type = stmt->Text(1);
    v.field = stmt->Text(2);
    std::string vv_text = stmt->Text(4);
    CellRow cell{v.record_id, v.field, vv_text};
    auto value = cipher_.ReadValue(*stmt, 3, cell);
    auto note = cipher_.ReadNote(*stmt, 6, cell);
    auto vv = VersionVector::FromText(vv_text);
    for (const Status& st : {value.status(), note.status(), vv.status()}) {
      if (!st.ok()) {
        stmt->Reset();
        return st;
      }
    }
    v.value = std::move(value).value();
    v.version = std::move(vv).value();
    v.origin = node_id_;
    v.origin_time_ms = stmt->Int(5);
    v.note = std::move(note).value();
    v.author = stmt->Text(8);
    batch.writes.push_back(std::move(v));
    batch.seqs.push_back(stmt->Int(7));
  }
  stmt->Reset();
  return batch;
}

Result<bool> Store::SealWrites(const UnsealedBatch& batch, const std::vector<ProvenUnit>& units,
                               const OriginCertificate& own) {
  ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_, Transaction::Mode::kWrite));
  ASSIGN_OR_RETURN(Statement * seal,
                   db_->Prepare("UPDATE versions SET salt = ?, unit = ?, unit_position = ?, "
                                "unit_counter = ? WHERE seq = ? AND salt IS NULL"));
  for (size_t i = 0; i < batch.writes.size(); ++i) {
    const FieldVersion& v = batch.writes[i];
    RETURN_IF_ERROR(seal->BindBlob(1, v.salt)
                        .Bind(2, static_cast<int64_t>(v.unit))
                        .Bind(3, static_cast<int64_t>(v.unit_position))
                        .Bind(4, static_cast<int64_t>(v.unit_counter))
                        .Bind(5, batch.seqs[i])
                        .Run());
    // Sealed (or purged) meanwhile by another connection, which read the
    // same oldest writes: its units stand, ours are dropped whole.
    if (db_->Changes() != 1) return false;
  }
  ASSIGN_OR_RETURN(Statement * keep,
                   db_->Prepare("INSERT INTO unit_seals(origin, counter, unit, key_id, signature, "
                                "hashes) VALUES(?, ?, ?, ?, ?, ?)"));
  for (const ProvenUnit& unit : units) {
    RETURN_IF_ERROR(KeepUnitSeal(*keep, unit));
  }
  ASSIGN_OR_RETURN(Statement * cert,
                   db_->Prepare("INSERT OR IGNORE INTO origin_certificates(node, key_id, pem) "
                                "VALUES(?, ?, ?)"));
  RETURN_IF_ERROR(KeepCertificate(*cert, own));
  RETURN_IF_ERROR(txn->Commit());
  return true;
}

Result<std::optional<ProvenUnit>> Store::FindProvenUnit(const UnitKey& key) {
  ASSIGN_OR_RETURN(Statement * stmt,
                   db_->Prepare("SELECT counter, unit, key_id, signature, hashes FROM unit_seals "
                                "WHERE origin = ? AND counter = ? AND unit = ?"));
  stmt->Bind(1, key.origin)
      .Bind(2, static_cast<int64_t>(key.counter))
      .Bind(3, static_cast<int64_t>(key.unit));
  ASSIGN_OR_RETURN(bool found, stmt->Step());
  std::optional<ProvenUnit> unit;
  if (found) {
    auto read = ReadSeal(*stmt, key.origin);
    stmt->Reset();
    if (!read.ok()) return read.status();
    unit = std::move(read).value();
  }
  stmt->Reset();
  return unit;
}

Result<uint32_t> Store::CountUnitsEndingAt(std::string_view origin, uint64_t counter) {
  ASSIGN_OR_RETURN(
      Statement * stmt,
      db_->Prepare("SELECT count(*) FROM unit_seals WHERE origin = ? AND counter = ?"));
  stmt->Bind(1, origin).Bind(2, static_cast<int64_t>(counter));
  ASSIGN_OR_RETURN(bool row, stmt->Step());
  uint32_t count = row ? static_cast<uint32_t>(stmt->Int(0)) : 0;
  stmt->Reset();
  return count;
}

Result<std::optional<ProvenUnit>> Store::HighestProvenUnit(std::string_view origin) {
  ASSIGN_OR_RETURN(Statement * stmt,
                   db_->Prepare("SELECT counter, unit, key_id, signature, hashes FROM unit_seals "
                                "WHERE origin = ? ORDER BY counter DESC, unit DESC LIMIT 1"));
  stmt->Bind(1, origin);
  ASSIGN_OR_RETURN(bool found, stmt->Step());
  std::optional<ProvenUnit> unit;
  if (found) {
    auto read = ReadSeal(*stmt, std::string(origin));
    stmt->Reset();
    if (!read.ok()) return read.status();
    unit = std::move(read).value();
  }
  stmt->Reset();
  return unit;
}

Result<std::optional<OriginCertificate>> Store::FindCertificate(std::string_view node,
                                                                std::string_view key_id) {
  ASSIGN_OR_RETURN(
      Statement * stmt,
      db_->Prepare("SELECT pem FROM origin_certificates WHERE node = ? AND key_id = ?"));
  stmt->Bind(1, node).BindBlob(2, key_id);
  ASSIGN_OR_RETURN(bool found, stmt->Step());
  std::optional<OriginCertificate> cert;
  if (found) cert = OriginCertificate{std::string(node), std::string(key_id), stmt->Text(0), ""};
  stmt->Reset();
  return cert;
}

Result<std::vector<std::string>> Store::CertificatesOf(std::string_view node) {
  ASSIGN_OR_RETURN(Statement * stmt,
                   db_->Prepare("SELECT pem FROM origin_certificates WHERE node = ?"));
  stmt->Bind(1, node);
  std::vector<std::string> pems;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    pems.push_back(stmt->Text(0));
  }
  stmt->Reset();
  return pems;
}

Status Store::RecordSentRefusals(std::string_view peer, const std::vector<RefusedState>& refused) {
  if (refused.empty()) return Status::Ok();
  ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_, Transaction::Mode::kWrite));
  for (const auto& r : refused) RETURN_IF_ERROR(InsertRefusal(*db_, NowMs(), true, peer, r));
  return txn->Commit();
}

Result<std::vector<RefusalRecord>> Store::RecentRefusals(size_t max) {
  ASSIGN_OR_RETURN(Statement * stmt,
                   db_->Prepare("SELECT at, direction, peer, record_id, field, origin, counter, "
                                "reason FROM refusals ORDER BY at DESC, id DESC LIMIT ?"));
  stmt->Bind(1, static_cast<int64_t>(max));
  std::vector<RefusalRecord> records;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    RefusalRecord r;
    r.at_ms = stmt->Int(0);
    r.sent = stmt->Text(1) == "sent";
    r.peer = stmt->Text(2);
    r.state = {stmt->Text(3), stmt->Text(4), stmt->Text(5), static_cast<uint64_t>(stmt->Int(6)),
               stmt->Text(7)};
    records.push_back(std::move(r));
  }
  stmt->Reset();
  return records;
}

// ---- RemoteBatch: proofs, bounds and refusals.

Result<uint64_t> Store::RemoteBatch::ProvenHigh(const std::string& origin) {
  if (auto it = proven_high_.find(origin); it != proven_high_.end()) return it->second;
  ASSIGN_OR_RETURN(Statement * stmt,
                   store_.db_->Prepare("SELECT coalesce(max(counter), 0) FROM unit_seals "
                                       "WHERE origin = ?"));
  stmt->Bind(1, origin);
  ASSIGN_OR_RETURN(bool row, stmt->Step());
  uint64_t high = row ? static_cast<uint64_t>(stmt->Int(0)) : 0;
  stmt->Reset();
  if (origin == store_.node_id_) high = std::max(high, own_counter_);
  proven_high_[origin] = high;
  return high;
}

Status Store::RemoteBatch::AddProofs(const std::vector<ProvenUnit>& units,
                                     const std::vector<OriginCertificate>& certificates) {
  Database& db = *store_.db_;
  ASSIGN_OR_RETURN(Statement * keep,
                   db.Prepare("INSERT OR IGNORE INTO unit_seals(origin, counter, unit, key_id, "
                              "signature, hashes) VALUES(?, ?, ?, ?, ?, ?)"));
  for (const ProvenUnit& unit : units) {
    // Refused with its states by CheckBounds, under the same bounds.
    if (!UnitWithinBounds(unit.key.origin, unit.key.counter)) {
      units_out_of_bounds_.insert(unit.key);
      continue;
    }
    ASSIGN_OR_RETURN(uint64_t high, ProvenHigh(unit.key.origin));
    RETURN_IF_ERROR(KeepUnitSeal(*keep, unit));
    proven_high_[unit.key.origin] = std::max(high, unit.key.counter);
  }
  ASSIGN_OR_RETURN(Statement * cert,
                   db.Prepare("INSERT OR IGNORE INTO origin_certificates(node, key_id, pem) "
                              "VALUES(?, ?, ?)"));
  // A verified certificate also tells which party its node belongs to: the
  // office that opens a case decides where the case may go.
  ASSIGN_OR_RETURN(Statement * party, db.Prepare(Store::kUpsertNodePartySql));
  if (!certificates.empty()) store_.ScopeInputsChanged();
  for (const auto& c : certificates) {
    RETURN_IF_ERROR(KeepCertificate(*cert, c));
    RETURN_IF_ERROR(party->Bind(1, c.node_id).Bind(2, c.party).Bind(3, now_).Run());
  }
  return Status::Ok();
}

bool Store::RemoteBatch::UnitWithinBounds(const std::string& origin, uint64_t counter) const {
  if (counter > kMaxCounter) return false;
  return origin == store_.node_id_ || counter <= knowledge_.Get(origin) + kMaxCounterJump;
}

void Store::RemoteBatch::CapKnowledgeBelow(const std::vector<RefusedState>& refused) {
  for (const RefusedState& r : refused) {
    if (r.origin.empty() || r.counter == 0 || r.purged) continue;
    auto [it, fresh] = refused_low_.emplace(r.origin, r.counter);
    if (!fresh) it->second = std::min(it->second, r.counter);
  }
}

Status Store::RemoteBatch::Refuse(const FieldVersion& state, std::string reason) {
  return AddRefused(
      {{state.record_id, state.field, state.origin, state.OriginCounter(), std::move(reason)}});
}

Status Store::RemoteBatch::AddRefused(const std::vector<RefusedState>& refused) {
  for (const RefusedState& r : refused) {
    RETURN_IF_ERROR(InsertRefusal(*store_.db_, now_, false, from_peer_, r));
    CapKnowledgeBelow({r});
    result_.refused.push_back(r);
  }
  return Status::Ok();
}

}  // namespace accord
