// Leaving a scope at the receiving end (docs/sharing.md, "Leaving a scope"):
// whether to act on a peer's notice that a record left this node's scope,
// and the purge that removes the record, what hangs off it and their history
// from every table that holds their values or bytes.
#include <set>

#include "core/record_id.h"
#include "core/store.h"

namespace accord {

namespace {

// Why a record was purged, as purged_records keeps it: fixed words, never a
// value of the record.
constexpr char kOutOfOwnScope[] = "out of this node's scope by its own evaluation";
constexpr char kOwnerSaysSo[] = "the party that opened it says it left this node's scope";
constexpr char kCameBackOutOfScope[] = "came back while out of this node's scope";

}  // namespace

Result<std::vector<PurgedRecord>> Store::PurgedRecords() {
  ASSIGN_OR_RETURN(Statement * stmt,
                   db_->Prepare("SELECT record_id, type, purged_at, notice_from, reason "
                                "FROM purged_records ORDER BY id DESC"));
  std::vector<PurgedRecord> purged;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    purged.push_back({stmt->Text(0), stmt->Text(1), stmt->Int(2), stmt->Text(3), stmt->Text(4)});
  }
  stmt->Reset();
  return purged;
}

Status Store::RemoteBatch::ApplyScopeExits(const std::vector<std::string>& record_ids) {
  if (record_ids.empty()) return Status::Ok();
  ASSIGN_OR_RETURN(std::optional<std::string> own, store_.PartyOf(store_.node_id_));
  ASSIGN_OR_RETURN(std::optional<std::string> sender, store_.PartyOf(from_peer_));
  std::set<std::string> judged;
  for (const std::string& id : record_ids) {
    if (!judged.insert(id).second) continue;
    auto ignore = [&](const std::string& why) {
      result_.notices_ignored.push_back(from_peer_ + " says record " + id +
                                        " left this node's scope; ignored: " + why);
    };
    if (!IsValidRecordId(id)) {
      result_.notices_ignored.push_back(from_peer_ + " sent a scope exit for a malformed id");
      continue;
    }
    ASSIGN_OR_RETURN(std::optional<std::string> type, store_.RecordType(id));
    if (!type) continue;  // not held here: never was, or purged already
    if (!own) {
      ignore("this node's own party is not known");
      continue;
    }
    // A certificate says who the peer is, not that it tells the truth: the
    // notice is only acted on where this node can see it is right, or where
    // the peer speaks for the party whose record it is.
    ScopeCache cache;
    ASSIGN_OR_RETURN(RecordScope scope, store_.ScopeOfCached(id, cache, 0));
    if (scope.owner_party.empty()) {
      ignore("the party of the office that opened it is not known here");
      continue;
    }
    if (scope.owner_party == *own) {
      ignore("it was opened by an office of this node's own party (" + *own + ")");
      continue;
    }
    std::string reason;
    if (!scope.Allows(*own)) {
      reason = kOutOfOwnScope;
    } else if (sender && *sender == scope.owner_party) {
      // This node may not hold the state that took the record out of its
      // scope yet (it is held back from it): the owner's word is enough.
      reason = kOwnerSaysSo;
    } else {
      ignore("by this node's own evaluation " + *own + " may hold it (" + scope.reason + "), and " +
             from_peer_ + " is not of the party that opened it (" + scope.owner_party + ")");
      continue;
    }
    RETURN_IF_ERROR(store_.Purge(id, from_peer_, reason, now_, result_.purged));
  }
  return Status::Ok();
}

Status Store::RemoteBatch::PurgeReturned() {
  if (returned_.empty()) return Status::Ok();
  ASSIGN_OR_RETURN(std::optional<std::string> own, store_.PartyOf(store_.node_id_));
  // Without its own party this node cannot judge: it keeps the record until
  // a notice says otherwise.
  if (!own) return Status::Ok();
  for (const std::string& id : returned_) {
    ASSIGN_OR_RETURN(std::optional<std::string> type, store_.RecordType(id));
    if (!type) continue;
    ScopeCache cache;
    ASSIGN_OR_RETURN(RecordScope scope, store_.ScopeOfCached(id, cache, 0));
    if (scope.owner_party == *own || scope.Allows(*own)) continue;
    // A sender that has not yet heard the record left (or part of it, which
    // fails closed): the record goes again, until it comes back whole and
    // in scope.
    RETURN_IF_ERROR(store_.Purge(id, from_peer_, kCameBackOutOfScope, now_, result_.purged));
  }
  returned_.clear();
  return Status::Ok();
}

Status Store::Purge(const std::string& record_id, const std::string& notice_from,
                    const std::string& reason, int64_t now, std::vector<PurgedRecord>& purged) {
  ASSIGN_OR_RETURN(std::optional<std::string> type, RecordType(record_id));
  if (!type) return Status::Ok();
  const SharingPolicy& policy = SharingPolicy::Default();
  // The record a follower takes its scope from: the first of its refs whose
  // value names a record held here (as ScopeOfCached judges it).
  auto scope_parent = [&](const Follower& f) -> Result<std::string> {
    auto refs = policy.follow.find(f.type);
    if (refs == policy.follow.end()) return std::string();
    ASSIGN_OR_RETURN(Statement * winner,
                     db_->Prepare("SELECT value FROM versions WHERE record_id = ? AND field = ? "
                                  "AND state = 2"));
    for (const std::string& ref : refs->second) {
      winner->Bind(1, f.id).Bind(2, ref);
      ASSIGN_OR_RETURN(bool found, winner->Step());
      std::string parent = found ? winner->OptionalText(0).value_or("") : "";
      winner->Reset();
      if (parent.empty() || parent == f.id) continue;
      ASSIGN_OR_RETURN(std::optional<std::string> held, RecordType(parent));
      if (held) return parent;
    }
    return std::string();
  };
  // The record and, breadth first, what follows it in scope: a family
  // tracing of the case, the minutes of a meeting of the plan. Not a record
  // that only names it in a later ref while an earlier one decides.
  std::vector<std::pair<std::string, std::string>> doomed{{record_id, *type}};
  std::set<std::string> seen{record_id};
  for (size_t i = 0; i < doomed.size(); ++i) {
    ASSIGN_OR_RETURN(std::vector<Follower> followers, FollowersOf(doomed[i].first));
    for (const Follower& f : followers) {
      if (seen.count(f.id)) continue;
      ASSIGN_OR_RETURN(std::string parent, scope_parent(f));
      if (parent != doomed[i].first) continue;
      seen.insert(f.id);
      doomed.emplace_back(f.id, f.type);
    }
  }
  // Every table that holds a value, a state's bytes or a reason quoting one
  // (docs/schema.md). The seals of their units stay: salted hashes that show
  // nothing of a value, and that prove other records' states of the same
  // writes. secure_delete (on for every connection, core/sqlite.cc) zeroes
  // what these statements free.
  static const char* const kDeletes[] = {
      "DELETE FROM versions WHERE record_id = ?",
      "DELETE FROM conflicts WHERE record_id = ?",
      "DELETE FROM refusals WHERE record_id = ?",
      "DELETE FROM records WHERE id = ?",
  };
  ASSIGN_OR_RETURN(Statement * keep,
                   db_->Prepare("INSERT INTO purged_records(record_id, type, purged_at, "
                                "notice_from, reason) VALUES(?, ?, ?, ?, ?)"));
  for (const auto& [id, record_type] : doomed) {
    for (const char* sql : kDeletes) {
      ASSIGN_OR_RETURN(Statement * remove, db_->Prepare(sql));
      RETURN_IF_ERROR(remove->Bind(1, id).Run());
    }
    RETURN_IF_ERROR(keep->Bind(1, id)
                        .Bind(2, record_type)
                        .Bind(3, now)
                        .Bind(4, notice_from)
                        .Bind(5, reason)
                        .Run());
    purged.push_back({id, record_type, now, notice_from, reason});
  }
  return Status::Ok();
}

Status Store::EmptyWalAfterPurge() {
  int wal_frames = 0;
  int copied = 0;
  // TRUNCATE waits (the busy handler) for readers of older snapshots, copies
  // every frame into the database file and cuts the WAL to zero bytes: the
  // pages the purge replaced live on in the WAL until then.
  int rc = sqlite3_wal_checkpoint_v2(db_->handle(), nullptr, SQLITE_CHECKPOINT_TRUNCATE,
                                     &wal_frames, &copied);
  if (rc == SQLITE_BUSY) {
    return Unavailable("the purge is committed, but another connection kept " +
                       std::to_string(wal_frames - copied) +
                       " WAL frames from being emptied; the next checkpoint removes them");
  }
  if (rc != SQLITE_OK) return SqliteStatus(db_->handle(), rc, "emptying the WAL after a purge");
  return Status::Ok();
}

}  // namespace accord
