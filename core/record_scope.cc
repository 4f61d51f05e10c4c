// Where a record may go: the sharing policy applied to this node's current
// values (docs/sharing.md).
#include <algorithm>
#include <numeric>

#include "core/store.h"

namespace accord {

namespace {

// Recursion bound for chains of records hanging off records (activity ->
// objective -> plan is 2): a cycle of refs a peer made up ends here.
constexpr int kMaxScopeDepth = 8;

}  // namespace

Status Store::RecordNodeParty(std::string_view node, std::string_view party) {
  ASSIGN_OR_RETURN(std::optional<std::string> known, PartyOf(node));
  if (known && *known == party) return Status::Ok();
  ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_, Transaction::Mode::kWrite));
  ScopeInputsChanged();
  ASSIGN_OR_RETURN(Statement * stmt, db_->Prepare(kUpsertNodePartySql));
  RETURN_IF_ERROR(stmt->Bind(1, node).Bind(2, party).Bind(3, NowMs()).Run());
  return txn->Commit();
}

Result<std::optional<std::string>> Store::PartyOf(std::string_view node) {
  if (parties_in_read_) {
    if (auto it = parties_in_read_->find(node); it != parties_in_read_->end()) return it->second;
  }
  ASSIGN_OR_RETURN(Statement * stmt, db_->Prepare("SELECT party FROM node_parties WHERE node = ?"));
  stmt->Bind(1, node);
  ASSIGN_OR_RETURN(bool found, stmt->Step());
  std::optional<std::string> party;
  if (found) party = stmt->Text(0);
  stmt->Reset();
  if (parties_in_read_) parties_in_read_->emplace(std::string(node), party);
  return party;
}

Result<std::vector<std::pair<std::string, std::string>>> Store::KnownNodeParties() {
  ASSIGN_OR_RETURN(Statement * stmt,
                   db_->Prepare("SELECT node, party FROM node_parties ORDER BY node"));
  std::vector<std::pair<std::string, std::string>> nodes;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    nodes.emplace_back(stmt->Text(0), stmt->Text(1));
  }
  stmt->Reset();
  return nodes;
}

Result<Store::ScopeCache*> Store::UnchangedScopes() {
  // About 200 bytes a scope: a bound on memory that a sync of any size keeps.
  constexpr size_t kMaxKeptScopes = 50000;
  RETURN_IF_ERROR(RefreshPolicy());
  ASSIGN_OR_RETURN(Statement * version, db_->Prepare("PRAGMA data_version"));
  ASSIGN_OR_RETURN(bool row, version->Step());
  std::pair<int64_t, int64_t> now{scope_inputs_version_, row ? version->Int(0) : -1};
  version->Reset();
  if (now != unchanged_scopes_at_ || unchanged_scopes_.size() > kMaxKeptScopes) {
    unchanged_scopes_.clear();
    live_versions_seen_.clear();
    owner_shortcut_ = {};
    older_policies_.clear();
    older_policy_scopes_.clear();
    unchanged_scopes_at_ = now;
  }
  return &unchanged_scopes_;
}

Result<RecordScope> Store::ScopeOf(std::string_view record_id) {
  ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_, Transaction::Mode::kRead));
  RETURN_IF_ERROR(RefreshPolicy());
  ScopeCache cache;
  return ScopeOfCached(record_id, cache, 0);
}

// One stored version of a record, as the scope of the record reads it.
struct ScopeRow {
  std::string field;
  std::optional<std::string> value;
  int64_t state = 0;
  std::string vv;
  std::string origin;
};

namespace {

// The first required field of a type: the one whose first version names the
// office that opened a record ("" for no type or none required).
std::string OpeningField(const TypeSpec* type) {
  if (type) {
    for (const FieldSpec& f : type->fields) {
      if (f.required) return f.name;
    }
  }
  return "";
}

}  // namespace

// The office that opened a record is the origin of the first version of its
// first required field: every later version of that field dominates it, so
// it has the fewest vector entries and the smallest sum on every node.
Result<std::string> Store::OwnerPartyOf(std::string_view record_id, const TypeSpec* type,
                                        std::set<std::string>* possible) {
  const std::string field = OpeningField(type);
  // Every version of the opening field, superseded ones too (versions_by_field).
  ASSIGN_OR_RETURN(Statement * stmt,
                   db_->Prepare(field.empty() ? "SELECT v.field, v.value, v.state, v.vv, v.origin "
                                                "FROM versions v WHERE v.record_id = ?"
                                              : "SELECT v.field, v.value, v.state, v.vv, v.origin "
                                                "FROM versions v WHERE v.record_id = ? "
                                                "AND v.field = ?"));
  stmt->Bind(1, record_id);
  if (!field.empty()) stmt->Bind(2, field);
  std::vector<ScopeRow> rows;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    std::string f = stmt->Text(0);
    // The opener is judged from vectors and origins: no value is read (nor
    // opened, on an encrypted node).
    rows.push_back({std::move(f), std::nullopt, stmt->Int(2), stmt->Text(3), stmt->Text(4)});
  }
  stmt->Reset();
  return OwnerPartyAmong(rows, field, possible);
}

Result<std::string> Store::OwnerPartyAmong(const std::vector<ScopeRow>& rows,
                                           const std::string& field,
                                           std::set<std::string>* possible) {
  const ScopeRow* first_row = nullptr;
  std::optional<std::tuple<size_t, uint64_t, std::string>> first;
  VersionVector first_vv;
  for (const ScopeRow& row : rows) {
    if (!field.empty() && row.field != field) continue;
    auto vv = VersionVector::FromText(row.vv);
    if (!vv.ok()) continue;
    uint64_t sum = 0;
    for (const auto& e : vv->entries()) sum += e.second;
    std::tuple<size_t, uint64_t, std::string> key{vv->entries().size(), sum, row.origin};
    if (!first || key < *first) {
      first = std::move(key);
      first_vv = std::move(vv).value();
      first_row = &row;
    }
  }
  if (!first) return std::string();
  // Only the opener's party is needed: one lookup, not a join on every row.
  ASSIGN_OR_RETURN(const std::optional<std::string> party, PartyOf(first_row->origin));
  if (possible && first_vv.entries().size() == 1) {
    possible->insert(party.value_or(""));  // the opening version itself
  } else if (possible) {
    // A node that received the record after that field was edited holds
    // no opening version: the opener is one of the nodes the earliest
    // version it holds has seen ("" for a node whose party is unknown).
    for (const auto& [node, counter] : first_vv.entries()) {
      ASSIGN_OR_RETURN(std::optional<std::string> p, PartyOf(node));
      possible->insert(p.value_or(""));
    }
  }
  return party.value_or("");
}

Result<RecordScope> Store::ScopeOfCached(std::string_view record_id, ScopeCache& cache, int depth) {
  return ScopeUnder(policy(), record_id, cache, depth);
}

Result<RecordScope> Store::ScopeUnder(const SharingPolicy& policy, std::string_view record_id,
                                      ScopeCache& cache, int depth) {
  ASSIGN_OR_RETURN(const RecordScope* scope, CachedScopeUnder(policy, record_id, cache, depth));
  return *scope;
}

Result<const RecordScope*> Store::CachedScopeUnder(const SharingPolicy& policy,
                                                   std::string_view record_id, ScopeCache& cache,
                                                   int depth, std::string_view known_type) {
  if (auto it = cache.find(record_id); it != cache.end()) return &it->second;
  std::optional<std::string> type_name;
  if (!known_type.empty()) {
    type_name = std::string(known_type);
  } else {
    ASSIGN_OR_RETURN(type_name, RecordType(record_id));
  }
  if (!type_name) return NotFound("no record " + std::string(record_id));
  // Kept in the cache (a record judged again, or through a cycle of refs a
  // peer made up, keeps the first judgement).
  auto keep = [&](RecordScope judged) -> const RecordScope* {
    return &cache.emplace(std::string(record_id), std::move(judged)).first->second;
  };
  const TypeSpec* type = Schema::Get().FindType(*type_name);

  // Every version of the record, read once when the rule first needs one:
  // the winners, the live values and the opening version all come from it.
  // A case's scope cost six statements before; a sync judges every record it
  // sends.
  std::optional<std::vector<ScopeRow>> rows;
  auto load_rows = [&]() -> Status {
    if (rows) return Status::Ok();
    ASSIGN_OR_RETURN(Statement * stmt,
                     db_->Prepare("SELECT v.field, v.value, v.state, v.vv, v.origin, v.seq, "
                                  "v.origin_counter, v.received_from "
                                  "FROM versions v WHERE v.record_id = ?"));
    stmt->Bind(1, record_id);
    rows.emplace();
    // Noted for AppendBackfill when this judgement is kept (UnchangedScopes).
    std::optional<LiveVersionsSeen> seen;
    if (&cache == &unchanged_scopes_) seen.emplace();
    while (true) {
      ASSIGN_OR_RETURN(bool row, stmt->Step());
      if (!row) break;
      ScopeRow scope_row{stmt->Text(0), std::nullopt, stmt->Int(2), stmt->Text(3), stmt->Text(4)};
      if (seen && scope_row.state > 0) {
        seen->Add(static_cast<uint64_t>(stmt->Int(5)), scope_row.origin,
                  static_cast<uint64_t>(stmt->Int(6)), stmt->Text(7));
      }
      // Only live values decide a scope: superseded ones stay sealed.
      if (scope_row.state > 0) {
        auto value = cipher_.ReadValue(*stmt, 1, {record_id, scope_row.field, scope_row.vv});
        if (!value.ok()) {
          stmt->Reset();
          return value.status();
        }
        scope_row.value = std::move(value).value();
      }
      rows->push_back(std::move(scope_row));
    }
    stmt->Reset();
    if (seen) live_versions_seen_.insert_or_assign(std::string(record_id), std::move(*seen));
    return Status::Ok();
  };
  // The provisional winner of a field ("" when cleared or never written).
  auto value_of = [&](const std::string& field) -> Result<std::string> {
    RETURN_IF_ERROR(load_rows());
    for (const ScopeRow& row : *rows) {
      if (row.state == 2 && row.field == field) return row.value.value_or("");
    }
    return std::string();
  };

  RecordScope scope;
  if (policy.everyone.count(*type_name)) {
    scope.everyone = true;
    scope.reason = *type_name + ": every node";
    return keep(std::move(scope));
  }
  if (auto f = policy.follow.find(*type_name); f != policy.follow.end() && depth < kMaxScopeDepth) {
    for (const std::string& ref : f->second) {
      ASSIGN_OR_RETURN(std::string parent, value_of(ref));
      if (parent.empty() || parent == record_id) continue;
      auto parent_scope = CachedScopeUnder(policy, parent, cache, depth + 1);
      if (!parent_scope.ok()) {
        if (parent_scope.status().code() == Code::kNotFound) continue;
        return parent_scope.status();
      }
      scope = **parent_scope;
      scope.reason = "follows its " + ref + " " + parent + " (" + scope.reason + ")";
      return keep(std::move(scope));
    }
  }
  if (!policy.roots.count(*type_name) && !policy.follow.count(*type_name) &&
      depth < kMaxScopeDepth) {
    // A type the policy does not name (a newer node's, relayed here): it
    // follows the first of its fields, by name, that names a record held
    // here, as the types the policy knows hang off their parents.
    ASSIGN_OR_RETURN(Statement * fields,
                     db_->Prepare("SELECT field, value, vv FROM versions WHERE record_id = ? AND "
                                  "state = 2 ORDER BY field"));
    fields->Bind(1, record_id);
    std::vector<std::pair<std::string, std::string>> values;
    while (true) {
      ASSIGN_OR_RETURN(bool row, fields->Step());
      if (!row) break;
      std::string field = fields->Text(0), vv = fields->Text(2);
      auto opened = cipher_.ReadValue(*fields, 1, {record_id, field, vv});
      if (!opened.ok()) {
        fields->Reset();
        return opened.status();
      }
      const std::optional<std::string>& value = *opened;
      if (value && !value->empty() && *value != record_id && value->size() <= 128) {
        values.emplace_back(fields->Text(0), *value);
      }
    }
    fields->Reset();
    for (const auto& [field, value] : values) {
      ASSIGN_OR_RETURN(std::optional<std::string> parent_type, RecordType(value));
      if (!parent_type) continue;
      ASSIGN_OR_RETURN(const RecordScope* parent,
                       CachedScopeUnder(policy, value, cache, depth + 1, *parent_type));
      scope = *parent;
      scope.reason = "a type this policy does not name: follows its " + field + " " + value + " (" +
                     scope.reason + ")";
      return keep(std::move(scope));
    }
  }
  std::set<std::string> possible_owners;
  RETURN_IF_ERROR(load_rows());
  ASSIGN_OR_RETURN(std::string owner_party,
                   OwnerPartyAmong(*rows, OpeningField(type), &possible_owners));
  auto root = policy.roots.find(*type_name);
  const RootRule* rule = root == policy.roots.end() ? nullptr : &root->second;
  RootValues values;
  values.winner = value_of;
  values.live = [&](const std::string& field) -> Result<std::vector<std::string>> {
    std::vector<std::string> all;
    for (const ScopeRow& row : *rows) {
      if (row.state > 0 && row.field == field) all.push_back(row.value.value_or(""));
    }
    return all;
  };
  ASSIGN_OR_RETURN(scope, ApplyRootRule(rule, owner_party, values));
  scope.possible_owner_parties = std::move(possible_owners);
  return keep(std::move(scope));
}

Result<std::vector<Store::Follower>> Store::FollowersOf(const std::string& parent) {
  const SharingPolicy& policy = this->policy();
  std::set<std::string> ref_fields;
  for (const auto& [type, refs] : policy.follow) ref_fields.insert(refs.begin(), refs.end());
  std::vector<Follower> followers;
  for (const std::string& ref : ref_fields) {
    if (ref.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") != std::string::npos) continue;
    // The field as a literal, so that SQLite can use the partial index.
    ASSIGN_OR_RETURN(Statement * children,
                     db_->Prepare("SELECT v.record_id, r.type FROM versions v JOIN records r "
                                  "ON r.id = v.record_id WHERE v.field = '" +
                                  ref + "' AND v.value = ? AND v.state = 2"));
    children->Bind(1, parent);
    while (true) {
      ASSIGN_OR_RETURN(bool row, children->Step());
      if (!row) break;
      std::string type = children->Text(1);
      auto follow = policy.follow.find(type);
      if (follow == policy.follow.end()) continue;
      const auto& refs = follow->second;
      if (std::find(refs.begin(), refs.end(), ref) == refs.end()) continue;
      followers.push_back({children->Text(0), std::move(type), ref});
    }
    children->Reset();
  }
  return followers;
}

Result<std::optional<bool>> Store::OpenedByReaderParty(std::string_view record_id,
                                                       const PageReader& reader,
                                                       std::string_view known_type) {
  if (!reader.party || reader.party->empty()) return std::optional<bool>();
  std::optional<std::string> type_name;
  if (!known_type.empty()) {
    type_name = std::string(known_type);
  } else {
    ASSIGN_OR_RETURN(type_name, RecordType(record_id));
  }
  // Roots only (ApplyRootRule lets the opener's party in), judged by one
  // policy: an older one a reader still uses may judge the type otherwise.
  if (!type_name || !policy().roots.count(*type_name)) return std::optional<bool>();
  ASSIGN_OR_RETURN(const SharingPolicy* older, ReaderPolicy(reader));
  if (older) return std::optional<bool>();
  const TypeSpec* type = Schema::Get().FindType(*type_name);
  if (OpeningField(type).empty()) return std::optional<bool>();
  ASSIGN_OR_RETURN(std::string owner, OwnerPartyOf(record_id, type));
  return std::optional<bool>(owner == *reader.party);
}

Store::OwnerShortcut& Store::OwnerShortcutFor(const PageReader& reader) {
  constexpr size_t kMaxKept = 50000;  // as many as the scopes kept
  const std::string party = reader.party.value_or("");
  if (owner_shortcut_.party != party || owner_shortcut_.policy_version != reader.policy_version ||
      owner_shortcut_.opened.size() > kMaxKept) {
    owner_shortcut_ = {};
    owner_shortcut_.party = party;
    owner_shortcut_.policy_version = reader.policy_version;
  }
  return owner_shortcut_;
}

Result<bool> Store::OpenedByReaderPartyOnce(std::string_view record_id, const PageReader& reader,
                                            std::string_view known_type, const ScopeCache& cache,
                                            OwnerShortcut& shortcut) {
  constexpr int64_t kTries = 8;
  if (shortcut.opened.count(record_id)) return true;
  // A record judged in full already costs a lookup.
  if (!reader.party || cache.count(record_id)) return false;
  if (shortcut.misses >= kTries && shortcut.hits < shortcut.misses) return false;
  ASSIGN_OR_RETURN(std::optional<bool> opened, OpenedByReaderParty(record_id, reader, known_type));
  if (!opened) return false;  // not a record the shortcut can judge: no lookup made
  ++(*opened ? shortcut.hits : shortcut.misses);
  if (*opened) shortcut.opened.emplace(record_id);
  return *opened;
}

Result<bool> Store::MayReceive(std::string_view record_id, const PageReader& reader,
                               ScopeCache& cache, std::string_view known_type) {
  if (!reader.party) return true;
  auto scope = CachedScopeUnder(policy(), record_id, cache, 0, known_type);
  // A state of a record that does not exist here cannot be: fail closed.
  if (!scope.ok()) {
    if (scope.status().code() == Code::kNotFound) return false;
    return scope.status();
  }
  if (!(*scope)->Allows(*reader.party)) return false;
  // A reader that judges with an older policy gets only what both allow.
  ASSIGN_OR_RETURN(const SharingPolicy* older, ReaderPolicy(reader));
  if (!older) return true;
  ASSIGN_OR_RETURN(
      const RecordScope* theirs,
      CachedScopeUnder(*older, record_id, older_policy_scopes_[older->version], 0, known_type));
  return theirs->Allows(*reader.party);
}

Result<uint64_t> Store::LowestOwnWriteHeldBack(const PageReader& reader, uint64_t known,
                                               ScopeCache& cache, OwnerShortcut& shortcut) {
  if (!reader.party) return 0;
  // In counter order from what the reader already holds: the first write it
  // may not hold is the answer, so a reader stuck below a held-back write
  // costs one row per sync (versions_live_by_origin).
  ASSIGN_OR_RETURN(Statement * stmt,
                   db_->Prepare("SELECT record_id, origin_counter FROM versions "
                                "WHERE origin = ? AND state > 0 AND origin_counter > ? "
                                "ORDER BY origin_counter"));
  stmt->Bind(1, node_id_).Bind(2, static_cast<int64_t>(known));
  uint64_t lowest = 0;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    std::string record_id = stmt->Text(0);
    auto opened = OpenedByReaderPartyOnce(record_id, reader, {}, cache, shortcut);
    if (!opened.ok()) {
      stmt->Reset();
      return opened.status();
    }
    auto may = *opened ? Result<bool>(true) : MayReceive(record_id, reader, cache);
    if (!may.ok()) {
      stmt->Reset();
      return may.status();
    }
    if (!*may) {
      lowest = static_cast<uint64_t>(stmt->Int(1));
      break;
    }
  }
  stmt->Reset();
  return lowest;
}

}  // namespace accord
