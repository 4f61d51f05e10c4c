#include "core/migrations.h"

#include <array>
#include <string>
#include <vector>

#include "core/conflict_id.h"
#include "core/schema.h"
#include "core/version_vector.h"

namespace accord {

namespace {

// What a migration step cannot say in SQL.
using MigrationCode = Status (*)(Database& db);

struct Migration {
  const char* sql;
  MigrationCode then = nullptr;  // runs after `sql`, in the same transaction
};

// Names every open conflict by its live versions (core/conflict_id.h).
Status NameOpenConflicts(Database& db) {
  std::vector<std::pair<std::string, std::string>> open;
  ASSIGN_OR_RETURN(Statement * list, db.Prepare("SELECT record_id, field FROM conflicts"));
  while (true) {
    ASSIGN_OR_RETURN(bool row, list->Step());
    if (!row) break;
    open.emplace_back(list->Text(0), list->Text(1));
  }
  list->Reset();
  ASSIGN_OR_RETURN(Statement * name,
                   db.Prepare("UPDATE conflicts SET id = ? WHERE record_id = ? AND field = ?"));
  for (const auto& [record_id, field] : open) {
    ASSIGN_OR_RETURN(std::string id, ComputeConflictId(db, record_id, field));
    RETURN_IF_ERROR(name->Bind(1, id).Bind(2, record_id).Bind(3, field).Run());
  }
  return Status::Ok();
}

// versions.origin_counter, added in layout 4: the write's counter, read off
// its vector (version[origin]).
Status FillOriginCounters(Database& db) {
  ASSIGN_OR_RETURN(Statement * list, db.Prepare("SELECT seq, vv, origin FROM versions"));
  std::vector<std::pair<int64_t, uint64_t>> counters;
  while (true) {
    ASSIGN_OR_RETURN(bool row, list->Step());
    if (!row) break;
    auto vv = VersionVector::FromText(list->Text(1));
    if (!vv.ok()) {
      list->Reset();
      return vv.status();
    }
    counters.emplace_back(list->Int(0), vv->Get(list->Text(2)));
  }
  list->Reset();
  ASSIGN_OR_RETURN(Statement * set,
                   db.Prepare("UPDATE versions SET origin_counter = ? WHERE seq = ?"));
  for (const auto& [seq, counter] : counters) {
    RETURN_IF_ERROR(set->Bind(1, static_cast<int64_t>(counter)).Bind(2, seq).Run());
  }
  return Status::Ok();
}

// Entry i moves the database from layout version i to i+1. Never edit a
// shipped entry (databases in the field were made by it): append a new one,
// and document the layout in docs/schema.md.
const std::array<Migration, kDatabaseVersion> kMigrations = {{
    // 0 -> 1: the initial layout.
    {R"sql(
    CREATE TABLE meta(
      key TEXT PRIMARY KEY,
      value TEXT NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE records(
      id TEXT PRIMARY KEY,
      type TEXT NOT NULL,
      deleted INTEGER NOT NULL DEFAULT 0,        -- derived: tombstone has seen every edit
      has_tombstone INTEGER NOT NULL DEFAULT 0,  -- derived: a live _deleted = 1 exists
      created_at INTEGER NOT NULL                -- local time of first sight
    ) WITHOUT ROWID;
    CREATE INDEX records_by_type ON records(type, id);

    -- The change log and the history: one row per version ever stored.
    -- state: 0 superseded, 1 live (conflicting sibling), 2 live provisional winner.
    CREATE TABLE versions(
      seq INTEGER PRIMARY KEY,
      record_id TEXT NOT NULL,
      field TEXT NOT NULL,
      value TEXT,
      vv TEXT NOT NULL,
      origin TEXT NOT NULL,
      origin_time INTEGER NOT NULL,
      note TEXT NOT NULL DEFAULT '',
      state INTEGER NOT NULL,
      received_at INTEGER NOT NULL,
      received_from TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX versions_by_field ON versions(record_id, field, state);

    CREATE TABLE knowledge(
      node TEXT PRIMARY KEY,
      counter INTEGER NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE conflicts(
      record_id TEXT NOT NULL,
      field TEXT NOT NULL,
      detected_at INTEGER NOT NULL,
      PRIMARY KEY(record_id, field)
    ) WITHOUT ROWID;

    -- The address book: peers this node syncs with by name.
    CREATE TABLE peers(
      name TEXT PRIMARY KEY,
      url TEXT NOT NULL,
      peer_id TEXT NOT NULL DEFAULT ''  -- learnt at first contact
    ) WITHOUT ROWID;

    -- What this node knows of each peer node, whichever side started the sync.
    CREATE TABLE peer_state(
      peer_id TEXT PRIMARY KEY,
      inbound_cursor INTEGER NOT NULL DEFAULT 0,  -- how far into its log we have applied
      their_knowledge TEXT NOT NULL DEFAULT '',   -- what it held at last contact
      last_contact_at INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID;
    )sql"},

    // 1 -> 2: conflicts are found by id and listed in pages without being rebuilt.
    {R"sql(
    ALTER TABLE conflicts ADD COLUMN id TEXT NOT NULL DEFAULT '';
    CREATE INDEX conflicts_by_id ON conflicts(id);
    CREATE INDEX conflicts_in_order ON conflicts(detected_at, record_id, field);
    -- has_tombstone now says what version 1 documented: some live tombstone
    -- says 1 (a restore concurrent with a delete included).
    UPDATE records SET has_tombstone = EXISTS(
      SELECT 1 FROM versions v WHERE v.record_id = records.id AND v.field = '_deleted'
      AND v.state > 0 AND v.value = '1');
    )sql",
     NameOpenConflicts},

    // 2 -> 3: bundles are applied a chunk per transaction and resume after a crash.
    {R"sql(
    CREATE TABLE bundle_progress(
      checksum TEXT PRIMARY KEY,        -- hex SHA-256 of the bundle (its checksum field)
      sender TEXT NOT NULL,             -- the node that wrote it
      chunks_applied INTEGER NOT NULL,  -- its first chunks_applied chunks are in
      updated_at INTEGER NOT NULL       -- local time of the last chunk
    ) WITHOUT ROWID;
    )sql"},

    // 3 -> 4: signed origins. Each version keeps the bytes its origin signed
    // and its place in a signing unit; the units' seals and the certificates
    // that signed them are kept to prove them on. States a node cannot take
    // are recorded, for its log and for the peer that sent them.
    {R"sql(
    ALTER TABLE versions ADD COLUMN origin_counter INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE versions ADD COLUMN salt BLOB;
    ALTER TABLE versions ADD COLUMN unit INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE versions ADD COLUMN unit_position INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE versions ADD COLUMN wire BLOB;
    CREATE INDEX versions_unsealed ON versions(origin_counter, seq) WHERE wire IS NULL;

    CREATE TABLE unit_seals(
      origin TEXT NOT NULL,
      counter INTEGER NOT NULL,
      unit INTEGER NOT NULL,
      key_id BLOB NOT NULL,     -- SHA-256 of the signing certificate's public key
      signature BLOB NOT NULL,
      hashes BLOB NOT NULL,     -- SHA-256 of each member's bytes, 32 bytes each, in order
      PRIMARY KEY(origin, counter, unit)
    ) WITHOUT ROWID;

    CREATE TABLE origin_certificates(
      node TEXT NOT NULL,
      key_id BLOB NOT NULL,
      pem TEXT NOT NULL,
      PRIMARY KEY(node, key_id)
    ) WITHOUT ROWID;

    CREATE TABLE refusals(
      id INTEGER PRIMARY KEY,
      at INTEGER NOT NULL,           -- local time
      direction TEXT NOT NULL,       -- 'received': this node refused it; 'sent': the peer did
      peer TEXT NOT NULL,
      record_id TEXT NOT NULL,
      field TEXT NOT NULL,
      origin TEXT NOT NULL,
      counter INTEGER NOT NULL,
      reason TEXT NOT NULL
    );
    CREATE INDEX refusals_by_time ON refusals(at);
    CREATE INDEX refusals_received ON refusals(origin, counter) WHERE direction = 'received';
    )sql",
     FillOriginCounters},
    // 4 -> 5: sharing scopes. The party each known node's certificate names.
    {R"sql(
    CREATE TABLE node_parties(
      node TEXT PRIMARY KEY,
      party TEXT NOT NULL,          -- '' for a certificate that names none
      learned_at INTEGER NOT NULL   -- local time
    ) WITHOUT ROWID;
    -- The records hanging off one (by the refs the sharing policy follows):
    -- found when a record comes into a reader's scope.
    CREATE INDEX versions_by_plan ON versions(value) WHERE state = 2 AND field = 'plan';
    CREATE INDEX versions_by_objective ON versions(value) WHERE state = 2 AND field = 'objective';
    CREATE INDEX versions_by_related_plan ON versions(value)
      WHERE state = 2 AND field = 'related_plan';
    CREATE INDEX versions_by_meeting ON versions(value) WHERE state = 2 AND field = 'meeting';
    CREATE INDEX versions_by_case ON versions(value) WHERE state = 2 AND field = 'case';
    -- A node's own live writes in counter order: the first one held back
    -- from a reader caps the knowledge vouched to it.
    CREATE INDEX versions_live_by_origin ON versions(origin, origin_counter) WHERE state > 0;
    )sql",
     nullptr},
    // 5 -> 6: a signing unit spans consecutive writes of its origin and is
    // named by its last member's counter, which a state keeps here when it
    // is not the state's own (0). A sealed version keeps its signed bytes
    // only when its columns do not re-serialise to them, so a write waits
    // for its seal while it has no salt.
    {R"sql(
    ALTER TABLE versions ADD COLUMN unit_counter INTEGER NOT NULL DEFAULT 0;
    DROP INDEX versions_unsealed;
    CREATE INDEX versions_unsealed ON versions(origin_counter, seq) WHERE salt IS NULL;
    )sql",
     nullptr},
    // 6 -> 7: leaving a scope. What this node purged because it left its
    // scope: that it held the record and when it was purged, never a value.
    {R"sql(
    CREATE TABLE purged_records(
      id INTEGER PRIMARY KEY,
      record_id TEXT NOT NULL,
      type TEXT NOT NULL,
      purged_at INTEGER NOT NULL,    -- local time
      notice_from TEXT NOT NULL,     -- the peer whose notice (or states) it acted on
      reason TEXT NOT NULL,
      owner_party TEXT NOT NULL,     -- the party of the office that opened it ('' unknown)
      held_vv TEXT NOT NULL,         -- the join of the vectors of every version purged
      own_counter INTEGER NOT NULL   -- this node's lowest live write among them; 0 if none
    );
    CREATE INDEX purged_records_by_record ON purged_records(record_id);
    -- Notices that a record left this node's scope, received while it did
    -- not hold the record: if a copy arrives later, they judge it.
    CREATE TABLE heard_scope_exits(
      record_id TEXT NOT NULL,
      notice_from TEXT NOT NULL,
      scope_vv TEXT NOT NULL,        -- what the sender held of its scope fields
      heard_at INTEGER NOT NULL,     -- local time
      PRIMARY KEY(record_id, notice_from)
    ) WITHOUT ROWID;
    )sql",
     nullptr},
    // 7 -> 8: a deployment replaces the sharing policy with versions its CA
    // signs. Every version taken is kept (a peer may still judge with an
    // older one); the highest is current. Version 1 is built in, never here.
    {R"sql(
    CREATE TABLE sharing_policies(
      version INTEGER PRIMARY KEY,
      signed TEXT NOT NULL,          -- the signed document, byte for byte
      policy TEXT NOT NULL,          -- the policy it carries, as JSON
      signer TEXT NOT NULL,          -- the subject of the CA certificate that signed it
      key_id TEXT NOT NULL,          -- hex SHA-256 of that certificate's public key
      source TEXT NOT NULL,          -- 'installed', 'sync with NODE', 'bundle from NODE'
      installed_at INTEGER NOT NULL  -- local time
    );
    -- The policy version each peer last announced; 0: never (version 1).
    ALTER TABLE peer_state ADD COLUMN policy_version INTEGER NOT NULL DEFAULT 0;
    )sql",
     nullptr},
    // 8 -> 9: office users (docs/users.md). Per node, never synced; a
    // version's author is the user its origin signed with it ('' none).
    {R"sql(
    CREATE TABLE users(
      name TEXT PRIMARY KEY,               -- e.g. sokha.kh
      display_name TEXT NOT NULL,          -- any language
      password_hash TEXT NOT NULL,         -- Argon2id string, $argon2id$...
      rights TEXT NOT NULL,                -- sorted, comma-separated: admin,purge,resolve,write
      disabled INTEGER NOT NULL DEFAULT 0,
      disabled_at INTEGER NOT NULL DEFAULT 0,
      disabled_by TEXT NOT NULL DEFAULT '',
      created_at INTEGER NOT NULL,
      created_by TEXT NOT NULL DEFAULT ''  -- the admin who added it; '' for the first
    );
    ALTER TABLE versions ADD COLUMN author TEXT NOT NULL DEFAULT '';
    )sql",
     nullptr},
    // 9 -> 10: purge orders (docs/security.md, "Purge orders"). The order
    // that erased a record, kept as its tombstone (never a value of it), and
    // which peers are known to hold each order.
    {R"sql(
    CREATE TABLE purge_orders(
      record_id TEXT PRIMARY KEY,
      type TEXT NOT NULL,
      issuer TEXT NOT NULL,          -- the node that issued and signed it
      user TEXT NOT NULL,            -- the office user who ordered it there ('' none)
      issued_at INTEGER NOT NULL,    -- the issuer's clock
      reason TEXT NOT NULL,
      signed BLOB NOT NULL,          -- the signed order, byte for byte, to pass on
      received_from TEXT NOT NULL,   -- '' when issued here
      taken_at INTEGER NOT NULL      -- local time
    ) WITHOUT ROWID;
    CREATE TABLE purge_order_peers(
      record_id TEXT NOT NULL,
      peer TEXT NOT NULL,
      PRIMARY KEY(record_id, peer)
    ) WITHOUT ROWID;
)sql",
     nullptr},
    // 10 -> 11: retention (docs/sharing.md, "Retention"). A superseded version
    // of personal data whose value was pruned keeps its row without value,
    // note or signed bytes: its vector, origin and times still say who
    // opened the record and who held it. 0: not pruned.
    {R"sql(
    ALTER TABLE versions ADD COLUMN pruned_at INTEGER NOT NULL DEFAULT 0;
    )sql",
     nullptr},
    // 11 -> 12: collecting tombstones (docs/security.md, "Collecting
    // tombstones"). Orders get their issuer's sequence (0: issued before,
    // never collected); nodes' signed acknowledgements are kept and passed
    // on; the nodes this node exchanged data with are remembered; what was
    // collected shrinks to a frontier per issuer and an audit line per order.
    {R"sql(
    ALTER TABLE purge_orders ADD COLUMN sequence INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE purge_acks(
      record_id TEXT NOT NULL,
      acker TEXT NOT NULL,
      known_nodes TEXT NOT NULL,     -- the nodes it knew of, one per line
      acked_at INTEGER NOT NULL,     -- the acker's clock
      signed BLOB NOT NULL,          -- the signed acknowledgement, to pass on
      PRIMARY KEY(record_id, acker)
    ) WITHOUT ROWID;
    CREATE TABLE purge_ack_peers(
      record_id TEXT NOT NULL,
      acker TEXT NOT NULL,
      peer TEXT NOT NULL,
      PRIMARY KEY(record_id, acker, peer)
    ) WITHOUT ROWID;
    CREATE TABLE known_nodes(
      node TEXT PRIMARY KEY,
      first_seen INTEGER NOT NULL
    ) WITHOUT ROWID;
    INSERT OR IGNORE INTO known_nodes(node, first_seen)
      SELECT peer_id, 0 FROM peer_state UNION SELECT node, 0 FROM node_parties
      UNION SELECT sender, 0 FROM bundle_progress UNION SELECT node, 0 FROM knowledge;
    CREATE TABLE purge_collected(
      issuer TEXT PRIMARY KEY,
      sequence INTEGER NOT NULL      -- every order of issuer up to here is collected
    ) WITHOUT ROWID;
    CREATE TABLE collected_purge_orders(
      issuer TEXT NOT NULL,
      sequence INTEGER NOT NULL,
      record_id TEXT NOT NULL,
      type TEXT NOT NULL,
      user TEXT NOT NULL,
      issued_at INTEGER NOT NULL,
      reason TEXT NOT NULL,
      collected_at INTEGER NOT NULL,  -- local time; 0: covered by a frontier adopted from a peer
      PRIMARY KEY(issuer, sequence)
    ) WITHOUT ROWID;
    )sql",
     nullptr},
}};

std::string QuoteIdentifier(const std::string& name) {
  return "\"" + name + "\"";
}

std::string QuoteLiteral(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

}  // namespace

Status RebuildViews(Database& db) {
  for (const TypeSpec& type : Schema::Get().types()) {
    std::string sql = "DROP VIEW IF EXISTS " + QuoteIdentifier(type.view) + ";\nCREATE VIEW " +
                      QuoteIdentifier(type.view) + " AS SELECT r.id AS id";
    for (const FieldSpec& field : type.fields) {
      sql += ",\n  (SELECT v.value FROM versions v WHERE v.record_id = r.id AND v.field = " +
             QuoteLiteral(field.name) + " AND v.state = 2) AS " + QuoteIdentifier(field.name);
    }
    sql += "\nFROM records r WHERE r.type = " + QuoteLiteral(type.name) + " AND r.deleted = 0;";
    RETURN_IF_ERROR(db.Exec(sql));
  }
  return Status::Ok();
}

namespace {

Result<int> ReadLayoutVersion(Database& db) {
  ASSIGN_OR_RETURN(Statement * stmt, db.Prepare("PRAGMA user_version"));
  ASSIGN_OR_RETURN(bool has_row, stmt->Step());
  int version = has_row ? static_cast<int>(stmt->Int(0)) : 0;
  stmt->Reset();
  if (version > kDatabaseVersion) {
    return IncompatibleVersion("the database has layout version " + std::to_string(version) +
                               " but this accord only knows up to " +
                               std::to_string(kDatabaseVersion) + "; upgrade accord");
  }
  return version;
}

// The schema registry version the views were built for ("" before any).
Result<std::string> ReadViewsVersion(Database& db) {
  ASSIGN_OR_RETURN(Statement * get,
                   db.Prepare("SELECT value FROM meta WHERE key = 'schema_version'"));
  ASSIGN_OR_RETURN(bool found, get->Step());
  std::string stored = found ? get->Text(0) : "";
  get->Reset();
  return stored;
}

}  // namespace

Status MigrateDatabase(Database& db) {
  const std::string schema_version = std::to_string(Schema::Get().version());
  // Plain reads first: a current database (the usual case) opens without the
  // write lock, so `accord get` never queues behind a long apply.
  ASSIGN_OR_RETURN(int current, ReadLayoutVersion(db));
  if (current == kDatabaseVersion) {
    ASSIGN_OR_RETURN(std::string views, ReadViewsVersion(db));
    if (views == schema_version) return Status::Ok();
  }
  ASSIGN_OR_RETURN(auto txn, Transaction::Begin(db, Transaction::Mode::kWrite));
  // Another process may have migrated while this one waited for the lock.
  ASSIGN_OR_RETURN(current, ReadLayoutVersion(db));
  for (int v = current; v < kDatabaseVersion; ++v) {
    std::string where = "migrating the database to layout version " + std::to_string(v + 1) + ": ";
    RETURN_IF_ERROR(db.Exec(kMigrations[v].sql).WithContext(where));
    if (kMigrations[v].then) RETURN_IF_ERROR(kMigrations[v].then(db).WithContext(where));
  }
  if (current < kDatabaseVersion) {
    RETURN_IF_ERROR(db.Exec("PRAGMA user_version = " + std::to_string(kDatabaseVersion)));
  }
  // Views follow the schema registry, which can change without a layout change.
  ASSIGN_OR_RETURN(std::string views, ReadViewsVersion(db));
  if (views != schema_version) {
    RETURN_IF_ERROR(RebuildViews(db));
    ASSIGN_OR_RETURN(
        Statement * put,
        db.Prepare("INSERT OR REPLACE INTO meta(key, value) VALUES('schema_version', ?)"));
    RETURN_IF_ERROR(put->Bind(1, schema_version).Run());
  }
  return txn->Commit();
}

}  // namespace accord
