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

std::set<std::string> SplitParties(const std::string& text, const std::string& separators) {
  std::set<std::string> parties;
  std::string current;
  auto flush = [&] {
    if (!current.empty()) parties.insert(current);
    current.clear();
  };
  for (char c : text) {
    if (separators.find(c) != std::string::npos) {
      flush();
    } else {
      current += c;
    }
  }
  flush();
  return parties;
}

// A field name as the schema and the policy write them, safe to put in SQL.
bool IsPlainFieldName(const std::string& field) {
  return !field.empty() &&
         field.find_first_not_of("abcdefghijklmnopqrstuvwxyz_0123456789") == std::string::npos;
}

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
  ASSIGN_OR_RETURN(Statement * stmt, db_->Prepare("SELECT party FROM node_parties WHERE node = ?"));
  stmt->Bind(1, node);
  ASSIGN_OR_RETURN(bool found, stmt->Step());
  std::optional<std::string> party;
  if (found) party = stmt->Text(0);
  stmt->Reset();
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
  ASSIGN_OR_RETURN(Statement * version, db_->Prepare("PRAGMA data_version"));
  ASSIGN_OR_RETURN(bool row, version->Step());
  std::pair<int64_t, int64_t> now{scope_inputs_version_, row ? version->Int(0) : -1};
  version->Reset();
  if (now != unchanged_scopes_at_ || unchanged_scopes_.size() > kMaxKeptScopes) {
    unchanged_scopes_.clear();
    unchanged_scopes_at_ = now;
  }
  return &unchanged_scopes_;
}

Result<RecordScope> Store::ScopeOf(std::string_view record_id) {
  ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_, Transaction::Mode::kRead));
  ScopeCache cache;
  return ScopeOfCached(record_id, cache, 0);
}

// The office that opened a record is the origin of the first version of its
// first required field: every later version of that field dominates it, so
// it has the fewest vector entries and the smallest sum on every node.
Result<std::string> Store::OwnerPartyOf(std::string_view record_id, const TypeSpec* type) {
  std::string field;
  if (type) {
    for (const FieldSpec& f : type->fields) {
      if (f.required) {
        field = f.name;
        break;
      }
    }
  }
  ASSIGN_OR_RETURN(
      Statement * stmt,
      db_->Prepare(field.empty() ? "SELECT origin, vv FROM versions WHERE record_id = ?"
                                 : "SELECT origin, vv FROM versions WHERE record_id = ? "
                                   "AND field = ?"));
  stmt->Bind(1, record_id);
  if (!field.empty()) stmt->Bind(2, field);
  std::optional<std::tuple<size_t, uint64_t, std::string>> first;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    auto vv = VersionVector::FromText(stmt->Text(1));
    if (!vv.ok()) continue;
    uint64_t sum = 0;
    for (const auto& e : vv->entries()) sum += e.second;
    std::tuple<size_t, uint64_t, std::string> key{vv->entries().size(), sum, stmt->Text(0)};
    if (!first || key < *first) first = std::move(key);
  }
  stmt->Reset();
  if (!first) return std::string();
  ASSIGN_OR_RETURN(std::optional<std::string> party, PartyOf(std::get<2>(*first)));
  return party.value_or("");
}

Result<RecordScope> Store::ScopeOfCached(std::string_view record_id, ScopeCache& cache, int depth) {
  if (auto it = cache.find(record_id); it != cache.end()) return it->second;
  ASSIGN_OR_RETURN(std::optional<std::string> type_name, RecordType(record_id));
  if (!type_name) return NotFound("no record " + std::string(record_id));
  const SharingPolicy& policy = SharingPolicy::Default();
  const TypeSpec* type = Schema::Get().FindType(*type_name);

  // The provisional winner of a field; every live value for consent. The
  // field is written into the SQL, not bound: SQLite re-prepares a statement
  // whose bound field could decide whether a partial versions_by_* index
  // applies, each time that field changes (19 % of a sync's time, measured).
  auto value_of = [&](const std::string& field) -> Result<std::string> {
    if (!IsPlainFieldName(field)) return InvalidArgument("not a field name: " + field);
    ASSIGN_OR_RETURN(Statement * current,
                     db_->Prepare("SELECT value FROM versions WHERE record_id = ? AND field = '" +
                                  field + "' AND state = 2"));
    current->Bind(1, record_id);
    ASSIGN_OR_RETURN(bool found, current->Step());
    std::string value = found ? current->OptionalText(0).value_or("") : "";
    current->Reset();
    return value;
  };

  RecordScope scope;
  if (policy.everyone.count(*type_name)) {
    scope.everyone = true;
    scope.reason = *type_name + ": every node";
    cache.emplace(std::string(record_id), scope);
    return scope;
  }
  if (auto f = policy.follow.find(*type_name); f != policy.follow.end() && depth < kMaxScopeDepth) {
    for (const std::string& ref : f->second) {
      ASSIGN_OR_RETURN(std::string parent, value_of(ref));
      if (parent.empty() || parent == record_id) continue;
      auto parent_scope = ScopeOfCached(parent, cache, depth + 1);
      if (!parent_scope.ok()) {
        if (parent_scope.status().code() == Code::kNotFound) continue;
        return parent_scope.status();
      }
      scope = *parent_scope;
      scope.reason = "follows its " + ref + " " + parent + " (" + parent_scope->reason + ")";
      cache.emplace(std::string(record_id), scope);
      return scope;
    }
  }
  if (!policy.roots.count(*type_name) && !policy.follow.count(*type_name) &&
      depth < kMaxScopeDepth) {
    // A type the policy does not name (a newer node's, relayed here): it
    // follows the first of its fields, by name, that names a record held
    // here, as the types the policy knows hang off their parents.
    ASSIGN_OR_RETURN(Statement * fields,
                     db_->Prepare("SELECT field, value FROM versions WHERE record_id = ? AND "
                                  "state = 2 ORDER BY field"));
    fields->Bind(1, record_id);
    std::vector<std::pair<std::string, std::string>> values;
    while (true) {
      ASSIGN_OR_RETURN(bool row, fields->Step());
      if (!row) break;
      auto value = fields->OptionalText(1);
      if (value && !value->empty() && *value != record_id && value->size() <= 128) {
        values.emplace_back(fields->Text(0), *value);
      }
    }
    fields->Reset();
    for (const auto& [field, value] : values) {
      ASSIGN_OR_RETURN(std::optional<std::string> parent_type, RecordType(value));
      if (!parent_type) continue;
      ASSIGN_OR_RETURN(RecordScope parent, ScopeOfCached(value, cache, depth + 1));
      scope = parent;
      scope.reason = "a type this policy does not name: follows its " + field + " " + value + " (" +
                     parent.reason + ")";
      cache.emplace(std::string(record_id), scope);
      return scope;
    }
  }
  ASSIGN_OR_RETURN(scope.owner_party, OwnerPartyOf(record_id, type));
  if (!scope.owner_party.empty()) scope.parties.insert(scope.owner_party);
  std::string owner = scope.owner_party.empty() ? "an office of unknown party"
                                                : "the " + scope.owner_party + " office";
  auto root = policy.roots.find(*type_name);
  if (root == policy.roots.end()) {
    scope.reason = "stays with the party of the office that opened it (" + owner + ")";
    cache.emplace(std::string(record_id), scope);
    return scope;
  }
  const RootRule& rule = root->second;
  bool shared = true;
  if (!rule.consent_field.empty()) {
    // Fail closed: every live value of the consent field must allow sharing,
    // so a conflict between "given" and "refused" keeps the case at home.
    ASSIGN_OR_RETURN(Statement * live,
                     db_->Prepare("SELECT value FROM versions WHERE record_id = ? AND field = ? "
                                  "AND state > 0"));
    live->Bind(1, record_id).Bind(2, rule.consent_field);
    bool any = false;
    while (true) {
      ASSIGN_OR_RETURN(bool row, live->Step());
      if (!row) break;
      any = true;
      std::string value = live->OptionalText(0).value_or("");
      if (!rule.shared_when.count(value)) shared = false;
    }
    live->Reset();
    if (!any) shared = false;
    if (shared && !rule.override_value.empty()) {
      ASSIGN_OR_RETURN(std::string consent, value_of(rule.consent_field));
      if (consent == rule.override_value) {
        ASSIGN_OR_RETURN(std::string reason, value_of(rule.override_reason_field));
        if (reason.empty()) shared = false;
      }
    }
  }
  if (!shared) {
    scope.reason = "no " + rule.consent_field + " to share: stays with " + owner;
    cache.emplace(std::string(record_id), scope);
    return scope;
  }
  std::string listed;
  if (!rule.parties_field.empty()) {
    ASSIGN_OR_RETURN(listed, value_of(rule.parties_field));
  }
  std::set<std::string> named = SplitParties(listed, rule.separators);
  if (named.empty()) {
    if (rule.unstated_goes_everywhere) {
      scope.everyone = true;
      scope.reason = "no parties recorded: joint work goes to every node";
    } else {
      scope.reason = "no parties recorded: stays with " + owner;
    }
    cache.emplace(std::string(record_id), scope);
    return scope;
  }
  scope.parties.insert(named.begin(), named.end());
  scope.reason = "goes to the parties in its " + rule.parties_field + " (" + listed + ") and " +
                 owner + (rule.consent_field.empty() ? "" : ", with " + rule.consent_field);
  cache.emplace(std::string(record_id), scope);
  return scope;
}

Result<bool> Store::MayReceive(std::string_view record_id, const PageReader& reader,
                               ScopeCache& cache) {
  if (!reader.party) return true;
  auto scope = ScopeOfCached(record_id, cache, 0);
  // A state of a record that does not exist here cannot be: fail closed.
  if (!scope.ok()) {
    if (scope.status().code() == Code::kNotFound) return false;
    return scope.status();
  }
  return scope->Allows(*reader.party);
}

Result<uint64_t> Store::LowestOwnWriteHeldBack(const PageReader& reader, uint64_t known,
                                               ScopeCache& cache) {
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
    auto may = MayReceive(record_id, reader, cache);
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
