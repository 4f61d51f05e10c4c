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
constexpr char kCameBackOutOfScope[] = "arrived after it left this node's scope";

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

namespace {

// Whether a notice from `sender` (of party `sender_party`, if known) that
// the record left this node's scope is to be acted on, given the record's
// scope by this node's own values: the reason to purge, or "" with `why_not`.
// `sender_saw_all`: every version of the record's scope fields held here is
// covered by what the sender held when it said so (ScopeExit::scope_version).
std::string JudgeNotice(const RecordScope& scope, const std::string& own,
                        const std::optional<std::string>& sender_party, bool sender_saw_all,
                        std::string* why_not) {
  // A certificate says who the peer is, not that it tells the truth: the
  // notice is only acted on where this node can see it is right, or where
  // the peer speaks for the party whose record it is.
  if (scope.owner_party.empty()) {
    *why_not = "the party of the office that opened it is not known here";
    return "";
  }
  if (scope.owner_party == own) {
    *why_not = "it was opened by an office of this node's own party (" + own + ")";
    return "";
  }
  // Not holding the version that opened it, this node cannot rule out that
  // an office of its own party opened it.
  if (scope.possible_owner_parties.count(own) || scope.possible_owner_parties.count("")) {
    *why_not = "this node cannot tell that it was not opened by an office of its own party (" +
               own + "): it holds no version that shows who opened it";
    return "";
  }
  if (!scope.Allows(own)) return kOutOfOwnScope;
  // This node may not hold the state that took the record out of its scope
  // yet (it is held back from it): the word of the party it belongs to is
  // enough, when that office had seen every change of the record's scope
  // this node holds. (Else this node knows better: the office judged by
  // older values, and a purge here could lose the only copy of a newer one.)
  if (sender_party && *sender_party == scope.owner_party &&
      scope.possible_owner_parties.size() == 1 && sender_saw_all) {
    return kOwnerSaysSo;
  }
  *why_not = "by this node's own evaluation " + own + " may hold it (" + scope.reason + "), and ";
  if (!sender_party || *sender_party != scope.owner_party) {
    *why_not += "the sender is not of the party that opened it (" + scope.owner_party + ")";
  } else if (!sender_saw_all) {
    *why_not += "the sender had not seen every change of its scope held here";
  } else {
    *why_not += "this node holds no version that shows who opened it";
  }
  return "";
}

// A notice that named no record held here, kept so that a copy arriving
// later is judged by it; at most this many per peer.
constexpr int64_t kMaxHeardPerPeer = 100000;

}  // namespace

Status Store::RemoteBatch::ApplyScopeExits(const std::vector<ScopeExit>& exits) {
  if (exits.empty()) return Status::Ok();
  RETURN_IF_ERROR(store_.RefreshPolicy());
  Database& db = *store_.db_;
  ASSIGN_OR_RETURN(std::optional<std::string> own, store_.PartyOf(store_.node_id_));
  ASSIGN_OR_RETURN(std::optional<std::string> sender, store_.PartyOf(from_peer_));
  ASSIGN_OR_RETURN(Statement * heard_before,
                   db.Prepare("SELECT scope_vv FROM heard_scope_exits WHERE record_id = ? AND "
                              "notice_from = ?"));
  ASSIGN_OR_RETURN(Statement * hear,
                   db.Prepare("INSERT OR REPLACE INTO heard_scope_exits(record_id, notice_from, "
                              "scope_vv, heard_at) VALUES(?, ?, ?, ?)"));
  std::optional<int64_t> heard_from_peer;
  std::set<std::string> judged;
  for (const ScopeExit& exit : exits) {
    const std::string& id = exit.record_id;
    if (!judged.insert(id).second) continue;
    if (!IsValidRecordId(id)) {
      result_.notices_ignored.push_back(from_peer_ + " sent a scope exit for a malformed id");
      continue;
    }
    ASSIGN_OR_RETURN(std::optional<std::string> type, store_.RecordType(id));
    if (!type) {
      // Not held here (never, or purged already): kept, in case a copy
      // arrives from an office that has not heard yet.
      if (!heard_from_peer) {
        ASSIGN_OR_RETURN(
            Statement * count,
            db.Prepare("SELECT count(*) FROM heard_scope_exits WHERE notice_from = ?"));
        count->Bind(1, from_peer_);
        ASSIGN_OR_RETURN(bool row, count->Step());
        heard_from_peer = row ? count->Int(0) : 0;
        count->Reset();
      }
      if (*heard_from_peer >= kMaxHeardPerPeer) continue;
      VersionVector told = exit.scope_version;
      heard_before->Bind(1, id).Bind(2, from_peer_);
      ASSIGN_OR_RETURN(bool known, heard_before->Step());
      if (known) {
        auto vv = VersionVector::FromText(heard_before->Text(0));
        if (vv.ok()) told.MergeFrom(*vv);
      } else {
        ++*heard_from_peer;
      }
      heard_before->Reset();
      RETURN_IF_ERROR(
          hear->Bind(1, id).Bind(2, from_peer_).Bind(3, told.ToText()).Bind(4, now_).Run());
      continue;
    }
    auto ignore = [&](const std::string& why) {
      result_.notices_ignored.push_back(from_peer_ + " says record " + id +
                                        " left this node's scope; ignored: " + why);
    };
    if (!own) {
      ignore("this node's own party is not known");
      continue;
    }
    ScopeCache cache;
    ASSIGN_OR_RETURN(RecordScope scope, store_.ScopeOfCached(id, cache, 0));
    ASSIGN_OR_RETURN(VersionVector held_here, store_.ScopeFieldsVector(id, *type));
    std::string why_not;
    std::string reason = JudgeNotice(scope, *own, sender,
                                     held_here.DominatedByOrEqual(exit.scope_version), &why_not);
    if (reason.empty()) {
      ignore(why_not);
      continue;
    }
    RETURN_IF_ERROR(store_.Purge(id, from_peer_, reason, now_, result_.purged, exit.scope_version));
  }
  return Status::Ok();
}

Status Store::RemoteBatch::PurgeReturned() {
  if (returned_.empty()) return Status::Ok();
  RETURN_IF_ERROR(store_.RefreshPolicy());
  ASSIGN_OR_RETURN(std::optional<std::string> own, store_.PartyOf(store_.node_id_));
  // Without its own party this node cannot judge: it keeps the record until
  // a notice says otherwise.
  if (!own) return Status::Ok();
  Database& db = *store_.db_;
  std::vector<std::string> roots;
  std::vector<std::string> followers;
  for (const std::string& id : returned_) {
    ASSIGN_OR_RETURN(std::optional<std::string> type, store_.RecordType(id));
    if (!type) continue;
    ASSIGN_OR_RETURN(std::string parent, store_.ScopeParent(id, *type));
    (parent.empty() ? roots : followers).push_back(id);
  }
  returned_.clear();
  ASSIGN_OR_RETURN(Statement * purged_before,
                   db.Prepare("SELECT held_vv, owner_party FROM purged_records "
                              "WHERE record_id = ?"));
  ASSIGN_OR_RETURN(Statement * heard,
                   db.Prepare("SELECT notice_from, scope_vv FROM heard_scope_exits "
                              "WHERE record_id = ?"));
  ASSIGN_OR_RETURN(Statement * versions,
                   db.Prepare("SELECT r.type, v.field, v.vv FROM versions v JOIN records r "
                              "ON r.id = v.record_id WHERE v.record_id = ?"));
  const SharingPolicy& policy = store_.policy();
  for (const std::string& id : roots) {
    ScopeCache cache;
    ASSIGN_OR_RETURN(RecordScope scope, store_.ScopeOfCached(id, cache, 0));
    // What this node was told of the record's scope: what it held when it
    // purged it, and what entitled senders held when they said it left.
    VersionVector told;
    bool left = false;
    purged_before->Bind(1, id);
    while (true) {
      ASSIGN_OR_RETURN(bool row, purged_before->Step());
      if (!row) break;
      left = true;
      auto vv = VersionVector::FromText(purged_before->Text(0));
      if (vv.ok()) told.MergeFrom(*vv);
      // Who opened it, as judged from the whole record: a copy in part may
      // lack the version that shows it.
      if (!purged_before->Text(1).empty()) scope.owner_party = purged_before->Text(1);
    }
    purged_before->Reset();
    if (scope.owner_party == *own) continue;
    std::vector<std::pair<std::string, std::string>> notices;
    heard->Bind(1, id);
    while (true) {
      ASSIGN_OR_RETURN(bool row, heard->Step());
      if (!row) break;
      notices.emplace_back(heard->Text(0), heard->Text(1));
    }
    heard->Reset();
    ASSIGN_OR_RETURN(std::optional<std::string> type, store_.RecordType(id));
    ASSIGN_OR_RETURN(VersionVector held_here, store_.ScopeFieldsVector(id, type.value_or("")));
    for (const auto& [from, scope_vv] : notices) {
      auto vv = VersionVector::FromText(scope_vv);
      if (!vv.ok()) continue;
      ASSIGN_OR_RETURN(std::optional<std::string> party, store_.PartyOf(from));
      std::string why_not;
      if (JudgeNotice(scope, *own, party, held_here.DominatedByOrEqual(*vv), &why_not).empty()) {
        continue;
      }
      left = true;
      told.MergeFrom(*vv);
    }
    if (!left) continue;
    // News: a scope field written where nobody told this node of it. States
    // it held and purged, sent again by an office that has not heard the
    // record left (each office's own values say it may hold it, since the
    // change that took it out is held back from all of them), bring none.
    bool news = false;
    versions->Bind(1, id);
    while (!news) {
      ASSIGN_OR_RETURN(bool row, versions->Step());
      if (!row) break;
      if (!policy.IsScopeField(versions->Text(0), versions->Text(1))) continue;
      auto vv = VersionVector::FromText(versions->Text(2));
      news = vv.ok() && !vv->DominatedByOrEqual(told);
    }
    versions->Reset();
    if (news && scope.Allows(*own)) continue;
    RETURN_IF_ERROR(store_.Purge(id, from_peer_, kCameBackOutOfScope, now_, result_.purged, told));
  }
  // What hangs off a record follows it: back with it, or gone with it.
  for (const std::string& id : followers) {
    ASSIGN_OR_RETURN(std::optional<std::string> type, store_.RecordType(id));
    if (!type) continue;  // purged with its parent just now
    ScopeCache cache;
    ASSIGN_OR_RETURN(RecordScope scope, store_.ScopeOfCached(id, cache, 0));
    if (scope.owner_party == *own || scope.Allows(*own)) continue;
    RETURN_IF_ERROR(store_.Purge(id, from_peer_, kCameBackOutOfScope, now_, result_.purged));
  }
  return Status::Ok();
}

Result<std::string> Store::ScopeParent(const std::string& record_id, const std::string& type) {
  const SharingPolicy& policy = this->policy();
  auto refs = policy.follow.find(type);
  if (refs == policy.follow.end()) return std::string();
  ASSIGN_OR_RETURN(Statement * winner,
                   db_->Prepare("SELECT value, vv FROM versions WHERE record_id = ? AND "
                                "field = ? AND state = 2"));
  for (const std::string& ref : refs->second) {
    winner->Bind(1, record_id).Bind(2, ref);
    ASSIGN_OR_RETURN(bool found, winner->Step());
    std::string parent;
    if (found) {
      auto value = cipher_.ReadValue(*winner, 0, {record_id, ref, winner->Text(1)});
      if (!value.ok()) {
        winner->Reset();
        return value.status();
      }
      parent = value->value_or("");
    }
    winner->Reset();
    if (parent.empty() || parent == record_id) continue;
    ASSIGN_OR_RETURN(std::optional<std::string> held, RecordType(parent));
    if (held) return parent;
  }
  return std::string();
}

Result<uint64_t> Store::LowestPurgedOwnWrite(uint64_t known) {
  // Until this node holds that write again (a record that comes back
  // brings this node's own writes with it, unless a later write superseded
  // them meanwhile: then the cap stays, and only costs copies that a relay
  // could have left out).
  ASSIGN_OR_RETURN(Statement * stmt,
                   db_->Prepare("SELECT coalesce(min(p.own_counter), 0) FROM purged_records p "
                                "WHERE p.own_counter > ? AND NOT EXISTS (SELECT 1 FROM versions v "
                                "WHERE v.record_id = p.record_id AND v.origin = ? "
                                "AND v.origin_counter = p.own_counter) "
                                // Erased by a purge order: gone everywhere on
                                // purpose, never to be sent again.
                                "AND NOT EXISTS (SELECT 1 FROM purge_orders o "
                                "WHERE o.record_id = p.record_id)"));
  stmt->Bind(1, static_cast<int64_t>(known)).Bind(2, node_id_);
  ASSIGN_OR_RETURN(bool row, stmt->Step());
  uint64_t lowest = row ? static_cast<uint64_t>(stmt->Int(0)) : 0;
  stmt->Reset();
  return lowest;
}

Status Store::Purge(const std::string& record_id, const std::string& notice_from,
                    const std::string& reason, int64_t now, std::vector<PurgedRecord>& purged,
                    const VersionVector& told, bool with_followers) {
  ScopeInputsChanged();  // scopes judged with this record (or hanging off it) are stale
  ASSIGN_OR_RETURN(std::optional<std::string> type, RecordType(record_id));
  if (!type) return Status::Ok();
  // The record and, breadth first, what follows it in scope: a family
  // tracing of the case, the minutes of a meeting of the plan. Not a record
  // that only names it in a later ref while an earlier one decides.
  std::vector<std::pair<std::string, std::string>> doomed{{record_id, *type}};
  std::set<std::string> seen{record_id};
  for (size_t i = 0; with_followers && i < doomed.size(); ++i) {
    ASSIGN_OR_RETURN(std::vector<Follower> followers, FollowersOf(doomed[i].first));
    for (const Follower& f : followers) {
      if (seen.count(f.id)) continue;
      ASSIGN_OR_RETURN(std::string parent, ScopeParent(f.id, f.type));
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
  ASSIGN_OR_RETURN(Statement * head, db_->Prepare("SELECT coalesce(max(seq), 0) FROM versions"));
  auto log_head = [&]() -> Result<int64_t> {
    ASSIGN_OR_RETURN(bool row, head->Step());
    int64_t seq = row ? head->Int(0) : 0;
    head->Reset();
    return seq;
  };
  ASSIGN_OR_RETURN(int64_t head_before, log_head());
  ASSIGN_OR_RETURN(Statement * keep,
                   db_->Prepare("INSERT INTO purged_records(record_id, type, purged_at, "
                                "notice_from, reason, owner_party, held_vv, own_counter) "
                                "VALUES(?, ?, ?, ?, ?, ?, ?, ?)"));
  ASSIGN_OR_RETURN(Statement * held,
                   db_->Prepare("SELECT vv, origin, origin_counter, state FROM versions "
                                "WHERE record_id = ?"));
  for (const auto& [id, record_type] : doomed) {
    // What the entry keeps instead of the values: which writes it held (to
    // tell a stale copy sent again from a real change), and this node's own
    // first write among them (LowestPurgedOwnWrite).
    // Judged while the whole record is here: a copy that comes back in
    // part may not hold the version that shows who opened it.
    ScopeCache cache;
    auto judged = ScopeOfCached(id, cache, 0);
    // A purge order needs no value: on a locked node the party that opened
    // a personal record cannot be read, and it is not needed (an erased
    // record never comes back to be judged).
    if (!judged.ok() && with_followers) return judged.status();
    RecordScope scope = judged.ok() ? std::move(judged).value() : RecordScope();
    VersionVector held_vv = id == record_id ? told : VersionVector();
    uint64_t own_counter = 0;
    held->Bind(1, id);
    while (true) {
      ASSIGN_OR_RETURN(bool row, held->Step());
      if (!row) break;
      auto vv = VersionVector::FromText(held->Text(0));
      if (vv.ok()) held_vv.MergeFrom(*vv);
      uint64_t counter = static_cast<uint64_t>(held->Int(2));
      // Live ones only: a write of this node's that another supersedes is
      // covered by whoever holds that one.
      if (held->Text(1) == node_id_ && held->Int(3) > 0 &&
          (own_counter == 0 || counter < own_counter)) {
        own_counter = counter;
      }
    }
    held->Reset();
    for (const char* sql : kDeletes) {
      ASSIGN_OR_RETURN(Statement * remove, db_->Prepare(sql));
      RETURN_IF_ERROR(remove->Bind(1, id).Run());
    }
    RETURN_IF_ERROR(keep->Bind(1, id)
                        .Bind(2, record_type)
                        .Bind(3, now)
                        .Bind(4, notice_from)
                        .Bind(5, reason)
                        .Bind(6, scope.owner_party)
                        .Bind(7, held_vv.ToText())
                        .Bind(8, static_cast<int64_t>(own_counter))
                        .Run());
    purged.push_back({id, record_type, now, notice_from, reason});
  }
  // A log position is never used twice: peers' cursors count in it, and a
  // new version at a position a cursor already passed would never reach
  // that peer. SQLite gives a new row the highest seq plus one, so when the
  // purge removed the head of the log an empty row (no record, nothing
  // live, no bytes) keeps its place.
  ASSIGN_OR_RETURN(int64_t head_after, log_head());
  if (head_after < head_before) {
    ASSIGN_OR_RETURN(Statement * hold,
                     db_->Prepare("INSERT INTO versions(seq, record_id, field, value, vv, origin, "
                                  "origin_time, state, received_at) "
                                  "VALUES(?, '', '', NULL, '', '', 0, 0, ?)"));
    RETURN_IF_ERROR(hold->Bind(1, head_before).Bind(2, now).Run());
  }
  return ScrubSearchIndex();
}

Status Store::EmptyWalAfterPurge() {
  int wal_frames = 0;
  int copied = 0;
  // TRUNCATE waits (the busy handler) for readers of older snapshots, copies
  // every frame into the database file and cuts the WAL to zero bytes: the
  // pages the purge replaced live on in the WAL until then.
  auto hold = HoldOffBackgroundCheckpoints();
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
