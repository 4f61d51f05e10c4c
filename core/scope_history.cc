// Leaving a scope at the sending end (docs/sharing.md, "Leaving a scope"):
// which records a page tells its reader have left the reader's scope. The
// reader is told only of a record its party may have held, judged from what
// this node stored (the scopes the record had here over time, and who wrote
// or sent its states), never from what the reader claims.
#include <map>
#include <set>

#include "core/store.h"

namespace accord {

namespace {

struct HeldVersion {
  int64_t seq = 0;
  FieldVersion version;
};

// The versions of one field that were live here once the log reached `at`:
// those stored by then that no other of them dominates. `held` is in log
// order. (A version older than one held is never stored, so history holds
// only versions that were live when they arrived.)
std::vector<const FieldVersion*> LiveAt(const std::vector<HeldVersion>& held, int64_t at) {
  std::vector<const FieldVersion*> live;
  for (const HeldVersion& a : held) {
    if (a.seq > at) break;
    bool dominated = false;
    for (const HeldVersion& b : held) {
      if (b.seq > at) break;
      if (&a != &b && a.version.version.Compare(b.version.version) == Order::kBefore) {
        dominated = true;
        break;
      }
    }
    if (!dominated) live.push_back(&a.version);
  }
  return live;
}

}  // namespace

Result<bool> Store::WasEverAllowed(std::string_view record_id, std::string_view party,
                                   ScopeCache& cache) {
  ASSIGN_OR_RETURN(std::optional<std::string> type_name, RecordType(record_id));
  if (!type_name) return false;
  const SharingPolicy& policy = SharingPolicy::Default();
  auto root = policy.roots.find(*type_name);
  if (root == policy.roots.end()) return false;
  const RootRule& rule = root->second;
  std::vector<std::string> refs;
  if (auto follow = policy.follow.find(*type_name); follow != policy.follow.end()) {
    refs = follow->second;
  }
  std::set<std::string> fields(refs.begin(), refs.end());
  for (const std::string* f :
       {&rule.parties_field, &rule.consent_field, &rule.override_reason_field}) {
    if (!f->empty()) fields.insert(*f);
  }
  // Every version of the scope fields ever stored here, in log order: the
  // scope is the same between two of them.
  ASSIGN_OR_RETURN(Statement * stmt,
                   db_->Prepare("SELECT seq, field, value, vv, origin FROM versions "
                                "WHERE record_id = ? ORDER BY seq"));
  stmt->Bind(1, record_id);
  std::map<std::string, std::vector<HeldVersion>> by_field;
  std::vector<int64_t> positions;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    std::string field = stmt->Text(1);
    if (!fields.count(field)) continue;
    auto vv = VersionVector::FromText(stmt->Text(3));
    if (!vv.ok()) continue;  // unreadable: judged as if never stored
    HeldVersion held;
    held.seq = stmt->Int(0);
    held.version.field = field;
    held.version.value = stmt->OptionalText(2);
    held.version.version = std::move(vv).value();
    held.version.origin = stmt->Text(4);
    positions.push_back(held.seq);
    by_field[field].push_back(std::move(held));
  }
  stmt->Reset();
  ASSIGN_OR_RETURN(std::string owner, OwnerPartyOf(record_id, Schema::Get().FindType(*type_name)));
  if (owner == party) return true;
  for (int64_t at : positions) {
    RootValues values;
    for (const auto& [field, held] : by_field) {
      std::vector<const FieldVersion*> live = LiveAt(held, at);
      if (live.empty()) continue;
      std::vector<std::string>& all = values.live[field];
      for (const FieldVersion* v : live) all.push_back(v->value.value_or(""));
      ASSIGN_OR_RETURN(size_t winner, ProvisionalWinner(live));
      values.winner[field] = live[winner]->value.value_or("");
    }
    // A root that hangs off another while its ref names a record held here
    // (a meeting of a plan) had that record's scope: as it is now, since
    // that record's own history decides its own exits.
    bool followed = false;
    for (const std::string& ref : refs) {
      auto named = values.winner.find(ref);
      if (named == values.winner.end() || named->second.empty() || named->second == record_id) {
        continue;
      }
      auto parent = ScopeOfCached(named->second, cache, 1);
      if (!parent.ok()) {
        if (parent.status().code() == Code::kNotFound) continue;
        return parent.status();
      }
      if (parent->Allows(party)) return true;
      followed = true;
      break;
    }
    if (!followed && ApplyRootRule(&rule, owner, values).Allows(party)) return true;
  }
  return false;
}

Status Store::NoteScopeExit(const FieldVersion& v, const PageReader& reader, ScopeCache& cache,
                            std::set<std::string>& judged, ChangePage& page) {
  // A node of no party only ever holds what every node may.
  if (!reader.party || reader.party->empty()) return Status::Ok();
  // Only a root's own scope fields: what hangs off a root leaves with it,
  // and the reader purges it with it.
  const SharingPolicy& policy = SharingPolicy::Default();
  if (!policy.roots.count(v.record_type) || !policy.IsScopeField(v.record_type, v.field)) {
    return Status::Ok();
  }
  if (!judged.insert(v.record_id).second) return Status::Ok();
  ASSIGN_OR_RETURN(bool may, MayReceive(v.record_id, reader, cache));
  if (may) return Status::Ok();
  // May the reader hold it? Its party was allowed it here once, or it wrote
  // or sent a state of it. Never the reader's own claims (its knowledge):
  // a node that inflated them would learn the ids of every record that left
  // a scope.
  bool may_hold = false;
  if (!reader.node_id.empty()) {
    ASSIGN_OR_RETURN(Statement * theirs,
                     db_->Prepare("SELECT 1 FROM versions WHERE record_id = ? AND "
                                  "(origin = ? OR received_from = ?) LIMIT 1"));
    theirs->Bind(1, v.record_id).Bind(2, reader.node_id).Bind(3, reader.node_id);
    ASSIGN_OR_RETURN(may_hold, theirs->Step());
    theirs->Reset();
  }
  if (!may_hold) {
    ASSIGN_OR_RETURN(may_hold, WasEverAllowed(v.record_id, *reader.party, cache));
  }
  if (!may_hold) return Status::Ok();
  ScopeExit exit{v.record_id, {}};
  ASSIGN_OR_RETURN(exit.scope_version, ScopeFieldsVector(v.record_id, v.record_type));
  page.left_scope.push_back(std::move(exit));
  return Status::Ok();
}

Result<VersionVector> Store::ScopeFieldsVector(const std::string& record_id,
                                               const std::string& type) {
  const SharingPolicy& policy = SharingPolicy::Default();
  VersionVector joined;
  ASSIGN_OR_RETURN(Statement * versions,
                   db_->Prepare("SELECT field, vv FROM versions WHERE record_id = ?"));
  versions->Bind(1, record_id);
  while (true) {
    ASSIGN_OR_RETURN(bool row, versions->Step());
    if (!row) break;
    if (!policy.IsScopeField(type, versions->Text(0))) continue;
    auto vv = VersionVector::FromText(versions->Text(1));
    if (vv.ok()) joined.MergeFrom(*vv);
  }
  versions->Reset();
  return joined;
}

}  // namespace accord
