// The node store: every record of an office, every field with its version
// vector and history, and the change log that sync streams from.
//
// Model (docs/schema.md has the tables):
//  - A record is a type and an id; its content is a set of fields.
//  - Every write of a field is a FieldVersion appended to the change log with a
//    new local sequence number. Versions a newer one dominates stay as history.
//  - The live versions of a field are those no other version dominates: one
//    normally, several when writes were concurrent (a conflict). One of them is
//    the provisional winner by a rule every node applies alike
//    (ProvisionalWinner).
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
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/attachment_files.h"
#include "core/cell_cipher.h"
#include "core/field_version.h"
#include "core/live_versions_seen.h"
#include "core/retention.h"
#include "core/schema.h"
#include "core/search.h"
#include "core/sharing_policy.h"
#include "core/sqlite.h"
#include "core/status.h"
#include "core/users.h"
#include "core/version_vector.h"

namespace accord {

struct ScopeRow;  // core/record_scope.cc

struct StoreOptions {
  // Milliseconds since the Unix epoch; tests inject a fake clock.
  std::function<int64_t()> clock_ms;
  // The node's data key, when its personal data is encrypted
  // (docs/encryption.md). Create with a key makes an encrypted node; Open
  // refuses a key that is not the node's. Without it an encrypted node opens
  // with personal data locked: reading or writing it fails (kLockedMessage),
  // everything else works.
  std::shared_ptr<const DataKey> data_key = nullptr;
  // Argon2id cost of the password hashes AddUser makes: kInteractive except
  // in tests, which use the minimum to stay fast (docs/users.md).
  PasswordCost password_cost = PasswordCost::kInteractive;
  // The largest attachment file this node takes: at `attach`, in a record's
  // declared size, and on receipt (docs/attachments.md).
  uint64_t max_attachment_bytes = kDefaultMaxAttachmentBytes;
  static constexpr uint64_t kDefaultMaxAttachmentBytes = uint64_t{25} << 20;
  // WAL frames a connection applying remote batches lets build up before a
  // thread of its own copies them into the file (core/wal_checkpointer.h).
  // Few for a process that closes after one sync or bundle: what is left is
  // copied at the close, while the officer waits. A server that stays up
  // may take more (`accord serve`: kServerCheckpointFrames): fewer copies of
  // the same pages, none of them in a request.
  int checkpoint_frames = kDefaultCheckpointFrames;
  static constexpr int kDefaultCheckpointFrames = 1000;
  static constexpr int kServerCheckpointFrames = 10000;
};

// An attachment record (types attachment and case_attachment) with what this
// node holds of its file (docs/attachments.md).
struct AttachmentInfo {
  std::string id;
  std::string type;        // attachment | case_attachment
  std::string owner_id;    // the record it belongs to ("" when none of its refs is set)
  std::string owner_type;  // that record's type
  std::string sha256;
  uint64_t size = 0;  // as declared by the record
  std::string file_name;
  std::string media_type;
  std::string caption;
  bool held = false;           // the whole file is here
  uint64_t partial_bytes = 0;  // of a transfer not finished
  bool sealed = false;         // the file is stored encrypted here (personal, encrypted node)
  FileKey key() const { return {sha256, sealed}; }
};

// What `accord attach` stores.
struct NewAttachment {
  std::string owner_id;    // the record the file belongs to
  std::string path;        // the file to copy in
  std::string file_name;   // "" for the path's last part
  std::string media_type;  // "" to guess from the name (pdf, png, jpg, …)
  std::string caption;
};

// What Store::EncryptPersonalData did.
struct EncryptionReport {
  int64_t cells_sealed = 0;  // values, notes and signed bytes newly sealed
  int64_t rows = 0;          // versions rows they belong to
  int64_t files_sealed = 0;  // attachments' files of personal records sealed (docs/attachments.md)
};

// A node that learnt, from its deployment CA's signed revocation list, that
// its own certificate was revoked (a lost laptop: docs/security.md), and
// locked its personal data until an administrator re-keys it.
struct RevocationLock {
  std::string serial_hex;     // this node's certificate the CA revoked
  int64_t revoked_at_ms = 0;  // when, by the CA's list
  std::string issuer;         // the CA that signed the list
  std::string learned_from;   // the peer that showed it
  int64_t learned_at_ms = 0;
  // The node was not encrypted: its personal values were sealed under a key
  // made for the lock and never kept, so they are gone from this node (its
  // peers still hold what they may), not merely locked.
  bool destroyed = false;
  std::string revocation_list;  // the CA's list (PEM) as shown
};

// "this node's certificate (serial …) was revoked by the deployment CA (…)
// on …; personal data is locked until an administrator re-keys it: …".
std::string RevocationLockMessage(const RevocationLock& lock);

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

// A record that left a reader's scope, as a page tells it (docs/sharing.md,
// "Leaving a scope"): its id, and the join of the vectors of every version of
// its scope fields the sender held. A change of them that this vector covers
// is no news to the reader: a copy sent later by an office that has not
// heard yet.
struct ScopeExit {
  std::string record_id;
  VersionVector scope_version;
};

// A page of the change log for a peer.
struct ChangePage {
  std::vector<FieldVersion> states;
  uint64_t next_cursor = 0;  // the last sequence scanned (skipped states included)
  bool done = false;         // next_cursor reached the head of the log
  // The page ends early, before a write of this node not sealed yet: seal
  // and read again for a fuller page (sync::ReadSealedChanges).
  bool ends_before_unsealed = false;
  VersionVector knowledge;  // with done: this node's knowledge in the same snapshot
  // Records that left the reader's scope and that it may hold: the reader
  // decides by its own rule whether to purge them (docs/sharing.md,
  // "Leaving a scope").
  std::vector<ScopeExit> left_scope;
};

// Who a page is read for: its node id (states received from it are not sent
// back) and, when sharing applies, its party (docs/sharing.md): only states
// of records whose scope allows that party go, "" (no party in its
// certificate) allowing only what every node may hold.
//
// `policy_version` is the sharing policy version the reader is known to
// judge with (0: this node's own). When it is another version this node
// holds, a state goes only if both versions allow it (docs/sharing.md,
// "Replacing the policy"); a version not held here leaves this node's own.
struct PageReader {
  std::string node_id;
  std::optional<std::string> party;  // nullopt: everything (a backup of this node)
  int policy_version = 0;
};

// A record this node purged because it left this node's scope, as the
// purged_records table keeps it: never any of its values.
struct PurgedRecord {
  std::string record_id;
  std::string type;
  int64_t purged_at_ms = 0;
  std::string notice_from;  // the peer whose notice (or whose states) it acted on
  std::string reason;
};

// A purge order (docs/security.md, "Purge orders"): erases a record's values
// and history on every node it reaches. What a node keeps of it is this, as
// the record's tombstone: who ordered it, where, when and why.
struct PurgeOrder {
  std::string record_id;
  std::string type;
  std::string issuer;        // the node that issued and signed it
  std::string user;          // the office user who ordered it ("" on a node without users)
  int64_t issued_at_ms = 0;  // the issuer's clock
  std::string reason;
  std::string signed_bytes;   // the signed order (sync/purge_order.h), passed on as it is
  std::string received_from;  // "" when issued here
  int64_t taken_at_ms = 0;    // local time
  // The issuer's count of its orders (1, 2, 3...); 0 for an order of a build
  // before tombstone collection, which is never collected.
  uint64_t sequence = 0;
};

// A node's signed word that it applied a purge order, and the nodes it knew
// of when it signed (docs/security.md, "Collecting tombstones").
struct PurgeAck {
  std::string record_id;
  std::string issuer;
  uint64_t sequence = 0;
  std::string acker;
  int64_t acked_at_ms = 0;  // the acker's clock
  std::vector<std::string> known_nodes;
  std::string signed_bytes;  // the signed acknowledgement (sync/purge_ack.h), passed on as it is
};

// An order whose tombstone was collected: what an auditor still reads of it
// (who, when, why; never a value). Its signature, acknowledgements and
// per-peer bookkeeping are gone.
struct CollectedPurge {
  std::string record_id;
  std::string type;
  std::string issuer;
  uint64_t sequence = 0;
  std::string user;
  int64_t issued_at_ms = 0;
  std::string reason;
  int64_t collected_at_ms = 0;
};

// What Store::CollectPurgeOrders did, or would do.
struct PurgeCollection {
  std::vector<CollectedPurge> collected;
  // One line per order kept, saying what it waits for.
  std::vector<std::string> waiting;
};

// "purged by sokha.kh on KH-NCCT at 2026-11-26T05:40:00Z: REASON" (the
// tombstone as `get` and `history` say it).
std::string DescribePurge(const PurgeOrder& order);

// What Store::ApplyPurgeOrder did.
struct PurgeOrderOutcome {
  bool already_held = false;  // the order was held here: nothing changed
  bool record_held = false;   // the record was here, and is erased now
  std::vector<PurgedRecord> purged;
  // The purge committed but its WAL could not be emptied yet (another
  // connection was reading): the old pages stay there until the next
  // checkpoint.
  std::string warning;
};

// At most this many characters of reason in a purge order.
inline constexpr size_t kMaxPurgeReasonBytes = 1000;

// The reason of a purge order as it is signed: not empty, one line under
// the one rule for text (core/text_rule.h: valid UTF-8, no control
// characters, NFC), at most kMaxPurgeReasonBytes once normalised. Checked
// before anything is erased: a reason that is not UTF-8 would erase the
// record here while every receiver refuses the order (a proto3 string).
// kInvalidArgument saying what is wrong.
Result<std::string> NormalizePurgeReason(std::string_view reason);

struct ApplyResult {
  size_t received = 0;
  size_t applied = 0;    // stored (new value, or a new concurrent sibling)
  size_t unchanged = 0;  // already held or dominated
  size_t new_conflicts = 0;
  // States this node would not take, each with its reason; the rest of the
  // page or chunk went in. Also recorded (Store::RecentRefusals).
  std::vector<RefusedState> refused;
  // Entries of the vouched knowledge that were not believed, e.g. a claim
  // that this node made a write it never made. Not errors: logged.
  std::vector<std::string> disbelieved;
  // Records purged because they left this node's scope (with what hangs off
  // them), and notices of that this node did not act on, each with why.
  std::vector<PurgedRecord> purged;
  std::vector<std::string> notices_ignored;
  // A purge committed but its WAL could not be emptied yet (another
  // connection was reading): the old pages stay there until the next
  // checkpoint.
  std::vector<std::string> warnings;
};

// Bounds on what a proven state may claim (docs/security.md, "Bounds").
inline constexpr uint64_t kMaxCounter = (uint64_t{1} << 53) - 1;  // exact in JSON too
inline constexpr uint64_t kMaxCounterJump = 10'000'000;  // beyond the highest seen of a node
inline constexpr int64_t kMaxClockLeadMs = int64_t{400} * 24 * 3600 * 1000;  // ~13 months
// A page or bundle chunk stops growing at this many bytes of states, whatever
// its count, so that it always fits a peer's body limit (32 MiB) even when
// every value is as large as the text rule allows (256 KiB).
inline constexpr size_t kMaxPageBytes = size_t{8} << 20;
// A page with the backfill of a record just brought into scope holds at most
// this many states (a peer takes 5,000: sync/wire_limits.h).
inline constexpr size_t kMaxStatesWithBackfill = 4000;
// A full page still takes the rest of the record's write it ends in, up to
// this many states more (a record has a few tens of fields): the reader never
// holds part of a write (Store::ReadChanges).
inline constexpr size_t kMaxStatesPastPage = 64;
// A page tells at most this many records that left the reader's scope (a
// peer takes 5,000: sync/wire_limits.h); more start a page of their own.
inline constexpr size_t kMaxLeftScopePerPage = 4000;

// This node's writes that are not sealed yet (Store::UnsealedWrites).
struct UnsealedBatch {
  std::vector<FieldVersion> writes;  // by write (counter), then log order
  std::vector<int64_t> seqs;         // the log position of each
};

// A refusal as recorded, for `accord status` and the review page.
struct RefusalRecord {
  int64_t at_ms = 0;
  bool sent = false;  // refused by the peer (a state this node sent), else by this node
  std::string peer;
  RefusedState state;
};

// What this node knows of a peer node (peer_state), and, for peers in the
// address book (PeerBook), its name and URL.
struct PeerInfo {
  std::string peer_id;          // the peer's node id ("" until first contact)
  std::string name;             // local nickname, e.g. "th-capital" (address book only)
  std::string url;              // (address book only)
  uint64_t inbound_cursor = 0;  // how far into the peer's log this node has applied
  int64_t last_sync_ms = 0;
  VersionVector their_knowledge;  // what the peer was known to hold at last contact
  // The sharing policy version the peer last announced (by sync or bundle);
  // 0 when it never did: it is taken to hold the built-in version 1.
  int policy_version = 0;
};

// What Store::InstallPolicy did with a verified policy.
enum class PolicyInstall {
  kInstalled,    // newer than the current one: this node now judges with it
  kKeptOlder,    // older than the current one and not held: kept, to judge for peers holding it
  kAlreadyHeld,  // this version, with the same text, is held
};

// Where one node stands with one record (Store::SharingOf).
struct NodeHolding {
  std::string node;
  std::optional<std::string> party;  // nullopt: never learnt (it gets what every node may)
  bool may_hold = false;
  // By the knowledge it last reported: it holds every live version of the
  // record, some of them, or none (or this node never synced with it).
  enum class Holds { kNone, kSome, kCurrent } holds = Holds::kNone;
  int64_t last_contact_ms = 0;  // 0: never synced with this node
};

struct RecordSharing {
  RecordScope scope;
  std::vector<NodeHolding> nodes;  // by node id
};

struct HeldBackFromPeer {
  std::string peer_id;
  std::optional<std::string> party;
  int64_t records_held_back = 0;
};

// An open conflict as the store indexes it (core/conflicts.h builds what a
// reviewer sees from it).
struct ConflictRef {
  std::string id;  // the same on every node holding the same live versions
  std::string record_id;
  std::string record_type;
  std::string field;  // kDeletedField for delete versus edit
  int64_t detected_at_ms = 0;
};

struct ConflictQuery {
  std::string type;               // only records of this type; "" for all
  uint64_t offset = 0;            // skip this many, in list order
  std::optional<uint64_t> limit;  // at most this many; nullopt for all
};

struct ConflictList {
  std::vector<ConflictRef> conflicts;  // oldest detection first, then record id, field
  uint64_t total = 0;                  // open conflicts matching the type, ignoring paging
};

class PeerBook;
class WalCheckpointer;

// Lets a hashed container of strings be searched with a string_view.
struct TransparentStringHash {
  using is_transparent = void;
  size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};
namespace testing {
class StoreTestAccess;  // tests/store_peek.h
}

// Threading and transactions
//
//  - A Store is one SQLite connection and is not thread-safe: use it from one
//    thread at a time (it may move between threads, as the server's StorePool
//    leases do). Its PeerBook shares the connection and the rule.
//  - Several Stores may open one database file, in one process or several
//    (`accord serve` next to an officer's `accord put`). The database is in
//    WAL mode:
//      * a read runs on the snapshot of the last commit when it began and never
//        waits for a writer, however long the writer's transaction;
//      * writes take the database's single write lock (BEGIN IMMEDIATE) and
//        queue for it up to the busy timeout (15 s), then fail with
//        kUnavailable. That is why writes come in bounded transactions: an
//        officer's write, one sync page, one bundle chunk. (PutMany holds the
//        lock for the whole batch it is given: `accord load` is all or nothing.)
//  - Every public call is one transaction, all or nothing, except RemoteBatch,
//    which spans calls until Commit().
//  - Calls that take the write lock: Create; Open, only when the layout must
//    be migrated; Put, PutMany, Delete, WriteResolution, ApplyRemote,
//    BeginRemoteBatch (held until Commit or destruction), RecordPeerContact,
//    PeerBook::Add and PeerBook::BindNodeId. Every other call only reads.
//  - REQUIRES while a RemoteBatch is open: no other call on the same Store or
//    its PeerBook, and no second batch, until the batch commits or is
//    destroyed. Its transaction is the connection's, so another call would run
//    inside it and commit or roll back with it; a call that begins a
//    transaction is refused with kFailedPrecondition instead. Other Stores on
//    the file may read meanwhile.
class Store {
 public:
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Creates a new node database; fails if one exists at `path`. The file is
  // built aside and renamed into place: after a crash there is either no
  // database at `path` or a whole one.
  static Result<std::unique_ptr<Store>> Create(const std::string& path, const std::string& node_id,
                                               StoreOptions options = {});
  // Opens an existing node database, migrating its schema when older.
  static Result<std::unique_ptr<Store>> Open(const std::string& path, StoreOptions options = {});

  const std::string& node_id() const { return node_id_; }
  // Encryption at rest (core/cell_cipher.h): whether this node's personal
  // data is encrypted, and whether its key is loaded.
  bool encrypted() const { return cipher_.encrypted(); }
  bool unlocked() const { return cipher_.unlocked(); }
  // The data key's public id (DataKey::KeyId); "" on a node not encrypted.
  const std::string& data_key_id() const { return cipher_.key_id(); }
  // Personal data: the schema's personal types, those the deployment marks
  // (accord encrypt --personal) and types this build does not know. Sealed
  // at rest on an encrypted node; never written in clear on a bundle.
  bool IsPersonalType(std::string_view type) const { return cipher_.IsPersonalType(type); }
  // Encrypts an existing node's personal data under `key` (`accord
  // encrypt`): in one write transaction, marks the node encrypted and seals
  // every clear cell of a personal type; then empties the WAL and rebuilds
  // the file (VACUUM), so that no clear copy stays in the file, its WAL or
  // its free pages. On an encrypted node, with its key, seals what is still
  // clear. `also_personal` names types the deployment marks personal
  // besides the schema's (kept in meta.personal_types, for every later
  // write). kUnavailable when another connection's read keeps the WAL from
  // being emptied: run it again.
  Result<EncryptionReport> EncryptPersonalData(std::shared_ptr<const DataKey> key,
                                               const std::vector<std::string>& also_personal = {});
  // The injected clock (StoreOptions::clock_ms).
  int64_t NowMs() const;

  // ---- Lost laptop (docs/encryption.md, "When the node is revoked").
  // Set once the node locked itself; then every read or write of personal
  // data fails with RevocationLockMessage, whatever key was given.
  const std::optional<RevocationLock>& revocation_lock() const { return revocation_lock_; }
  // Locks this node's personal data for good, in one write transaction:
  // on an encrypted node, drops the key (the caller destroys the wrapped
  // key file: sync/own_revocation.h); on a clear one, seals every personal
  // cell under a fresh key that is never kept (lock.destroyed), then
  // empties the WAL and rebuilds the file as `accord encrypt` does. Returns
  // warnings (the WAL could not be emptied yet: another connection was
  // reading). Locking a locked node changes nothing.
  Result<std::vector<std::string>> LockForRevocation(RevocationLock lock);
  // `accord rekey`: lifts the lock with the node's data key (from an
  // export held elsewhere). kPermissionDenied for another key;
  // kFailedPrecondition when nothing is locked or the data was destroyed.
  Status LiftRevocationLock(std::shared_ptr<const DataKey> key);

  // ---- Local writes: an officer's. Each call is one transaction: all or nothing.
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
  // Signs this node's writes as they are made: once a local write above
  // commits, `sealer` (sync::SealerFor, holding this node's key) seals what
  // is unsealed, in a transaction of its own. Without one, a write waits for
  // the first sync or bundle to seal it. A sealer that fails leaves the
  // write in, unsealed, for that sync to seal: the write still stands, and
  // the failure is kept (last_seal_failure) for the caller to warn about.
  using WriteSealer = std::function<Status(Store&)>;
  void SealWritesAsMade(WriteSealer sealer) { write_sealer_ = std::move(sealer); }
  const Status& last_seal_failure() const { return last_seal_failure_; }

  // ---- Office users (core/users.h, docs/users.md): per node, never synced.
  // Once a node has a user, every local write (Put, PutMany, Delete,
  // WriteResolution) needs an acting user (ActAs) who exists, is not
  // disabled and holds the right (write; resolve for a resolution), checked
  // inside the write's transaction; the write then carries the user's name
  // as its author. With no users, writes carry no author, as before.
  Result<bool> HasUsers();
  // Adds a user with an Argon2id hash of `user.password` (never the
  // password). A node's first user must hold admin; later ones need an
  // acting admin. kFailedPrecondition for a name already in use.
  Status AddUser(const NewUser& user);
  Result<std::vector<User>> ListUsers();  // by name
  Result<std::optional<User>> FindUser(std::string_view name);
  // Disables `name` from now on (its past writes stay, with its name). Needs
  // an acting admin; refuses to disable the last enabled admin.
  Status DisableUser(std::string_view name);
  // Checks the password of an enabled user: kPermissionDenied, saying which,
  // for an unknown name, a disabled user or a wrong password.
  Result<User> Authenticate(std::string_view name, std::string_view password);
  // The user this Store's writes are made by from now on ("" for none).
  // REQUIRES: the caller authenticated them (Authenticate, or a review-page
  // session that did); the store still checks, at each write, that the user
  // exists, is enabled and holds the right.
  void ActAs(std::string user) { acting_user_ = std::move(user); }
  const std::string& acting_user() const { return acting_user_; }

  // ---- Reads.
  Result<RecordView> Get(std::string_view id);
  Result<std::vector<RecordView>> List(std::string_view type,
                                       const std::optional<FieldWrite>& where = std::nullopt);
  // Every field whose current value holds every word of `query` (any
  // language, any case; Thai and Khmer words inside a sentence too), best
  // first (docs/search.md). Plans, meetings and the other shared types come
  // from a trigram full-text index that this call first brings up to date
  // (short write transactions); personal types are never indexed: their
  // live values are read, and opened on an encrypted node, at search time,
  // and skipped while it is locked.
  Result<SearchResults> Search(std::string_view query, const SearchOptions& options = {});
  // Brings the full-text index up to the change log; returns how many values
  // it added. Takes the write lock in short transactions.
  Result<size_t> UpdateSearchIndex();
  // Every version of the record's fields (or one field), oldest first.
  Result<std::vector<StoredVersion>> History(std::string_view id,
                                             const std::optional<std::string>& field);
  Result<NodeStatus> GetStatus();
  // Canonical JSON of every record (tombstones included), with no node-local
  // detail: two nodes holding the same data write byte-identical dumps.
  // `fields_seen`, when given, collects every (type, field) written out.
  Status Dump(std::ostream& out,
              std::set<std::pair<std::string, std::string>>* fields_seen = nullptr);

  // ---- Conflicts (reads).
  // The id a conflict on (record, field) has on every node holding the same
  // versions: a digest of the record, the field and the live vectors involved.
  Result<std::string> ConflictId(std::string_view record_id, std::string_view field);
  // The open conflict with this id, if any (an index lookup).
  Result<std::optional<ConflictRef>> FindConflict(std::string_view id);
  // Open conflicts of `query.type`, in list order, one page of them.
  Result<ConflictList> ListConflicts(const ConflictQuery& query);

  // ---- Signed origins (sync/signed_changes.h does the cryptography; the
  // store keeps the bytes, seals and certificates).
  // This node's writes not sealed yet, at most `max`, oldest write first.
  Result<UnsealedBatch> UnsealedWrites(size_t max);
  // Keeps the sealed bytes of `batch` (found by log position)
  // with the seals of their units and this node's certificate, in one write
  // transaction. False, with nothing written, if another connection sealed
  // one of them first (two pulls served at once both seal): read them again.
  Result<bool> SealWrites(const UnsealedBatch& batch, const std::vector<ProvenUnit>& units,
                          const OriginCertificate& own);
  Result<std::optional<ProvenUnit>> FindProvenUnit(const UnitKey& key);
  // How many units of `origin` held here end at `counter` (the next index).
  Result<uint32_t> CountUnitsEndingAt(std::string_view origin, uint64_t counter);
  // The unit of `origin` with the highest counter this node holds a seal of:
  // the witness that `origin` made every write a vector or knowledge claims.
  Result<std::optional<ProvenUnit>> HighestProvenUnit(std::string_view origin);
  Result<std::optional<OriginCertificate>> FindCertificate(std::string_view node,
                                                           std::string_view key_id);
  // Every certificate of `node` kept here (PEM), as its proved writes brought
  // them: what a bundle for it can be encrypted for.
  Result<std::vector<std::string>> CertificatesOf(std::string_view node);
  // Records refusals of states this node sent, as the peer reported them.
  Status RecordSentRefusals(std::string_view peer, const std::vector<RefusedState>& refused);
  // The latest refusals either way, newest first.
  Result<std::vector<RefusalRecord>> RecentRefusals(size_t max);

  // ---- Retention (core/retention.h, docs/sharing.md "Retention").
  // Prunes the values of superseded versions of personal data that a newer
  // version replaced on this node longer ago than the current sharing
  // policy's retention for their type: value, note and signed bytes are
  // erased (secure_delete zeroes them) and the row keeps its vector, origin,
  // author and times, marked pruned. Never a live value or a sibling of an
  // open conflict, never a scope field (where the record may go is judged
  // from their history), never a type that is not personal. Works on a
  // locked encrypted node (no value is read). Judged in one read
  // transaction, pruned in write transactions of a few thousand rows (each
  // all or nothing); then empties the WAL as a purge does (a busy WAL is a
  // warning, not an error). With `dry_run`, only the read.
  Result<RetentionReport> PruneSuperseded(bool dry_run = false);

  // ---- Sharing (core/sharing_policy.h, docs/sharing.md).
  // Records the party a certificate the deployment CA issued names for
  // `node` ("" for none). REQUIRES: the caller verified that certificate.
  Status RecordNodeParty(std::string_view node, std::string_view party);
  // The party last recorded for `node`; nullopt if none was ever learnt.
  Result<std::optional<std::string>> PartyOf(std::string_view node);
  // Every node whose party this node learnt, by node id.
  Result<std::vector<std::pair<std::string, std::string>>> KnownNodeParties();
  // Where the record may go under the policy, from this node's current
  // values. While a scope field (consent) is in conflict, the stricter
  // value applies. kNotFound for a record this node does not hold.
  Result<RecordScope> ScopeOf(std::string_view record_id);
  // The record's scope and, for every node this node knows (by its party or
  // by a sync), whether that node may hold the record and whether it holds
  // the current values, as far as its last reported knowledge tells.
  Result<RecordSharing> SharingOf(std::string_view record_id);
  // For every peer this node synced with, how many records it holds that the
  // peer's party may not hold: what sync and bundles hold back from it.
  Result<std::vector<HeldBackFromPeer>> HeldBackPerPeer();
  // The records this node purged because they left its scope, newest first.
  Result<std::vector<PurgedRecord>> PurgedRecords();

  // ---- Purge orders (docs/security.md, "Purge orders"; the signing is in
  // sync/purge_order.h).
  // The order an acting user may give to erase `record_id` here and on every
  // node it reaches: its type, this node as issuer, the acting user (who
  // must hold the purge right on a node with users; on a node without users
  // anyone may purge, as anyone may write), now. kNotFound for a record not
  // held here, kFailedPrecondition for one purged already, kInvalidArgument
  // for a reason NormalizePurgeReason refuses (the order keeps the
  // normalised reason). Changes nothing.
  Result<PurgeOrder> PreparePurge(std::string_view record_id, std::string_view reason);
  // Takes a verified purge order, in one write transaction: erases the record
  // (its values, history, conflicts and refusals; not what hangs off it,
  // which has orders of its own) unless it is not held here, keeps the order
  // as its tombstone, and notes that `from_peer` holds it; then empties the
  // WAL so that no page of the record stays in it. From then on every state
  // of the record is refused as purged. `from_peer` "" is this node's own
  // order (PreparePurge), whose user is checked again for the purge right.
  // An order from a peer is refused (kPermissionDenied, saying why) when
  // the issuer's party (`issuer_party`, from its certificate) may not hold
  // the record by this node's own evaluation of its scope; a locked node,
  // which cannot read a personal record's scope, takes it (a purge needs no
  // value). REQUIRES: the caller verified the order's signature.
  Result<PurgeOrderOutcome> ApplyPurgeOrder(const PurgeOrder& order, std::string_view from_peer,
                                            std::string_view issuer_party);
  // The order that erased `record_id` here, if any.
  Result<std::optional<PurgeOrder>> FindPurgeOrder(std::string_view record_id);
  // Every order held, newest first.
  Result<std::vector<PurgeOrder>> PurgeOrders();
  // Orders held that `peer` is not known to hold (it neither sent one nor
  // said it holds it), oldest first, at most `max`.
  Result<std::vector<PurgeOrder>> PurgeOrdersFor(std::string_view peer, size_t max);
  // `peer` holds the orders of these records (or refused them for good).
  Status NotePurgeOrdersHeld(std::string_view peer, const std::vector<std::string>& record_ids);

  // ---- Collecting tombstones (docs/security.md, "Collecting tombstones";
  // core/purge_collection.cc, the signing in sync/purge_ack.h).
  // Every node this node knows of: itself, every node it exchanged data
  // with (either side of a sync, either end of a bundle), every origin in its
  // knowledge, and every issuer and acker of an order held. Sorted.
  Result<std::vector<std::string>> KnownNodes();
  // `node` exchanged data with this node (a hello, a bundle either way).
  Status NoteKnownNode(std::string_view node);
  // Orders held (sequence > 0) that this node has not acknowledged yet.
  Result<std::vector<PurgeOrder>> PurgeOrdersToAck();
  // Keeps a verified acknowledgement of an order held here and notes that
  // `from_peer` ("" : signed here) holds it. False (nothing kept) when the
  // order is not held here (collected already, or not arrived yet) or names
  // another issuer or sequence. REQUIRES: the caller verified its signature.
  Result<bool> KeepPurgeAck(const PurgeAck& ack, std::string_view from_peer);
  // Acknowledgements held that `peer` is not known to hold, oldest order
  // first, at most `max`.
  Result<std::vector<PurgeAck>> PurgeAcksFor(std::string_view peer, size_t max);
  // `peer` holds these acknowledgements (record id, acker).
  Status NotePurgeAcksHeld(std::string_view peer,
                           const std::vector<std::pair<std::string, std::string>>& acks);
  // Issuer -> the highest sequence up to which every order of that issuer
  // is held here or was collected: what this node says it has applied.
  Result<VersionVector> PurgeOrdersApplied();
  // Issuer -> the highest sequence up to which every order of that issuer
  // was collected here.
  Result<VersionVector> PurgeCollectedFrontier();
  // kFailedPrecondition, naming `source`, when `applied` (a source's
  // orders-applied vector) is behind this node's collected frontier for some
  // issuer: that source may still hold a record whose tombstone is gone
  // here, so nothing of it is taken.
  Status CheckPurgeOrdersApplied(const VersionVector& applied, std::string_view source);
  // A node that holds no record at all takes a peer's collected frontier as
  // its own (it holds none of the collected records, and from then on takes
  // data only from sources that applied them). False: nothing to adopt, or
  // this node holds records (then it must get the orders, or start afresh).
  Result<bool> AdoptPurgeFrontier(const VersionVector& frontier);
  // Collects, in each issuer's order, the tombstones whose orders every
  // node known here (and every node known to any acknowledging node) has
  // acknowledged; with `dry_run` only says what it would collect.
  Result<PurgeCollection> CollectPurgeOrders(bool dry_run);
  // The audit lines of collected orders, newest first.
  Result<std::vector<CollectedPurge>> CollectedPurgeOrders();

  // ---- The sharing policy (docs/sharing.md, "Replacing the policy"). Every
  // version ever held is kept; the current one is the highest. Scopes are
  // judged with the current one, and with a reader's own when it is older.
  Result<HeldPolicy> CurrentPolicy();
  // The version held here (1: the built-in one); nullopt when not held.
  Result<std::optional<HeldPolicy>> PolicyVersion(int version);
  // Every version held, oldest first (the built-in one included).
  Result<std::vector<HeldPolicy>> HeldPolicies();
  // Keeps a signed policy. REQUIRES: the caller verified its signature
  // against the deployment CA (sync/signed_policy.h) and filled `signer`,
  // `key_id` and `source`. Refuses (kFailedPrecondition) a version held
  // with another text: a deployment never signs two policies of one version.
  Result<PolicyInstall> InstallPolicy(const HeldPolicy& policy);
  // Records the policy version a peer announced (by sync or bundle). Never
  // lowers what was recorded: a node never goes back to an older version,
  // and bundles arrive out of order.
  Status RecordPeerPolicyVersion(std::string_view peer_id, int version);

  // ---- Replication (used by sync/, never by transports).
  // Live states after `after_seq` the reader does not hold, at most
  // `max_states` (and the rest of the record's write the page ends in: a
  // page never holds part of one): none its knowledge covers, none received
  // from it, and none its party may not hold. A state of a scope field, sent
  // or already held by the reader, brings with it every live state of the
  // record and of what hangs off it (the reader may have purged them when
  // the record left). With `done`, the knowledge vouched for stops below
  // this node's first write held back from the reader, so the reader never
  // believes it holds a write it was not sent. `left_scope` names the
  // records whose scope-field states after `after_seq` are held back and
  // that the reader may hold.
  Result<ChangePage> ReadChanges(uint64_t after_seq, size_t max_states,
                                 const VersionVector& peer_knowledge,
                                 const PageReader& reader = {});
  // Applies states received from `from_peer` in one transaction, with the
  // peer's cursor and, when given, the knowledge the peer vouched for.
  Result<ApplyResult> ApplyRemote(const std::vector<FieldVersion>& states,
                                  const std::string& from_peer, uint64_t new_inbound_cursor,
                                  const VersionVector* knowledge_to_merge);
  Result<VersionVector> Knowledge();

  // States from one peer applied in one write transaction, however many calls
  // to Add. Destroying it without Commit() rolls everything back. Holds the
  // write lock throughout: keep it to one page or chunk (see above).
  class RemoteBatch {
   public:
    ~RemoteBatch();
    // Unit seals and certificates the sync layer verified (its own check of
    // the signatures), kept to prove these units on. Before Add of the states
    // they prove: vector entries are bounded by what has been proven.
    Status AddProofs(const std::vector<ProvenUnit>& units,
                     const std::vector<OriginCertificate>& certificates);
    // Proven states. A state the store will not take (a vector entry beyond
    // anything proven, a counter or time out of bounds, text that breaks the
    // text rule, a rewritten value) is refused on its own, into the result;
    // the others go in. An error is a failure of the database, not of a state.
    Status Add(const std::vector<FieldVersion>& states);
    // States the sync layer refused before they reached the store (unproven):
    // recorded with the others, and they cap the knowledge merged below.
    Status AddRefused(const std::vector<RefusedState>& refused);
    // The peer vouches it held no more than this when the states were read.
    // Only the peer's own entry is believed (no seal shows that a relay
    // delivered a third node's writes), and only as far as it is proven: to
    // no more than the highest counter of the peer proven by a seal held
    // here, and below any write of it refused in this batch. An entry beyond
    // any seal, or a claim that this node made a write it never made, is
    // disbelieved (noted, not an error).
    Status MergeKnowledge(const VersionVector& vouched);
    // Refusals made in earlier batches of the same apply (a bundle's chunks):
    // MergeKnowledge then stops below them too.
    void CapKnowledgeBelow(const std::vector<RefusedState>& refused);
    // The peer says these records left this node's scope. Each is purged,
    // with what hangs off it, if this node's party may not hold it by this
    // node's own evaluation, or if the peer is of the party that opened it
    // and this node is not; never a record opened by this node's own party.
    // The others are ignored, with the reason, into the result. A notice
    // about a record not held here is kept, to judge it if it arrives later.
    Status ApplyScopeExits(const std::vector<ScopeExit>& exits);
    // Moves the cursor of the peer's log forward (never back), or, with
    // `restart`, to exactly `new_inbound_cursor`: the peer's log was found
    // shorter than where this node had read it (restored from a backup).
    Status SetCursor(uint64_t new_inbound_cursor, bool restart = false);
    // Bundles, applied a chunk per batch (docs/bundle-format.md). Claims chunk
    // `index` (from 0) of the bundle whose checksum is `checksum_hex`: false
    // when an earlier transaction applied it (drop this batch, skip the
    // chunk); true after recording, in this batch's transaction, that chunks
    // 0..index are in, so that a crash after Commit resumes after it.
    Result<bool> ClaimBundleChunk(std::string_view checksum_hex, uint64_t index);
    // The whole bundle is in: forgets its progress, so a replay re-applies
    // every chunk (and changes nothing).
    Status FinishBundle(std::string_view checksum_hex);
    // Purges again any record purged before whose states came back in this
    // batch while this node's party may still not hold it; commits; and
    // after a purge empties the WAL (PRAGMA wal_checkpoint(TRUNCATE)).
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
    VersionVector knowledge_;                      // this node's, as the batch raises it
    std::map<std::string, uint64_t> proven_high_;  // origin -> highest proven counter (memo)
    std::map<std::string, uint64_t> refused_low_;  // origin -> lowest refused counter
    std::set<std::string> returned_;  // records purged before that states came back for
    // Records this batch created, with the fields it merged into them since:
    // a field not merged yet has no live version to read (most of a first
    // sync's states), so its merge skips that read.
    std::map<std::string, std::set<std::string>> created_here_;
    // Purges what arrived after it left this node's scope (see Commit). A
    // record purged here before, or one a peer entitled to say so said left
    // before it arrived, stays only with a change of its scope fields that
    // nobody had told this node of, and only if this node's party may then
    // hold it; a record hanging off another stays only if this node's party
    // may hold it.
    Status PurgeReturned();
    Result<uint64_t> ProvenHigh(const std::string& origin);
    // Whether a unit of `origin` named by `counter` is within the bounds a
    // state's own counter must keep (beyond any real counter, or far beyond
    // what is held of that origin, it is not).
    bool UnitWithinBounds(const std::string& origin, uint64_t counter) const;
    std::set<UnitKey> units_out_of_bounds_;  // seals AddProofs did not keep
    // The lowest write of `origin` this node refused (in this batch or
    // recorded earlier), or 0.
    Result<uint64_t> LowestRefused(const std::string& origin);
    Status Refuse(const FieldVersion& state, std::string reason);
    // Why the store will not take a proven state, or "" if it will.
    Result<std::string> CheckBounds(const FieldVersion& state);
  };
  Result<std::unique_ptr<RemoteBatch>> BeginRemoteBatch(const std::string& from_peer);
  // How many leading chunks of the bundle `checksum_hex` an interrupted apply
  // committed: 0 when none, or when the bundle was applied whole.
  Result<uint64_t> BundleChunksApplied(std::string_view checksum_hex);

  // What this node knows of peer node `peer_id` (defaults if never in contact).
  Result<PeerInfo> GetPeer(std::string_view peer_id);
  // Records what a peer node holds and that it was reached now.
  Status RecordPeerContact(std::string_view peer_id, const VersionVector& their_knowledge);

  // ---- Attachments (core/attachments.cc, docs/attachments.md).
  // Files are kept by SHA-256 under attachments_dir(): "<node dir>/attachments"
  // for a node database named accord.db, else "<database path>.attachments".
  const std::string& attachments_dir() const { return files_->dir(); }
  uint64_t max_attachment_bytes() const { return options_.max_attachment_bytes; }
  // Copies the file in (refused over max_attachment_bytes) and writes an
  // attachment record for it on `owner_id` (a case_attachment when the
  // owner is personal), one local write. The same bytes are stored once.
  // Refuses a file that is one of `protected_paths` (the node's database,
  // keys, node directory: core/protected_paths.h) or one of its stored files.
  Result<AttachmentInfo> Attach(const NewAttachment& attachment,
                                const std::vector<std::string>& protected_paths = {});
  // The live attachments of a record, by file name, each with whether its
  // file is held here; those this node cannot read (locked) are left out.
  Result<std::vector<AttachmentInfo>> Attachments(std::string_view record_id);
  // One attachment record. kNotFound when there is none (or it is deleted);
  // kInvalidArgument when the record is not an attachment.
  Result<AttachmentInfo> Attachment(std::string_view attachment_id);
  // Every live attachment record this node can read.
  Result<std::vector<AttachmentInfo>> AllAttachments();
  // Whether node `peer` may hold the record, by the sharing policy and the
  // party this node knows it to be of (docs/sharing.md).
  Result<bool> PeerMayHold(std::string_view record_id, std::string_view peer);
  // Takes bytes of the attachment's file from `offset` (AttachmentFiles::
  // Receive), refusing a file over max_attachment_bytes; returns the bytes
  // now held.
  Result<uint64_t> ReceiveAttachment(const AttachmentInfo& attachment, uint64_t offset,
                                     std::string_view bytes);
  // Up to `max` bytes of a held file from `offset`.
  // Not checked against the SHA-256 here: pieces are checked whole by
  // whoever receives them (AttachmentFiles::Receive).
  Result<std::string> ReadAttachment(const AttachmentInfo& attachment, uint64_t offset, size_t max);
  // The whole file (a download), only when its bytes still match the
  // record's SHA-256; kCorruption when the stored file changed on disk.
  Result<std::string> ReadWholeAttachment(const AttachmentInfo& attachment);
  // After a purge (a record that left this node's scope, with what hangs off
  // it): removes the stored files and partials no live attachment record
  // references any more, so a purged case's scans do not stay on disk.
  // Returns how many; does nothing while personal data is locked (the names
  // of sealed files cannot be told). Not while an Attach runs elsewhere: it
  // stores the file just before its record.
  Result<size_t> SweepAttachmentFiles();
  // On an encrypted, unlocked node: seals the clear files of personal
  // attachments (stored before `accord encrypt`) and removes the clear
  // copies. Returns how many.
  Result<int64_t> SealAttachmentFiles();
  // The stored names of the files that live attachment records reference:
  // of every type, or of the shared types only (`with_personal` false).
  Result<std::set<std::string>> AttachmentFilesInUse(bool with_personal);
  // Writes the attachment's file to `out` (exclusive, owner-only).
  Status SaveAttachment(std::string_view attachment_id, const std::string& out,
                        const std::vector<std::string>& protected_paths);

  // ---- The address book: peers by name, over the same connection.
  PeerBook& peers() { return *peers_; }

 private:
  class LocalWriter;
  friend class LocalWriter;
  friend class RemoteBatch;
  friend class testing::StoreTestAccess;

  Store(std::unique_ptr<Database> db, std::string node_id, StoreOptions options);
  Result<std::vector<StoredVersion>> LiveVersions(std::string_view record_id,
                                                  std::string_view field);
  Result<std::optional<std::string>> RecordType(std::string_view record_id);
  // Records (node, party, learned_at) in node_parties, replacing what was known.
  static constexpr const char* kUpsertNodePartySql =
      "INSERT INTO node_parties(node, party, learned_at) VALUES(?, ?, ?) ON CONFLICT(node) DO "
      "UPDATE SET party = excluded.party, learned_at = excluded.learned_at";
  // Scopes computed while reading: a record's parents are shared.
  using ScopeCache = std::map<std::string, RecordScope, std::less<>>;
  // The scopes judged while what decides them did not change, kept from page
  // to page of a sync (and for the knowledge cap after its last page).
  // Emptied when this connection writes a version, a record's deleted flag
  // or a node's party (ScopeInputsChanged), when another connection commits
  // anything, and when full.
  // REQUIRES: a transaction is open, so the check and the reads agree.
  Result<ScopeCache*> UnchangedScopes();
  void ScopeInputsChanged() { ++scope_inputs_version_; }
  Result<RecordScope> ScopeOfCached(std::string_view record_id, ScopeCache& cache, int depth);
  // The same under `policy` (a reader's older version).
  Result<RecordScope> ScopeUnder(const SharingPolicy& policy, std::string_view record_id,
                                 ScopeCache& cache, int depth);
  // The scope as kept in `cache` (judged and kept there when missing): what a
  // sync reads for every state it sends, without a copy. `known_type`, when
  // the caller read it with the record, saves reading it again. The pointer
  // holds until `cache` is cleared.
  Result<const RecordScope*> CachedScopeUnder(const SharingPolicy& policy,
                                              std::string_view record_id, ScopeCache& cache,
                                              int depth, std::string_view known_type = {});
  // The current sharing policy, as of the last RefreshPolicy.
  const SharingPolicy& policy() const { return *policy_; }
  // Reloads the current policy when another connection (or this one)
  // installed a newer one; scopes judged before are then stale. Called at
  // the start of every call that judges scopes.
  Status RefreshPolicy();
  // The policy `reader` judges with when it is not the current one and is
  // held here; nullptr otherwise.
  Result<const SharingPolicy*> ReaderPolicy(const PageReader& reader);
  // `possible`, when given, receives the parties the opener may be of.
  Result<std::string> OwnerPartyOf(std::string_view record_id, const TypeSpec* type,
                                   std::set<std::string>* possible = nullptr);
  // The same among versions already read (`field`: the opening field, "" for
  // any).
  Result<std::string> OwnerPartyAmong(const std::vector<ScopeRow>& rows, const std::string& field,
                                      std::set<std::string>* possible);
  Result<bool> MayReceive(std::string_view record_id, const PageReader& reader, ScopeCache& cache,
                          std::string_view known_type = {});
  // A shortcut to MayReceive being true: the party that opened a root
  // record may always hold it, and who opened it is in the opening field's
  // versions alone (one row, no value read, no rule). nullopt when the
  // shortcut does not apply (not a root, a reader of no party or of an older
  // policy), without a lookup.
  Result<std::optional<bool>> OpenedByReaderParty(std::string_view record_id,
                                                  const PageReader& reader,
                                                  std::string_view known_type);
  // The shortcut as one read of the log uses it: each record asked once,
  // and only while it pays off (a reader of another party would pay for the
  // shortcut and the judgement both).
  struct OwnerShortcut {
    std::string party;  // the readers it is for, and their policy version
    int policy_version = 0;
    // Hashed: looked up for every row a scan reads.
    std::unordered_set<std::string, TransparentStringHash, std::equal_to<>> opened;
    int64_t hits = 0, misses = 0;
  };
  // Kept from page to page like the scopes (UnchangedScopes), for readers
  // of one party and policy version at a time.
  OwnerShortcut& OwnerShortcutFor(const PageReader& reader);
  Result<bool> OpenedByReaderPartyOnce(std::string_view record_id, const PageReader& reader,
                                       std::string_view known_type, const ScopeCache& cache,
                                       OwnerShortcut& shortcut);
  // Whether `reader` may hold the root record (docs/sharing.md, "Leaving a
  // scope"): it wrote or sent a version of it, or this node once let its
  // party hold it (its scope, judged on the versions of its scope fields
  // stored here up to each of their changes, allowed that party). Fills
  // `scope_version` (ScopeExit::scope_version). REQUIRES: the record is held
  // back from the reader (so its party is not the owner's).
  Result<bool> ReaderMayHold(const std::string& record_id, const std::string& type,
                             const PageReader& reader, ScopeCache& cache,
                             VersionVector& scope_version);
  // Adds to `page.left_scope` the record of a state read for `reader`, when
  // the state's field is a scope field of a root record held back from the
  // reader and the reader may hold the record (docs/sharing.md, "Leaving a
  // scope"). `judged` holds the records already judged for this page.
  Status NoteScopeExit(const std::string& record_id, const std::string& record_type,
                       const std::string& field, const PageReader& reader, ScopeCache& cache,
                       std::set<std::string>& judged, ChangePage& page);
  // The join of the vectors of every version of the record's scope fields
  // held here (ScopeExit::scope_version).
  Result<VersionVector> ScopeFieldsVector(const std::string& record_id, const std::string& type);
  // The records whose ref (one the policy follows) names `parent` in its
  // provisional value: (id, type, ref field).
  struct Follower {
    std::string id;
    std::string type;
    std::string ref;
  };
  Result<std::vector<Follower>> FollowersOf(const std::string& parent);
  // Removes the record and what hangs off it (by the refs its scope follows)
  // from every table that holds their values or bytes, in the open write
  // transaction, and keeps an entry for each in purged_records.
  // `told` joins what the notice said the sender held (ScopeExit::scope_version).
  // `with_followers` false (a purge order) removes the record alone, and
  // needs no value of it (a locked node can).
  Status Purge(const std::string& record_id, const std::string& notice_from,
               const std::string& reason, int64_t now, std::vector<PurgedRecord>& purged,
               const VersionVector& told = {}, bool with_followers = true);
  // The record a follower takes its scope from: the first of its refs whose
  // value names a record held here, as ScopeOfCached judges it ("" if none).
  Result<std::string> ScopeParent(const std::string& record_id, const std::string& type);
  // This node's lowest write above `known` among those it purged with a
  // record it does not hold again (0: none). Like a write held back, it caps
  // the knowledge vouched: no reader may believe it holds a write that
  // nobody can send it any more from here.
  Result<uint64_t> LowestPurgedOwnWrite(uint64_t known);
  // In the open write transaction: rewrites the full-text index (if any)
  // without what was deleted from it, so that no fragment of a purged value
  // stays in its old segments (FTS5 only marks deletions until it merges).
  Status ScrubSearchIndex();
  // Copies the WAL into the database file and truncates it to nothing, so
  // that no page of a purged record stays in it. kUnavailable when another
  // connection's read kept part of it.
  Status EmptyWalAfterPurge();
  // Tombstone collection helpers (core/purge_collection.cc): the sequence
  // this node's next order takes; whether an order's sequence is covered by
  // the collected frontier (it was collected here); kPermissionDenied when
  // another record's order holds the same issuer and sequence.
  Result<uint64_t> NextOwnPurgeSequence();
  Result<bool> PurgeOrderCollected(const PurgeOrder& order);
  Status CheckPurgeSequence(const PurgeOrder& order);
  // This node's lowest write above `known` held back from `reader` (0: none).
  Result<uint64_t> LowestOwnWriteHeldBack(const PageReader& reader, uint64_t known,
                                          ScopeCache& cache, OwnerShortcut& shortcut);
  // Every live state of `record_id` and of what hangs off it that `reader`
  // may hold, not yet in the page (`sent`), whatever the reader's knowledge
  // says: a record just brought into scope, which the reader may have
  // purged when it left. Nothing when the scan after `cursor` sends all of
  // the record anyway.
  Status AppendBackfill(std::string_view record_id, uint64_t cursor,
                        const VersionVector& peer_knowledge, const PageReader& reader,
                        ScopeCache& cache, const std::set<uint64_t>& sent, uint64_t current_seq,
                        ChangePage& page, std::vector<uint64_t>& seqs);
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
  // Opens the conflict on (record, field) with its current `id`, or updates
  // the id of the open one; `newly_opened` says which.
  Status OpenConflict(std::string_view record_id, std::string_view field, std::string_view id,
                      int64_t now, bool* newly_opened);
  Status CloseConflict(std::string_view record_id, std::string_view field);
  Result<RecordView> BuildView(std::string_view id, std::string_view type, bool deleted);
  // EncryptPersonalData's transaction, also writing `extra_meta` rows in it.
  Result<EncryptionReport> SealPersonalData(
      std::shared_ptr<const DataKey> key, const std::vector<std::string>& also_personal,
      const std::vector<std::pair<std::string, std::string>>& extra_meta);
  // Reads meta.revocation_lock into revocation_lock_ and locks cipher_ (Open).
  Status LoadRevocationLock();

  Result<AttachmentInfo> AttachmentFromView(const RecordView& view);

  std::unique_ptr<Database> db_;
  // Copies the WAL into the file while this connection applies remote
  // batches (core/wal_checkpointer.h); declared after db_, so released
  // before it closes: the last connection to close copies what is left.
  std::shared_ptr<WalCheckpointer> checkpointer_;
  // Hands this connection's checkpoints to the thread (BeginRemoteBatch).
  Status CheckpointInBackground();
  // Holds the process's checkpointer of this file off while this connection
  // runs a TRUNCATE checkpoint (none running: an empty lock).
  std::unique_lock<std::mutex> HoldOffBackgroundCheckpoints();
  std::unique_ptr<PeerBook> peers_;
  std::unique_ptr<AttachmentFiles> files_;
  std::string node_id_;
  std::string acting_user_;   // ActAs
  WriteSealer write_sealer_;  // SealWritesAsMade
  Status last_seal_failure_ = Status::Ok();
  // Runs the write sealer, if any, after a local write committed.
  void SealAfterWrite();
  // The author a local write carries: "" on a node without users, else the
  // acting user, who must exist, be enabled and hold `right`.
  // REQUIRES: the write's transaction is open.
  Result<std::string> AuthorFor(std::string_view right);
  StoreOptions options_;
  // Seals and opens the cells of personal data; every read and write of
  // versions.value, note and wire goes through it.
  CellCipher cipher_;
  std::optional<RevocationLock> revocation_lock_;
  bool applies_remote_batches_ = false;  // checkpoints handed to a thread (below)
  // The parties PartyOf found while one ReadChanges runs (one read
  // transaction: they cannot change under it); null otherwise. A scan asked
  // for the opener's party of every record it judged.
  std::map<std::string, std::optional<std::string>, std::less<>>* parties_in_read_ = nullptr;
  ScopeCache unchanged_scopes_;
  OwnerShortcut owner_shortcut_;  // emptied with unchanged_scopes_
  // A record's live versions as AppendBackfill asks of them, noted when its
  // scope was judged into unchanged_scopes_ from the same rows, and emptied
  // with it: a pull for a reader of another party asked it again, in a
  // query of its own, for every case's scope field.
  std::unordered_map<std::string, LiveVersionsSeen, TransparentStringHash, std::equal_to<>>
      live_versions_seen_;
  int64_t scope_inputs_version_ = 0;
  std::pair<int64_t, int64_t> unchanged_scopes_at_{-1, -1};  // (inputs version, data_version)
  std::shared_ptr<const SharingPolicy> policy_;              // the current one
  // Older versions readers judge with, loaded on demand (a version's text
  // never changes), and the scopes judged under each, kept and emptied
  // with unchanged_scopes_.
  std::map<int, std::shared_ptr<const SharingPolicy>> older_policies_;
  std::map<int, ScopeCache> older_policy_scopes_;
};

}  // namespace accord
