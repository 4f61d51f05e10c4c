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

Result<bool> Store::ReaderMayHold(const std::string& record_id, const std::string& type,
                                  const PageReader& reader, ScopeCache& cache,
                                  VersionVector& scope_version) {
  const SharingPolicy& policy = this->policy();
  auto root = policy.roots.find(type);
  if (root == policy.roots.end() || !reader.party) return false;
  const RootRule& rule = root->second;
  std::vector<std::string> refs;
  if (auto follow = policy.follow.find(type); follow != policy.follow.end()) {
    refs = follow->second;
  }
  // One pass over every version stored here, in log order: who wrote or
  // sent them, and the versions of the scope fields (the scope is the same
  // between two of them).
  ASSIGN_OR_RETURN(Statement * stmt,
                   db_->Prepare("SELECT seq, field, value, vv, origin, received_from "
                                "FROM versions WHERE record_id = ? ORDER BY seq"));
  stmt->Bind(1, record_id);
  bool theirs = false;
  std::map<std::string, std::vector<HeldVersion>> by_field;
  std::vector<int64_t> positions;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    if (!reader.node_id.empty() &&
        (stmt->Text(4) == reader.node_id || stmt->Text(5) == reader.node_id)) {
      theirs = true;
    }
    std::string field = stmt->Text(1);
    if (!policy.IsScopeField(type, field)) continue;
    auto vv = VersionVector::FromText(stmt->Text(3));
    if (!vv.ok()) continue;  // unreadable: judged as if never stored
    scope_version.MergeFrom(*vv);
    HeldVersion held;
    held.seq = stmt->Int(0);
    held.version.field = field;
    auto value = cipher_.ReadValue(*stmt, 2, {record_id, field, stmt->Text(3)});
    if (!value.ok()) {
      stmt->Reset();
      return value.status();
    }
    held.version.value = std::move(value).value();
    held.version.version = std::move(vv).value();
    held.version.origin = stmt->Text(4);
    positions.push_back(held.seq);
    by_field[field].push_back(std::move(held));
  }
  stmt->Reset();
  // The reader wrote or sent a state of it: it held it.
  if (theirs) return true;
  const std::string& party = *reader.party;
  // Consent never recorded as given here: never shared (the usual record
  // held back, judged without hashing a vector).
  if (!rule.consent_field.empty() && refs.empty()) {
    bool ever_given = false;
    for (const HeldVersion& held : by_field[rule.consent_field]) {
      if (held.version.value && rule.shared_when.count(*held.version.value)) ever_given = true;
    }
    if (!ever_given) return false;
  }
  for (int64_t at : positions) {
    // The winner and live values of each field once the log reached `at`.
    std::map<std::string, std::vector<const FieldVersion*>> live_at;
    std::map<std::string, std::string> winners;
    for (const auto& [field, held] : by_field) {
      std::vector<const FieldVersion*> live = LiveAt(held, at);
      if (live.empty()) continue;
      ASSIGN_OR_RETURN(size_t winner, ProvisionalWinner(live));
      winners[field] = live[winner]->value.value_or("");
      live_at[field] = std::move(live);
    }
    // A root that hangs off another while its ref names a record held here
    // (a meeting of a plan) had that record's scope: as it is now, since
    // that record's own history decides its own exits.
    bool followed = false;
    for (const std::string& ref : refs) {
      auto named = winners.find(ref);
      if (named == winners.end() || named->second.empty() || named->second == record_id) {
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
    if (followed) continue;
    RootValues values;
    values.winner = [&](const std::string& field) -> Result<std::string> {
      auto it = winners.find(field);
      return it == winners.end() ? std::string() : it->second;
    };
    values.live = [&](const std::string& field) -> Result<std::vector<std::string>> {
      std::vector<std::string> all;
      if (auto it = live_at.find(field); it != live_at.end()) {
        for (const FieldVersion* v : it->second) all.push_back(v->value.value_or(""));
      }
      return all;
    };
    // The owner's party is left out: it always may hold the record, and a
    // record held back from the reader is not of the reader's party.
    ASSIGN_OR_RETURN(RecordScope then, ApplyRootRule(&rule, "", values));
    if (then.Allows(party)) return true;
  }
  return false;
}

Status Store::NoteScopeExit(const std::string& record_id, const std::string& record_type,
                            const std::string& field, const PageReader& reader, ScopeCache& cache,
                            std::set<std::string>& judged, ChangePage& page) {
  // A node of no party only ever holds what every node may.
  if (!reader.party || reader.party->empty()) return Status::Ok();
  // Only a root's own scope fields: what hangs off a root leaves with it,
  // and the reader purges it with it.
  const SharingPolicy& policy = this->policy();
  if (!policy.roots.count(record_type) || !policy.IsScopeField(record_type, field)) {
    return Status::Ok();
  }
  if (!judged.insert(record_id).second) return Status::Ok();
  ASSIGN_OR_RETURN(bool may, MayReceive(record_id, reader, cache, record_type));
  if (may) return Status::Ok();
  // May the reader hold it? It wrote or sent a state of it, or its party
  // was allowed it here once. Never the reader's own claims (its
  // knowledge): a node that inflated them would learn the ids of every
  // record that left a scope.
  ScopeExit exit{record_id, {}};
  ASSIGN_OR_RETURN(bool may_hold,
                   ReaderMayHold(record_id, record_type, reader, cache, exit.scope_version));
  if (may_hold) page.left_scope.push_back(std::move(exit));
  return Status::Ok();
}

Result<VersionVector> Store::ScopeFieldsVector(const std::string& record_id,
                                               const std::string& type) {
  const SharingPolicy& policy = this->policy();
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
