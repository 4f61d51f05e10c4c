// Retention (docs/sharing.md, "Retention"): the values of superseded
// versions of personal data are pruned once a newer version has replaced
// them for longer than the deployment's policy keeps them.
//
// Why pruning a superseded value is safe for sync:
//  - Only live versions are ever sent (ReadChanges, AppendBackfill read
//    state > 0), and a superseded version never becomes live again: a peer
//    that lacks it receives the newer version, which dominates it.
//  - Knowledge is untouched: the pruned write stays known, so nobody sends
//    it again; if somebody does, MergeVersion finds a live version that
//    dominates it and stores nothing.
//  - The seal of its signing unit keeps the SHA-256 of its bytes, so the
//    other states of that unit still verify when this node relays them; with
//    the salt gone, that hash no longer lets anyone test a guess of the value.
//  - The row stays, without value: the office that opened a record is read
//    from the vectors and origins of its first required field, and whether
//    a reader ever held a record from who wrote or sent its versions
//    (core/record_scope.cc, core/scope_history.cc). Scope fields keep their
//    values: the scopes a record had over time are judged from them.
#include <algorithm>
#include <map>

#include "core/store.h"

namespace accord {

namespace {

// One stored version of a field, as the prune judges it.
struct HeldRow {
  int64_t seq = 0;
  int64_t received_at = 0;
  int64_t state = 0;
  bool pruned = false;
  std::string vv_text;
};

// When a newer version replaced `old` here: the earliest time a version
// stored after it that dominates it was stored. A version dominated on
// arrival is never stored, so the versions that dominate `old` came later.
// nullopt when none is held (it cannot be judged: kept).
Result<std::optional<int64_t>> SupersededAt(const HeldRow& old, const std::vector<HeldRow>& field,
                                            std::map<int64_t, VersionVector>& vectors) {
  auto vector_of = [&](const HeldRow& row) -> Result<const VersionVector*> {
    auto it = vectors.find(row.seq);
    if (it == vectors.end()) {
      auto parsed = VersionVector::FromText(row.vv_text);
      if (!parsed.ok()) {
        return parsed.status().WithContext("change log seq " + std::to_string(row.seq) + ": ");
      }
      it = vectors.emplace(row.seq, std::move(parsed).value()).first;
    }
    return &it->second;
  };
  ASSIGN_OR_RETURN(const VersionVector* old_vv, vector_of(old));
  std::optional<int64_t> at;
  for (const HeldRow& later : field) {
    if (later.seq <= old.seq) continue;
    if (at && later.received_at >= *at) continue;
    ASSIGN_OR_RETURN(const VersionVector* later_vv, vector_of(later));
    if (old_vv->Compare(*later_vv) == Order::kBefore) at = later.received_at;
  }
  return at;
}

// A version whose value goes: its log position, and its type's index in
// the report.
struct Doomed {
  int64_t seq;
  size_t type;
};

// Judges the versions of one record of `of_type` (types[type_index] of the
// report), by field in log order: adds to `doomed` those superseded here
// before the cutoff, counts the scope fields' that stay. Returns whether
// any goes.
Result<bool> JudgeRecord(const std::map<std::string, std::vector<HeldRow>>& by_field,
                         const SharingPolicy& policy, size_t type_index, RetentionOfType& of_type,
                         std::vector<Doomed>& doomed) {
  bool any = false;
  for (const auto& [field, held] : by_field) {
    // The tombstone says deleted or restored: no value of the record.
    if (field == kDeletedField) continue;
    const bool scope_field = policy.IsScopeField(of_type.type, field);
    std::map<int64_t, VersionVector> vectors;
    for (const HeldRow& row : held) {
      if (row.state != 0 || row.pruned || row.received_at > of_type.cutoff_ms) continue;
      ASSIGN_OR_RETURN(std::optional<int64_t> replaced, SupersededAt(row, held, vectors));
      if (!replaced || *replaced > of_type.cutoff_ms) continue;
      if (scope_field) {
        ++of_type.kept_scope_fields;
        continue;
      }
      doomed.push_back({row.seq, type_index});
      ++of_type.pruned;
      any = true;
    }
  }
  return any;
}

// Erases the doomed versions' values, a few thousand rows per transaction
// (tens of milliseconds): a sync page or an officer's write waits at most
// that long for the lock. Counts, in `report`, what it erased.
Status PruneRows(Database& db, const std::vector<Doomed>& doomed, RetentionReport& report) {
  constexpr size_t kPruneBatch = 4096;
  for (RetentionOfType& of_type : report.types) of_type.pruned = 0;
  report.pruned = 0;
  for (size_t first = 0; first < doomed.size(); first += kPruneBatch) {
    ASSIGN_OR_RETURN(auto txn, Transaction::Begin(db, Transaction::Mode::kWrite));
    ASSIGN_OR_RETURN(Statement * prune,
                     db.Prepare("UPDATE versions SET value = NULL, note = '', wire = NULL, "
                                "salt = X'', pruned_at = ? "
                                "WHERE seq = ? AND state = 0 AND pruned_at = 0"));
    const size_t end = std::min(doomed.size(), first + kPruneBatch);
    for (size_t i = first; i < end; ++i) {
      RETURN_IF_ERROR(prune->Bind(1, report.now_ms).Bind(2, doomed[i].seq).Run());
      if (db.Changes() == 1) {
        ++report.types[doomed[i].type].pruned;
        ++report.pruned;
      }
    }
    RETURN_IF_ERROR(txn->Commit());
  }
  return Status::Ok();
}

}  // namespace

Result<RetentionReport> Store::PruneSuperseded(bool dry_run) {
  RetentionReport report;
  report.dry_run = dry_run;
  report.now_ms = NowMs();
  // Which versions go is judged in one read transaction, which never holds
  // up a writer; they are pruned in short write transactions after it. The
  // judgment stays true meanwhile: a superseded version never becomes live
  // again, and versions stored since were stored later, so they cannot make
  // it replaced any earlier. (A purge in between removes rows: the update
  // then finds nothing.)
  std::vector<Doomed> doomed;
  {
    ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_, Transaction::Mode::kRead));
    RETURN_IF_ERROR(RefreshPolicy());
    const SharingPolicy& policy = this->policy();
    report.policy_version = policy.version;
    for (const auto& [type, days] : policy.superseded_days) {
      if (!IsPersonalType(type)) {
        report.not_personal.push_back(type);
        continue;
      }
      report.types.push_back({type, days, report.now_ms - days * kMsPerDay, 0, 0, 0});
    }
    ASSIGN_OR_RETURN(Statement * records,
                     db_->Prepare("SELECT id FROM records WHERE type = ? ORDER BY id"));
    ASSIGN_OR_RETURN(Statement * rows,
                     db_->Prepare("SELECT seq, field, received_at, state, pruned_at, vv "
                                  "FROM versions WHERE record_id = ? ORDER BY field, seq"));
    for (size_t t = 0; t < report.types.size(); ++t) {
      RetentionOfType& of_type = report.types[t];
      records->Bind(1, of_type.type);
      std::vector<std::string> ids;
      while (true) {
        ASSIGN_OR_RETURN(bool row, records->Step());
        if (!row) break;
        ids.push_back(records->Text(0));
      }
      records->Reset();
      for (const std::string& id : ids) {
        rows->Bind(1, id);
        std::map<std::string, std::vector<HeldRow>> by_field;
        bool candidate = false;
        while (true) {
          ASSIGN_OR_RETURN(bool row, rows->Step());
          if (!row) break;
          HeldRow held{rows->Int(0), rows->Int(2), rows->Int(3), rows->Int(4) != 0, rows->Text(5)};
          // Stored after the cutoff, it was replaced after it too.
          candidate |= held.state == 0 && !held.pruned && held.received_at <= of_type.cutoff_ms;
          by_field[rows->Text(1)].push_back(std::move(held));
        }
        rows->Reset();
        if (!candidate) continue;
        ASSIGN_OR_RETURN(bool touched, JudgeRecord(by_field, policy, t, of_type, doomed));
        if (touched) ++of_type.records;
      }
    }
  }
  report.pruned = static_cast<int64_t>(doomed.size());
  if (dry_run || doomed.empty()) return report;
  RETURN_IF_ERROR(PruneRows(*db_, doomed, report));
  // As after a purge: the pages that held the values live on in the WAL
  // until it is copied into the file (where secure_delete zeroed them).
  if (Status emptied = EmptyWalAfterPurge(); !emptied.ok()) {
    if (emptied.code() != Code::kUnavailable) return emptied;
    report.warning = emptied.message();
  }
  return report;
}

}  // namespace accord
