// The change log as sync sees it: reading pages of live versions since a
// cursor, and applying pages received from a peer.
#include <algorithm>

#include "core/node_id.h"
#include "core/record_id.h"
#include "core/state_bytes.h"
#include "core/store.h"
#include "core/text_rule.h"
#include "core/time_format.h"

namespace accord {

namespace {

constexpr const char* kLogColumns =
    "SELECT v.seq, v.record_id, r.type, v.field, v.value, v.vv, v.origin, "
    "v.origin_time, v.note, v.salt, v.unit, v.unit_position, v.wire, v.received_from, "
    "v.unit_counter, v.author, v.origin_counter "
    "FROM versions v JOIN records r ON r.id = v.record_id ";
// The same columns with NULL for the record's type: a scan of the log
// (ReadChanges) looks the type up once per run of a record's rows, where the
// join sought it in `records` for every row.
constexpr const char* kLogColumnsUntyped =
    "SELECT v.seq, v.record_id, NULL, v.field, v.value, v.vv, v.origin, "
    "v.origin_time, v.note, v.salt, v.unit, v.unit_position, v.wire, v.received_from, "
    "v.unit_counter, v.author, v.origin_counter "
    "FROM versions v ";

// What decides whether a row of kLogColumns goes to a reader: the record,
// its type and field, and whose write it is. A scan reads past most rows a
// peer already holds on these alone, without ReadLogRow (vector, value, salt).
struct LogRowKey {
  std::string record_id, record_type, field, origin, received_from;
  uint64_t counter = 0;  // the origin's counter (versions.origin_counter)
};

// (Not the type: the scan reads kLogColumnsUntyped.)
void ReadLogRowKey(Statement& stmt, LogRowKey& k) {
  k.record_id = stmt.Text(1);
  k.field = stmt.Text(3);
  k.origin = stmt.Text(6);
  k.received_from = stmt.Text(13);
  k.counter = static_cast<uint64_t>(stmt.Int(16));
}

// One row of kLogColumns.
Status ReadLogRow(Statement& stmt, const CellCipher& cipher, FieldVersion& v) {
  v.record_id = stmt.Text(1);
  v.record_type = stmt.Text(2);
  v.field = stmt.Text(3);
  std::string vv_text = stmt.Text(5);
  CellRow cell{v.record_id, v.field, vv_text};
  ASSIGN_OR_RETURN(v.value, cipher.ReadValue(stmt, 4, cell));
  auto vv = VersionVector::FromText(vv_text);
  if (!vv.ok())
    return vv.status().WithContext("change log seq " + std::to_string(stmt.Int(0)) + ": ");
  v.version = std::move(vv).value();
  v.origin = stmt.Text(6);
  v.origin_time_ms = stmt.Int(7);
  ASSIGN_OR_RETURN(v.note, cipher.ReadNote(stmt, 8, cell));
  v.salt = stmt.Blob(9);
  v.unit = static_cast<uint32_t>(stmt.Int(10));
  v.unit_position = static_cast<uint32_t>(stmt.Int(11));
  ASSIGN_OR_RETURN(v.wire, cipher.ReadWire(stmt, 12, cell));
  v.unit_counter = static_cast<uint64_t>(stmt.Int(14));
  v.author = stmt.Text(15);
  // The signed bytes are rebuilt (RestoreSignedBytes) only for a state that
  // goes into a page, not for every row a scan reads past.
  return Status::Ok();
}

}  // namespace

Result<ChangePage> Store::ReadChanges(uint64_t after_seq, size_t max_states,
                                      const VersionVector& peer_knowledge,
                                      const PageReader& reader) {
  if (max_states == 0) return InvalidArgument("page size must be at least 1");
  // One read transaction: the page, the head and the knowledge are one snapshot.
  ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_, Transaction::Mode::kRead));
  // Parties are looked up once per page (PartyOf), as nothing changes them
  // under the transaction.
  std::map<std::string, std::optional<std::string>, std::less<>> parties;
  parties_in_read_ = &parties;
  struct ForgetParties {
    Store& store;
    ~ForgetParties() { store.parties_in_read_ = nullptr; }
  } forget_parties{*this};
  ChangePage page;
  page.next_cursor = after_seq;
  ASSIGN_OR_RETURN(ScopeCache * cached_scopes, UnchangedScopes());
  ScopeCache& scopes = *cached_scopes;
  ASSIGN_OR_RETURN(const SharingPolicy* reader_policy, ReaderPolicy(reader));
  std::set<uint64_t> sent;       // log positions in the page (backfill may add others)
  std::set<std::string> judged;  // records judged for a scope exit in this page
  OwnerShortcut& shortcut = OwnerShortcutFor(reader);
  // Skipped states cost a scan but no bytes; bound the scan so one page of
  // a peer that already holds everything stays short.
  const int64_t scan_limit = static_cast<int64_t>(max_states) * 8;
  const int64_t row_limit = scan_limit + static_cast<int64_t>(kMaxStatesPastPage) + 1;
  ASSIGN_OR_RETURN(Statement * stmt,
                   db_->Prepare(std::string(kLogColumnsUntyped) +
                                "WHERE v.seq > ? AND v.state > 0 ORDER BY v.seq LIMIT ?"));
  // The type of the record of the last row read (a write's states lie
  // together in the log): nullopt when `records` holds no such record, whose
  // rows the scan passes over, as the join did.
  std::string typed_id;
  std::optional<std::string> typed;
  stmt->Bind(1, static_cast<int64_t>(after_seq)).Bind(2, row_limit);
  int64_t scanned = 0;
  size_t page_bytes = 0;
  bool exhausted = false;  // no row left past the page: it reaches the head
  // A page never ends inside one record's write (one origin's counter): the
  // reader applies a page in one transaction, and must never judge a
  // record's scope, or pass it on, from part of a write (a meeting without
  // the plan it was written with goes to every node). A full page takes the
  // rest of the write it is in, up to kMaxStatesPastPage more states.
  struct {
    std::string record_id, origin;
    uint64_t counter = 0;
    size_t first_state = 0;  // its first state's index in the page
    uint64_t cursor = 0;     // the cursor before its first row
  } write;
  write.cursor = after_seq;
  size_t past_page = 0;
  // This node's write at `unsealed_seq`, made after the seal that preceded
  // this read (an officer at work during a sync), cannot go unproved: the
  // page ends before the write of the row just read, never inside it, and
  // the caller seals and reads on. At a write's first row, every row between
  // the last one scanned and this one is superseded, and the page passes
  // them too, or an officer saving one field again and again would leave
  // every read after a seal with nothing before its newest, unsealed save.
  // Only a write whose first row is the next after the cursor leaves no page.
  auto end_before_unsealed = [&](bool first_row_of_write, uint64_t unsealed_seq) -> Status {
    const uint64_t before_write = first_row_of_write ? page.next_cursor - 1 : write.cursor;
    if (before_write == after_seq) {
      stmt->Reset();
      return FailedPrecondition("this node's write at log position " +
                                std::to_string(unsealed_seq) +
                                " is not sealed yet: seal before reading the log for a peer");
    }
    page.states.resize(write.first_state);
    page.next_cursor = before_write;
    page.ends_before_unsealed = true;
    return Status::Ok();
  };
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) {
      exhausted = scanned < row_limit;
      break;
    }
    ++scanned;
    LogRowKey v;
    ReadLogRowKey(*stmt, v);
    if (v.record_id != typed_id) {
      auto type = RecordType(v.record_id);
      if (!type.ok()) {
        stmt->Reset();
        return type.status();
      }
      typed_id = v.record_id;
      typed = std::move(type).value();
    }
    if (!typed) continue;
    v.record_type = *typed;
    const bool same_write =
        v.record_id == write.record_id && v.origin == write.origin && v.counter == write.counter;
    const bool full = page.states.size() >= max_states || page_bytes >= kMaxPageBytes ||
                      scanned > scan_limit || page.left_scope.size() >= kMaxLeftScopePerPage;
    // This row begins the next page.
    if (full && (!same_write || ++past_page > kMaxStatesPastPage)) break;
    if (!same_write) {
      write.record_id = v.record_id;
      write.origin = v.origin;
      write.counter = v.counter;
      write.first_state = page.states.size();
      write.cursor = page.next_cursor;
    }
    page.next_cursor = static_cast<uint64_t>(stmt->Int(0));
    if (sent.count(page.next_cursor)) continue;  // a backfill earlier in the page sent it
    // A record the reader's party opened it may always hold: found without
    // judging the record (OpenedByReaderParty).
    auto opened = OpenedByReaderPartyOnce(v.record_id, reader, v.record_type, scopes, shortcut);
    if (!opened.ok()) {
      stmt->Reset();
      return opened.status();
    }
    const bool opened_by_reader = *opened;
    // Judged before the skips below: a state the reader holds (or sent) can
    // still be the one that took the record out of its scope.
    if (Status st = opened_by_reader ? Status::Ok()
                                     : NoteScopeExit(v.record_id, v.record_type, v.field, reader,
                                                     scopes, judged, page);
        !st.ok()) {
      stmt->Reset();
      return st;
    }
    // The peer holds this write (or a newer one) when its knowledge covers
    // the write's event; and it holds what it sent here, even when its
    // knowledge does not say so (a node believes a peer's knowledge of that
    // peer's own writes only). Neither goes back to it.
    const bool reader_holds = peer_knowledge.Get(v.origin) >= v.counter ||
                              (!reader.node_id.empty() && v.received_from == reader.node_id);
    // But a scope field the reader holds may still have brought the record
    // into its scope here, behind its cursor: consent given that reached the
    // reader first, or that the reader itself brought. What the cursor
    // passed while the record was out of scope must still go (below).
    const bool scope_field =
        after_seq > 0 && reader.party &&
        (policy().IsScopeField(v.record_type, v.field) ||
         (reader_policy && reader_policy->IsScopeField(v.record_type, v.field)));
    if (reader_holds && !scope_field) continue;
    auto may = opened_by_reader ? Result<bool>(true)
                                : MayReceive(v.record_id, reader, scopes, v.record_type);
    if (!may.ok()) {
      stmt->Reset();
      return may.status();
    }
    if (!*may) continue;
    // The rest of the row only for a state that goes (a scope field the
    // reader holds is here for its backfill alone).
    FieldVersion state;
    if (Status st = reader_holds ? Status::Ok() : ReadLogRow(*stmt, cipher_, state); !st.ok()) {
      stmt->Reset();
      return st;
    }
    state.record_type = v.record_type;
    if (!reader_holds && state.salt.empty()) {
      // Another node's write kept from before writes were signed: nothing
      // here can prove it, so it is not passed on (its origin still can).
      if (v.origin != node_id_) continue;
      RETURN_IF_ERROR(end_before_unsealed(!same_write, page.next_cursor));
      break;
    }
    // The record may have just come into the reader's scope: what its cursor
    // passed while the record was out of scope goes with this state
    // (states it already holds change nothing).
    ChangePage backfill;
    std::vector<uint64_t> backfill_seqs;
    // (Never for a reader of the party that opened the record: it was in
    // scope all along: OpenedByReaderParty found that, without judging the
    // record, when it is not in `scopes`.)
    auto judged_scope = scopes.find(v.record_id);
    if (scope_field && judged_scope != scopes.end() &&
        judged_scope->second.owner_party != *reader.party) {
      Status st = AppendBackfill(v.record_id, after_seq, peer_knowledge, reader, scopes, sent,
                                 page.next_cursor, backfill, backfill_seqs);
      if (!st.ok()) {
        stmt->Reset();
        return st;
      }
      // It needs a write of this node made after the seal, which an earlier
      // read of the same request passed while the record was out of scope.
      if (backfill.ends_before_unsealed) {
        RETURN_IF_ERROR(end_before_unsealed(!same_write, backfill.next_cursor));
        break;
      }
      // Keep the page within what a peer takes: a large backfill starts a
      // page of its own, with the write it comes with.
      if (write.first_state > 0 &&
          page.states.size() + 1 + backfill.states.size() > kMaxStatesWithBackfill) {
        page.states.resize(write.first_state);
        page.next_cursor = write.cursor;
        break;
      }
    }
    if (!reader_holds) {
      RestoreSignedBytes(state);
      page_bytes += state.wire.size();
      sent.insert(page.next_cursor);
      page.states.push_back(std::move(state));
    }
    sent.insert(backfill_seqs.begin(), backfill_seqs.end());
    for (auto& b : backfill.states) {
      page_bytes += b.wire.size();
      page.states.push_back(std::move(b));
    }
  }
  stmt->Reset();
  ASSIGN_OR_RETURN(Statement * head, db_->Prepare("SELECT coalesce(max(seq), 0) FROM versions"));
  ASSIGN_OR_RETURN(bool has_head, head->Step());
  uint64_t head_seq = has_head ? static_cast<uint64_t>(head->Int(0)) : 0;
  head->Reset();
  // Nothing live beyond this point: the page reaches the head.
  if (exhausted) page.next_cursor = head_seq;
  page.done = page.next_cursor >= head_seq;
  if (page.done) {
    ASSIGN_OR_RETURN(page.knowledge, Knowledge());
    // Never vouch for a write of this node that the reader was not sent.
    ASSIGN_OR_RETURN(
        uint64_t held_back,
        LowestOwnWriteHeldBack(reader, peer_knowledge.Get(node_id_), scopes, shortcut));
    ASSIGN_OR_RETURN(uint64_t purged, LowestPurgedOwnWrite(peer_knowledge.Get(node_id_)));
    if (purged > 0 && (held_back == 0 || purged < held_back)) held_back = purged;
    if (held_back > 0 && page.knowledge.Get(node_id_) >= held_back) {
      page.knowledge.Set(node_id_, held_back - 1);
    }
  }
  return page;
}

Status Store::AppendBackfill(std::string_view record_id, uint64_t cursor,
                             const VersionVector& peer_knowledge, const PageReader& reader,
                             ScopeCache& cache, const std::set<uint64_t>& sent,
                             uint64_t current_seq, ChangePage& page, std::vector<uint64_t>& seqs) {
  // Nothing to do when the scan sends every live state of the record: none
  // lies behind the cursor (it is new in this stretch of the log, and so is
  // what hangs off it), and none is one the scan leaves out because the
  // reader held it — its own, one it sent, one its knowledge covers — which
  // it may have purged since (a reader that held the record held these).
  const LiveVersionsSeen* live = nullptr;
  LiveVersionsSeen queried;
  if (auto noted = live_versions_seen_.find(record_id);
      &cache == &unchanged_scopes_ && noted != live_versions_seen_.end()) {
    live = &noted->second;  // noted when the record's scope was judged, from the same rows
  } else {
    ASSIGN_OR_RETURN(Statement * stmt,
                     db_->Prepare("SELECT seq, origin, origin_counter, received_from FROM versions "
                                  "WHERE record_id = ? AND state > 0"));
    stmt->Bind(1, record_id);
    while (true) {
      ASSIGN_OR_RETURN(bool row, stmt->Step());
      if (!row) break;
      queried.Add(static_cast<uint64_t>(stmt->Int(0)), stmt->Text(1),
                  static_cast<uint64_t>(stmt->Int(2)), stmt->Text(3));
    }
    stmt->Reset();
    live = &queried;
  }
  if (!live->NeedsBackfill(cursor, peer_knowledge, reader.node_id)) return Status::Ok();
  // The record and, breadth first, every record hanging off it (by the refs
  // the policy follows; the versions_by_<ref> indexes).
  std::vector<std::string> records{std::string(record_id)};
  std::set<std::string> seen{std::string(record_id)};
  for (size_t i = 0; i < records.size(); ++i) {
    ASSIGN_OR_RETURN(std::vector<Follower> followers, FollowersOf(records[i]));
    for (Follower& f : followers) {
      if (seen.insert(f.id).second) records.push_back(std::move(f.id));
    }
  }
  // Every live state, whatever the reader's knowledge says and whoever sent
  // it here: a reader that held the record before and purged it when it
  // left its scope still has knowledge covering what it purged, and its own
  // writes (docs/sharing.md, "Leaving a scope"). States it holds change
  // nothing.
  ASSIGN_OR_RETURN(Statement * states,
                   db_->Prepare(std::string(kLogColumns) +
                                "WHERE v.record_id = ? AND v.state > 0 ORDER BY v.seq"));
  for (const std::string& id : records) {
    ASSIGN_OR_RETURN(bool may, MayReceive(id, reader, cache));
    if (!may) continue;
    states->Bind(1, id);
    while (true) {
      ASSIGN_OR_RETURN(bool row, states->Step());
      if (!row) break;
      uint64_t seq = static_cast<uint64_t>(states->Int(0));
      if (sent.count(seq) || seq == current_seq) continue;
      FieldVersion v;
      if (Status st = ReadLogRow(*states, cipher_, v); !st.ok()) {
        states->Reset();
        return st;
      }
      if (v.salt.empty()) {
        // Another node's write from before writes were signed: nothing here
        // can prove it. This node's, made since the last seal: one ahead of
        // the scan is sent when the scan reaches it (or ends a page there);
        // one behind it the reader must not miss, so the page ends before
        // the state that needs it (ReadChanges), `seq` named in next_cursor.
        // That one was there before the read's seal could have taken it: a
        // write made after a seal lies ahead of every row read before it, so
        // an officer saving the case again and again never fails the read.
        if (v.origin != node_id_ || seq > current_seq) continue;
        states->Reset();
        page.ends_before_unsealed = true;
        page.next_cursor = seq;
        return Status::Ok();
      }
      RestoreSignedBytes(v);
      // With the state that brought the record into scope, the page holds
      // at most kMaxStatesWithBackfill.
      if (page.states.size() + 1 >= kMaxStatesWithBackfill) break;
      seqs.push_back(seq);
      page.states.push_back(std::move(v));
    }
    states->Reset();
  }
  return Status::Ok();
}

namespace {

// Whether a proven state's value follows the text rule for its field: long
// text for fields (and types) this build does not know, since a newer node
// may have declared them so.
Status CheckIncomingText(const FieldVersion& s) {
  if (s.field == kDeletedField) {
    if (s.value != "1" && s.value != "0") return InvalidArgument("a tombstone must be 1 or 0");
    return Status::Ok();
  }
  if (!s.value) return Status::Ok();
  const TypeSpec* type = Schema::Get().FindType(s.record_type);
  const FieldSpec* field = type ? type->FindField(s.field) : nullptr;
  bool long_text = !field || field->kind == FieldKind::kLongText;
  return CheckText(*s.value, long_text);
}

}  // namespace

Result<std::string> Store::RemoteBatch::CheckBounds(const FieldVersion& s) {
  if (!IsValidRecordId(s.record_id)) return "malformed record id '" + s.record_id + "'";
  if (!IsValidNodeId(s.origin)) return "malformed origin node id '" + s.origin + "'";
  uint64_t counter = s.OriginCounter();
  if (counter == 0) return "version " + s.version.ToText() + " has no entry for its origin";
  for (const auto& [node, c] : s.version.entries()) {
    if (c > kMaxCounter) {
      return "version entry " + node + ":" + std::to_string(c) + " is beyond any real counter";
    }
  }
  uint64_t held = knowledge_.Get(s.origin);
  if (s.origin != store_.node_id_ && counter > held + kMaxCounterJump) {
    return "write " + std::to_string(counter) + " of " + s.origin + " is far beyond the " +
           std::to_string(held) + " writes of it held here";
  }
  // Its unit's name is a counter its origin claims too: a seal beyond the
  // bounds was not kept (AddProofs), and a state is never kept without it.
  if (!units_out_of_bounds_.empty() &&
      units_out_of_bounds_.count({s.origin, s.UnitCounter(), s.unit})) {
    return "unit counter " + std::to_string(s.UnitCounter()) + " of " + s.origin +
           " is far beyond the " + std::to_string(held) + " writes of it held here";
  }
  if (s.origin_time_ms > now_ + kMaxClockLeadMs) {
    return "written at " + FormatUtcMs(s.origin_time_ms) +
           ", more than 400 days ahead of this node's clock";
  }
  for (const auto& [node, c] : s.version.entries()) {
    if (node == s.origin) continue;
    if (node == store_.node_id_) {
      // A peer cannot have seen a write of ours that we never made.
      if (c > own_counter_) {
        return "version " + s.version.ToText() + " claims write " + std::to_string(c) +
               " by this node, which has made only " + std::to_string(own_counter_);
      }
      continue;
    }
    ASSIGN_OR_RETURN(uint64_t proven, ProvenHigh(node));
    if (c > proven) {
      return "version " + s.version.ToText() + " claims " + s.origin + " saw write " +
             std::to_string(c) + " of " + node +
             ", which no seal here proves (highest: " + std::to_string(proven) + ")";
    }
  }
  Status text = CheckIncomingText(s);
  if (!text.ok()) return "the value " + text.message();
  return std::string();
}

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
    // A connection that applies remote batches commits one page or chunk
    // after another: its checkpoints run on a thread of their own, not in
    // the commits, nor all at the close (core/wal_checkpointer.h).
    RETURN_IF_ERROR(CheckpointInBackground());
    applies_remote_batches_ = true;
  }
  ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_, Transaction::Mode::kWrite));
  RETURN_IF_ERROR(CheckNotEncryptedMeanwhile(*db_, cipher_));
  ASSIGN_OR_RETURN(VersionVector knowledge, Knowledge());
  auto batch = std::unique_ptr<RemoteBatch>(
      new RemoteBatch(*this, from_peer, std::move(txn), knowledge.Get(node_id_)));
  batch->knowledge_ = std::move(knowledge);
  return batch;
}

Status Store::RemoteBatch::Add(const std::vector<FieldVersion>& states) {
  Database& db = *store_.db_;
  result_.received += states.size();
  ASSIGN_OR_RETURN(Statement * lookup,
                   db.Prepare("SELECT type, has_tombstone FROM records WHERE id = ?"));
  ASSIGN_OR_RETURN(Statement * create,
                   db.Prepare("INSERT INTO records(id, type, created_at) VALUES(?, ?, ?)"));
  ASSIGN_OR_RETURN(Statement * was_purged,
                   db.Prepare("SELECT 1 FROM purged_records WHERE record_id = ? UNION ALL "
                              "SELECT 1 FROM heard_scope_exits WHERE record_id = ? LIMIT 1"));
  // Most nodes never purged anything: then no record needs the lookup.
  ASSIGN_OR_RETURN(Statement * any_left,
                   db.Prepare("SELECT EXISTS(SELECT 1 FROM purged_records) OR "
                              "EXISTS(SELECT 1 FROM heard_scope_exits)"));
  ASSIGN_OR_RETURN(bool any_row, any_left->Step());
  const bool some_left = any_row && any_left->Int(0) != 0;
  any_left->Reset();
  // A record a purge order erased never comes back (docs/security.md,
  // "Purge orders"): its states are refused as purged, from a node that has
  // not heard the order yet, and the rest of the page goes in.
  ASSIGN_OR_RETURN(Statement * any_order, db.Prepare("SELECT EXISTS(SELECT 1 FROM purge_orders)"));
  ASSIGN_OR_RETURN(bool order_row, any_order->Step());
  const bool some_ordered = order_row && any_order->Int(0) != 0;
  any_order->Reset();
  ASSIGN_OR_RETURN(Statement * erased,
                   db.Prepare("SELECT issuer, user, issued_at, reason FROM purge_orders "
                              "WHERE record_id = ?"));
  struct {
    bool valid = false;
    std::string record_id, type;
    bool exists = false, has_tombstone = false;
  } held;  // the records row of the last state's record
  for (size_t i = 0; i < states.size(); ++i) {
    const FieldVersion& s = states[i];
    ++position_;
    if (s.wire.empty()) return Internal("an unsealed state reached the store from " + from_peer_);
    ASSIGN_OR_RETURN(std::string refusal, CheckBounds(s));
    if (!refusal.empty()) {
      RETURN_IF_ERROR(Refuse(s, refusal));
      continue;
    }
    if (some_ordered) {
      erased->Bind(1, s.record_id);
      ASSIGN_OR_RETURN(bool purged, erased->Step());
      if (purged) {
        std::string user = erased->Text(1).empty() ? "no user" : erased->Text(1);
        RefusedState r{s.record_id,
                       s.field,
                       s.origin,
                       s.OriginCounter(),
                       "the record was purged by " + user + " on " + erased->Text(0) + " at " +
                           FormatUtcMs(erased->Int(2)) + ": " + erased->Text(3),
                       /*purged=*/true};
        erased->Reset();
        // Reported to the sender, not kept among refusals: it caps no
        // knowledge, since nobody is to send this write again.
        result_.refused.push_back(std::move(r));
        continue;
      }
      erased->Reset();
    }
    // A page carries a record's fields one after another: its row is read
    // once for them all, again only after a deletion may have changed it.
    if (!held.valid || held.record_id != s.record_id) {
      lookup->Bind(1, s.record_id);
      ASSIGN_OR_RETURN(bool found, lookup->Step());
      held.valid = true;
      held.record_id = s.record_id;
      held.exists = found;
      held.type = found ? lookup->Text(0) : "";
      held.has_tombstone = found && lookup->Int(1) != 0;
      lookup->Reset();
    }
    const bool exists = held.exists;
    const std::string& held_type = held.type;
    const bool has_tombstone = held.has_tombstone;
    if (!exists) {
      RETURN_IF_ERROR(create->Bind(1, s.record_id).Bind(2, s.record_type).Bind(3, now_).Run());
      held.exists = true;
      held.type = s.record_type;
      created_here_[s.record_id];
      // A record purged here, or said to have left this node's scope before
      // it arrived: judged at Commit.
      if (some_left) {
        was_purged->Bind(1, s.record_id).Bind(2, s.record_id);
        ASSIGN_OR_RETURN(bool purged_before, was_purged->Step());
        was_purged->Reset();
        if (purged_before) returned_.insert(s.record_id);
      }
    } else if (held_type != s.record_type) {
      RETURN_IF_ERROR(Refuse(s, "the record is a " + held_type + " here, not a " + s.record_type));
      continue;
    }
    // A field of a record this batch created, not merged yet: nothing is live.
    static const std::vector<StoredVersion> kNoneLive;
    const std::vector<StoredVersion>* known_live = nullptr;
    if (auto created = created_here_.find(s.record_id);
        created != created_here_.end() && created->second.insert(s.field).second) {
      known_live = &kNoneLive;
    }
    auto merged = store_.MergeVersion(s, from_peer_, now_, known_live);
    if (!merged.ok() && merged.status().code() == Code::kCorruption) {
      RETURN_IF_ERROR(Refuse(s, merged.status().message()));
      continue;
    }
    ASSIGN_OR_RETURN(MergeOutcome outcome, std::move(merged));
    if (!outcome.stored) {
      ++result_.unchanged;
      continue;
    }
    ++result_.applied;
    if (outcome.new_conflict) ++result_.new_conflicts;
    if (s.field == kDeletedField || has_tombstone) {
      held.valid = false;  // has_tombstone may change
      ASSIGN_OR_RETURN(bool new_delete_conflict, store_.RefreshDeletion(s.record_id, now_));
      if (new_delete_conflict) ++result_.new_conflicts;
    }
  }
  return Status::Ok();
}

Result<uint64_t> Store::RemoteBatch::LowestRefused(const std::string& origin) {
  uint64_t lowest = 0;
  if (auto it = refused_low_.find(origin); it != refused_low_.end()) lowest = it->second;
  // Earlier syncs' refusals count too: knowledge never passes a write this
  // node refused, whoever vouches for it later (as long as the refusal is
  // remembered: the latest 10,000 are).
  ASSIGN_OR_RETURN(Statement * stmt,
                   store_.db_->Prepare("SELECT coalesce(min(counter), 0) FROM refusals WHERE "
                                       "direction = 'received' AND origin = ? AND counter > 0"));
  stmt->Bind(1, origin);
  ASSIGN_OR_RETURN(bool row, stmt->Step());
  uint64_t stored = row ? static_cast<uint64_t>(stmt->Int(0)) : 0;
  stmt->Reset();
  if (stored > 0 && (lowest == 0 || stored < lowest)) lowest = stored;
  return lowest;
}

Status Store::RemoteBatch::MergeKnowledge(const VersionVector& vouched) {
  ASSIGN_OR_RETURN(
      Statement * raise,
      store_.db_->Prepare("INSERT INTO knowledge(node, counter) VALUES(?, ?) ON CONFLICT(node) "
                          "DO UPDATE SET counter = max(counter, excluded.counter)"));
  for (const auto& [node, counter] : vouched.entries()) {
    if (node == store_.node_id_) {
      if (counter > own_counter_) {
        result_.disbelieved.push_back(from_peer_ + " vouched for write " + std::to_string(counter) +
                                      " by this node, which has made only " +
                                      std::to_string(own_counter_));
      }
      continue;
    }
    ASSIGN_OR_RETURN(uint64_t proven, ProvenHigh(node));
    if (counter > proven && counter > knowledge_.Get(node)) {
      result_.disbelieved.push_back(from_peer_ + " vouched for write " + std::to_string(counter) +
                                    " of " + node + " but proved only " + std::to_string(proven));
    }
    // Only the peer's own writes. Whatever it says of a third node's, no
    // seal can show that it delivered them: a relay that altered or held
    // back a write, and then vouched for it, made this node skip that write
    // for good, since every peer leaves out what this node's knowledge
    // covers. The peer is the authority on its own writes alone; if it lies
    // about them, only its own writes go missing.
    if (node != from_peer_) continue;
    // Believed only as far as a seal proves it made that many writes, and
    // not past a write of it refused here: knowledge would otherwise skip it.
    uint64_t limit = std::min(counter, proven);
    ASSIGN_OR_RETURN(uint64_t refused, LowestRefused(node));
    if (refused > 0) limit = std::min(limit, refused - 1);
    if (limit == 0 || limit <= knowledge_.Get(node)) continue;
    RETURN_IF_ERROR(raise->Bind(1, node).Bind(2, static_cast<int64_t>(limit)).Run());
    knowledge_.Set(node, limit);
  }
  return Status::Ok();
}

Status Store::RemoteBatch::SetCursor(uint64_t new_inbound_cursor, bool restart) {
  // The cursor moves in the same transaction as the page: a crash loses both or neither.
  ASSIGN_OR_RETURN(
      Statement * cursor,
      store_.db_->Prepare(restart ? "INSERT INTO peer_state(peer_id, inbound_cursor, "
                                    "last_contact_at) VALUES(?, ?, ?) ON CONFLICT(peer_id) DO "
                                    "UPDATE SET inbound_cursor = excluded.inbound_cursor, "
                                    "last_contact_at = excluded.last_contact_at"
                                  : "INSERT INTO peer_state(peer_id, inbound_cursor, "
                                    "last_contact_at) VALUES(?, ?, ?) ON CONFLICT(peer_id) DO "
                                    "UPDATE SET inbound_cursor = max(inbound_cursor, "
                                    "excluded.inbound_cursor), "
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
  RETURN_IF_ERROR(PurgeReturned());
  RETURN_IF_ERROR(txn_->Commit());
  if (!result_.purged.empty()) {
    Status emptied = store_.EmptyWalAfterPurge();
    if (!emptied.ok()) result_.warnings.push_back(emptied.message());
  }
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
