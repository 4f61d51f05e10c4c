// The node store: every record of an office, every field with its version
// vector and history, and the change log that sync streams from.
//
// Model (docs/schema.md has the tables):
//  - A record is a type and an id; its content is a set of fields.
//  - Every write of a field is a FieldVersion appended to the change log with a
//    new local sequence number. Versions a newer one dominates stay as history.
//  - The live versions of a field are those no other version dominates: one
//    normally, several when writes were concurrent (a conflict). One of them is
//    the provisional winner by a rule every node applies alike (WinsOver).
//  - A delete is a write of the pseudo-field `_deleted` = "1" whose vector
//    dominates every field of the record. An edit that vector has not seen
//    (concurrent with the delete) keeps the record visible and is a conflict.
//  - Each local write transaction takes the next counter of this node; the
//    node's knowledge (node -> counter) says which writes it holds.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/field_version.h"
#include "core/schema.h"
#include "core/sqlite.h"
#include "core/status.h"
#include "core/version_vector.h"

namespace accord {

struct StoreOptions {
  // Milliseconds since the Unix epoch; tests inject a fake clock.
  std::function<int64_t()> clock_ms;
};

struct FieldWrite {
  std::string field;
  std::optional<std::string> value;  // nullopt clears the field
};

struct RecordWrite {
  std::string type;
  std::optional<std::string> id;  // nullopt: create with a new id
  std::vector<FieldWrite> writes;
};

struct RecordView {
  std::string id;
  std::string type;
  bool deleted = false;                        // a tombstone that has seen every edit
  bool delete_conflict = false;                // a tombstone concurrent with an edit: shown alive
  std::map<std::string, FieldVersion> fields;  // provisional winner per field (not _deleted)
  // Fields whose live versions hold different values, with all of them.
  std::map<std::string, std::vector<FieldVersion>> conflicts;

  const std::optional<std::string>* Value(const std::string& field) const;
};

struct NodeStatus {
  std::string node_id;
  VersionVector knowledge;
  std::map<std::string, int64_t> records_per_type;  // excluding deleted
  int64_t deleted_records = 0;
  int64_t last_seq = 0;
  int64_t open_conflicts = 0;
};

// A page of the change log for a peer.
struct ChangePage {
  std::vector<FieldVersion> states;
  uint64_t next_cursor = 0;  // the last sequence scanned (skipped states included)
  bool done = false;         // next_cursor reached the head of the log
  VersionVector knowledge;   // with done: this node's knowledge in the same snapshot
};

// Decides whether a state may go to a peer at all. Not used yet: the hook where
// per-peer sharing rules for case data will plug in.
using ShareFilter = std::function<bool(const FieldVersion&)>;

struct ApplyResult {
  size_t received = 0;
  size_t applied = 0;    // stored (new value, or a new concurrent sibling)
  size_t unchanged = 0;  // already held or dominated
  size_t new_conflicts = 0;
};

struct PeerInfo {
  std::string peer_id;  // the peer's node id ("" until first contact)
  std::string name;     // local nickname, e.g. "th-capital"
  std::string url;
  uint64_t inbound_cursor = 0;  // how far into the peer's log this node has applied
  int64_t last_sync_ms = 0;
  VersionVector their_knowledge;  // what the peer was known to hold at last contact
};

class Store {
 public:
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Creates a new node database; fails if one exists at `path`.
  static Result<std::unique_ptr<Store>> Create(const std::string& path, const std::string& node_id,
                                               StoreOptions options = {});
  // Opens an existing node database, migrating its schema when older.
  static Result<std::unique_ptr<Store>> Open(const std::string& path, StoreOptions options = {});

  const std::string& node_id() const { return node_id_; }

  // ---- Local writes. Each call is one transaction: all or nothing.
  // Creates (no id, or an id not yet used) or updates a record; returns its id.
  Result<std::string> Put(const RecordWrite& write);
  // Many records at once (accord load): references may point anywhere in the batch.
  Result<std::vector<std::string>> PutMany(const std::vector<RecordWrite>& writes);
  Status Delete(std::string_view id);
  // A local write of `field` whose vector dominates every live version: the way
  // a reviewer resolves a conflict. `note` records what it replaced. With
  // `expected_conflict_id`, refuses (kFailedPrecondition) when the conflict
  // changed since the reviewer saw it, so no unseen value is overwritten.
  Status WriteResolution(std::string_view id, std::string_view field,
                         const std::optional<std::string>& value, std::string_view note,
                         std::string_view expected_conflict_id = {});
  // The id a conflict on (record, field) has on every node holding the same
  // versions: a digest of the record, the field and the live vectors involved.
  Result<std::string> ConflictId(std::string_view record_id, std::string_view field);

  // ---- Reads.
  Result<RecordView> Get(std::string_view id);
  Result<std::vector<RecordView>> List(std::string_view type,
                                       const std::optional<FieldWrite>& where = std::nullopt);
  // Every version of the record's fields (or one field), oldest first.
  Result<std::vector<StoredVersion>> History(std::string_view id,
                                             const std::optional<std::string>& field);
  Result<NodeStatus> GetStatus();
  // Canonical JSON of every record (tombstones included), with no node-local
  // detail: two nodes holding the same data write byte-identical dumps.
  Status Dump(std::ostream& out);

  // ---- Sync (used by sync/, never by transports).
  Result<ChangePage> ReadChanges(uint64_t after_seq, size_t max_states,
                                 const VersionVector& peer_knowledge,
                                 const ShareFilter* filter = nullptr);
  // Applies states received from `from_peer` in one transaction, with the
  // peer's cursor and, when given, the knowledge the peer vouched for.
  Result<ApplyResult> ApplyRemote(const std::vector<FieldVersion>& states,
                                  const std::string& from_peer, uint64_t new_inbound_cursor,
                                  const VersionVector* knowledge_to_merge);
  Result<VersionVector> Knowledge();

  // States from one peer applied in one write transaction, however many calls
  // to Add (a bundle of a million states is all or nothing). Destroying it
  // without Commit() rolls everything back.
  class RemoteBatch {
   public:
    ~RemoteBatch();
    Status Add(const std::vector<FieldVersion>& states);
    // The peer vouches it held no more than this when the states were read.
    Status MergeKnowledge(const VersionVector& vouched);
    Status SetCursor(uint64_t new_inbound_cursor);
    Result<ApplyResult> Commit();

   private:
    friend class Store;
    RemoteBatch(Store& store, std::string from_peer, std::unique_ptr<Transaction> txn,
                uint64_t own_counter);
    Store& store_;
    std::string from_peer_;
    std::unique_ptr<Transaction> txn_;
    uint64_t own_counter_;
    int64_t now_;
    size_t position_ = 0;
    ApplyResult result_;
  };
  Result<std::unique_ptr<RemoteBatch>> BeginRemoteBatch(const std::string& from_peer);

  Result<PeerInfo> GetPeer(std::string_view peer_id);
  Result<std::optional<PeerInfo>> FindPeerByName(std::string_view name);
  Result<std::vector<PeerInfo>> ListPeers();
  Status AddPeer(std::string_view name, std::string_view url);
  // Records what a peer holds and when it was last reached; binds a named peer to its node id.
  Status RecordPeerContact(std::string_view name, std::string_view peer_id,
                           const VersionVector& their_knowledge);

  Database& db() { return *db_; }
  int64_t NowMs() const;

 private:
  class LocalWriter;
  friend class LocalWriter;
  friend class RemoteBatch;

  Store(std::unique_ptr<Database> db, std::string node_id, StoreOptions options);
  Result<std::vector<StoredVersion>> LiveVersions(std::string_view record_id,
                                                  std::string_view field);
  Result<std::optional<std::string>> RecordType(std::string_view record_id);
  // Re-derives the record's deleted flag and its delete-versus-edit conflict.
  Result<bool> RefreshDeletion(std::string_view record_id, int64_t now);
  // Stores `incoming` beside the live versions it does not dominate. Returns
  // whether anything changed and whether a new conflict appeared. A local
  // write passes the live versions it already read (`known_live`), sparing
  // a second read of the field on the hot path.
  struct MergeOutcome {
    bool stored = false;
    bool new_conflict = false;
  };
  Result<MergeOutcome> MergeVersion(const FieldVersion& incoming, std::string_view received_from,
                                    int64_t now,
                                    const std::vector<StoredVersion>* known_live = nullptr);
  Status SetConflict(std::string_view record_id, std::string_view field, bool open, int64_t now,
                     bool* newly_opened);
  Result<std::string> ConflictIdLocked(std::string_view record_id, std::string_view field);
  Result<RecordView> BuildView(std::string_view id, std::string_view type, bool deleted);

  std::unique_ptr<Database> db_;
  std::string node_id_;
  StoreOptions options_;
};

}  // namespace accord
