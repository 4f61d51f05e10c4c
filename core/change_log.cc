// The change log as sync sees it: reading pages of live versions since a
// cursor, and applying pages received from a peer.
#include "core/node_id.h"
#include "core/record_id.h"
#include "core/store.h"

namespace accord {

Result<ChangePage> Store::ReadChanges(uint64_t after_seq, size_t max_states,
                                      const VersionVector& peer_knowledge,
                                      const ShareFilter* filter) {
  if (max_states == 0) return InvalidArgument("page size must be at least 1");
  // One read transaction: the page, the head and the knowledge are one snapshot.
  ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_, Transaction::Mode::kRead));
  ChangePage page;
  page.next_cursor = after_seq;
  // Skipped states cost a scan but no bytes; bound the scan so one page of
  // a peer that already holds everything stays short.
  const int64_t scan_limit = static_cast<int64_t>(max_states) * 8;
  ASSIGN_OR_RETURN(
      Statement * stmt,
      db_->Prepare("SELECT v.seq, v.record_id, r.type, v.field, v.value, v.vv, v.origin, "
                   "v.origin_time, v.note FROM versions v JOIN records r ON r.id = v.record_id "
                   "WHERE v.seq > ? AND v.state > 0 ORDER BY v.seq LIMIT ?"));
  stmt->Bind(1, static_cast<int64_t>(after_seq)).Bind(2, scan_limit);
  int64_t scanned = 0;
  while (page.states.size() < max_states) {
    ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    ++scanned;
    page.next_cursor = static_cast<uint64_t>(stmt->Int(0));
    FieldVersion v;
    v.record_id = stmt->Text(1);
    v.record_type = stmt->Text(2);
    v.field = stmt->Text(3);
    v.value = stmt->OptionalText(4);
    auto vv = VersionVector::FromText(stmt->Text(5));
    if (!vv.ok()) {
      stmt->Reset();
      return vv.status().WithContext("change log seq " + std::to_string(page.next_cursor) + ": ");
    }
    v.version = std::move(vv).value();
    v.origin = stmt->Text(6);
    v.origin_time_ms = stmt->Int(7);
    v.note = stmt->Text(8);
    // The peer holds this write (or a newer one) when its knowledge covers the write's event.
    if (peer_knowledge.Get(v.origin) >= v.OriginCounter()) continue;
    if (filter && !(*filter)(v)) continue;
    page.states.push_back(std::move(v));
  }
  stmt->Reset();
  ASSIGN_OR_RETURN(Statement * head, db_->Prepare("SELECT coalesce(max(seq), 0) FROM versions"));
  ASSIGN_OR_RETURN(bool has_head, head->Step());
  uint64_t head_seq = has_head ? static_cast<uint64_t>(head->Int(0)) : 0;
  head->Reset();
  // Nothing live beyond this point: the page reaches the head.
  if (page.states.size() < max_states && scanned < scan_limit) page.next_cursor = head_seq;
  page.done = page.next_cursor >= head_seq;
  if (page.done) {
    ASSIGN_OR_RETURN(page.knowledge, Knowledge());
  }
  return page;
}

namespace {

Status ValidateIncoming(const FieldVersion& s, const std::string& self, uint64_t own_counter) {
  if (!IsValidRecordId(s.record_id)) return Corruption("malformed record id '" + s.record_id + "'");
  const TypeSpec* type = Schema::Get().FindType(s.record_type);
  if (!type) return Corruption("unknown record type '" + s.record_type + "'");
  if (s.field == kDeletedField) {
    if (s.value != "1" && s.value != "0") return Corruption("tombstone value must be 1 or 0");
  } else {
    const FieldSpec* field = type->FindField(s.field);
    if (!field) return Corruption("type " + type->name + " has no field '" + s.field + "'");
    if (s.value) {
      Status valid = Schema::ValidateValue(*type, *field, *s.value);
      if (!valid.ok()) return Corruption(valid.message());
    }
  }
  if (!IsValidNodeId(s.origin)) return Corruption("malformed origin node id '" + s.origin + "'");
  if (s.OriginCounter() == 0) {
    return Corruption("version " + s.version.ToText() + " has no entry for its origin " + s.origin);
  }
  // A peer cannot hold a write of ours that we never made: our vector would go backwards.
  if (s.version.Get(self) > own_counter) {
    return Corruption("version " + s.version.ToText() + " claims write " +
                      std::to_string(s.version.Get(self)) + " by this node, which has made only " +
                      std::to_string(own_counter));
  }
  return Status::Ok();
}

}  // namespace

Store::RemoteBatch::RemoteBatch(Store& store, std::string from_peer,
                                std::unique_ptr<Transaction> txn, uint64_t own_counter)
    : store_(store),
      from_peer_(std::move(from_peer)),
      txn_(std::move(txn)),
      own_counter_(own_counter),
      now_(store.NowMs()) {}

Store::RemoteBatch::~RemoteBatch() = default;

Result<std::unique_ptr<Store::RemoteBatch>> Store::BeginRemoteBatch(const std::string& from_peer) {
  if (!IsValidNodeId(from_peer))
    return InvalidArgument("malformed peer node id '" + from_peer + "'");
  if (!applies_remote_batches_) {
    // A connection that applies remote batches commits one page or chunk after
    // another, and their index inserts land on scattered pages: checkpointing
    // every 1000 WAL pages (SQLite's default, kept for officers' writes)
    // copied the same pages into the database again and again (a 1.8M-state
    // bundle: 14.3 s, against 9.7 s as one transaction). Every 10000 pages
    // (~40 MiB of WAL): 10.1 s.
    RETURN_IF_ERROR(db_->Exec("PRAGMA wal_autocheckpoint=10000"));
    applies_remote_batches_ = true;
  }
  ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_, Transaction::Mode::kWrite));
  ASSIGN_OR_RETURN(VersionVector knowledge, Knowledge());
  return std::unique_ptr<RemoteBatch>(
      new RemoteBatch(*this, from_peer, std::move(txn), knowledge.Get(node_id_)));
}

Status Store::RemoteBatch::Add(const std::vector<FieldVersion>& states) {
  Database& db = *store_.db_;
  result_.received += states.size();
  ASSIGN_OR_RETURN(Statement * lookup,
                   db.Prepare("SELECT type, has_tombstone FROM records WHERE id = ?"));
  ASSIGN_OR_RETURN(Statement * create,
                   db.Prepare("INSERT INTO records(id, type, created_at) VALUES(?, ?, ?)"));
  for (size_t i = 0; i < states.size(); ++i) {
    const FieldVersion& s = states[i];
    ++position_;
    auto where = [&] {
      return "state #" + std::to_string(position_) + " (record " + s.record_id + ", field " +
             s.field + ") from " + from_peer_ + ": ";
    };
    RETURN_IF_ERROR(ValidateIncoming(s, store_.node_id_, own_counter_).WithContext(where()));
    lookup->Bind(1, s.record_id);
    ASSIGN_OR_RETURN(bool exists, lookup->Step());
    std::string held_type = exists ? lookup->Text(0) : "";
    bool has_tombstone = exists && lookup->Int(1) != 0;
    lookup->Reset();
    if (!exists) {
      RETURN_IF_ERROR(create->Bind(1, s.record_id).Bind(2, s.record_type).Bind(3, now_).Run());
    } else if (held_type != s.record_type) {
      return Corruption(where() + "the record is a " + held_type + " here, not a " + s.record_type);
    }
    ASSIGN_OR_RETURN(MergeOutcome outcome, store_.MergeVersion(s, from_peer_, now_));
    if (!outcome.stored) {
      ++result_.unchanged;
      continue;
    }
    ++result_.applied;
    if (outcome.new_conflict) ++result_.new_conflicts;
    if (s.field == kDeletedField || has_tombstone) {
      ASSIGN_OR_RETURN(bool new_delete_conflict, store_.RefreshDeletion(s.record_id, now_));
      if (new_delete_conflict) ++result_.new_conflicts;
    }
  }
  return Status::Ok();
}

Status Store::RemoteBatch::MergeKnowledge(const VersionVector& vouched) {
  if (vouched.Get(store_.node_id_) > own_counter_) {
    return Corruption(from_peer_ + " vouches for write " +
                      std::to_string(vouched.Get(store_.node_id_)) +
                      " by this node, which has made only " + std::to_string(own_counter_));
  }
  ASSIGN_OR_RETURN(
      Statement * raise,
      store_.db_->Prepare("INSERT INTO knowledge(node, counter) VALUES(?, ?) ON CONFLICT(node) "
                          "DO UPDATE SET counter = max(counter, excluded.counter)"));
  for (const auto& [node, counter] : vouched.entries()) {
    if (!IsValidNodeId(node))
      return Corruption("knowledge names a malformed node id '" + node + "'");
    if (node == store_.node_id_) continue;
    RETURN_IF_ERROR(raise->Bind(1, node).Bind(2, static_cast<int64_t>(counter)).Run());
  }
  return Status::Ok();
}

Status Store::RemoteBatch::SetCursor(uint64_t new_inbound_cursor) {
  // The cursor moves in the same transaction as the page: a crash loses both or neither.
  ASSIGN_OR_RETURN(
      Statement * cursor,
      store_.db_->Prepare("INSERT INTO peer_state(peer_id, inbound_cursor, last_contact_at) "
                          "VALUES(?, ?, ?) ON CONFLICT(peer_id) DO UPDATE SET "
                          "inbound_cursor = max(inbound_cursor, excluded.inbound_cursor), "
                          "last_contact_at = excluded.last_contact_at"));
  return cursor->Bind(1, from_peer_)
      .Bind(2, static_cast<int64_t>(new_inbound_cursor))
      .Bind(3, now_)
      .Run();
}

Result<uint64_t> Store::BundleChunksApplied(std::string_view checksum_hex) {
  ASSIGN_OR_RETURN(Statement * stmt,
                   db_->Prepare("SELECT chunks_applied FROM bundle_progress WHERE checksum = ?"));
  stmt->Bind(1, checksum_hex);
  ASSIGN_OR_RETURN(bool found, stmt->Step());
  uint64_t chunks = found ? static_cast<uint64_t>(stmt->Int(0)) : 0;
  stmt->Reset();
  return chunks;
}

Result<bool> Store::RemoteBatch::ClaimBundleChunk(std::string_view checksum_hex, uint64_t index) {
  // Read under the write lock: another process applying the same file may
  // have committed this chunk since the caller looked.
  ASSIGN_OR_RETURN(uint64_t applied, store_.BundleChunksApplied(checksum_hex));
  if (applied > index) return false;
  ASSIGN_OR_RETURN(
      Statement * note,
      store_.db_->Prepare("INSERT INTO bundle_progress(checksum, sender, chunks_applied, "
                          "updated_at) VALUES(?, ?, ?, ?) ON CONFLICT(checksum) DO UPDATE SET "
                          "chunks_applied = excluded.chunks_applied, "
                          "updated_at = excluded.updated_at"));
  RETURN_IF_ERROR(note->Bind(1, checksum_hex)
                      .Bind(2, from_peer_)
                      .Bind(3, static_cast<int64_t>(index + 1))
                      .Bind(4, now_)
                      .Run());
  return true;
}

Status Store::RemoteBatch::FinishBundle(std::string_view checksum_hex) {
  ASSIGN_OR_RETURN(Statement * forget,
                   store_.db_->Prepare("DELETE FROM bundle_progress WHERE checksum = ?"));
  return forget->Bind(1, checksum_hex).Run();
}

Result<ApplyResult> Store::RemoteBatch::Commit() {
  RETURN_IF_ERROR(txn_->Commit());
  return result_;
}

Result<ApplyResult> Store::ApplyRemote(const std::vector<FieldVersion>& states,
                                       const std::string& from_peer, uint64_t new_inbound_cursor,
                                       const VersionVector* knowledge_to_merge) {
  ASSIGN_OR_RETURN(auto batch, BeginRemoteBatch(from_peer));
  RETURN_IF_ERROR(batch->Add(states));
  if (knowledge_to_merge) RETURN_IF_ERROR(batch->MergeKnowledge(*knowledge_to_merge));
  RETURN_IF_ERROR(batch->SetCursor(new_inbound_cursor));
  return batch->Commit();
}

}  // namespace accord
