// Where a record is, as far as this node knows (`accord get`, the review
// page), and how much is held back from each peer (`accord status`).
#include "core/store.h"

namespace accord {

namespace {

struct KnownPeer {
  VersionVector knowledge;
  int64_t last_contact_ms = 0;
};

// Every node this node synced with, and what it last said it held.
Result<std::map<std::string, KnownPeer>> PeersSyncedWith(Database& db) {
  ASSIGN_OR_RETURN(Statement * stmt,
                   db.Prepare("SELECT peer_id, their_knowledge, last_contact_at FROM peer_state"));
  std::map<std::string, KnownPeer> peers;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    KnownPeer& peer = peers[stmt->Text(0)];
    // An unreadable vector says nothing held: the peer still shows.
    auto vv = VersionVector::FromText(stmt->Text(1));
    if (vv.ok()) peer.knowledge = std::move(vv).value();
    peer.last_contact_ms = stmt->Int(2);
  }
  stmt->Reset();
  return peers;
}

}  // namespace

Result<RecordSharing> Store::SharingOf(std::string_view record_id) {
  ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_, Transaction::Mode::kRead));
  RETURN_IF_ERROR(RefreshPolicy());
  RecordSharing sharing;
  ScopeCache cache;
  ASSIGN_OR_RETURN(sharing.scope, ScopeOfCached(record_id, cache, 0));
  // The events of the record's live versions: a node whose knowledge covers
  // all of them holds its current values.
  ASSIGN_OR_RETURN(Statement * live, db_->Prepare("SELECT origin, origin_counter FROM versions "
                                                  "WHERE record_id = ? AND state > 0"));
  live->Bind(1, record_id);
  std::vector<std::pair<std::string, uint64_t>> events;
  while (true) {
    ASSIGN_OR_RETURN(bool row, live->Step());
    if (!row) break;
    events.emplace_back(live->Text(0), static_cast<uint64_t>(live->Int(1)));
  }
  live->Reset();

  std::map<std::string, NodeHolding> nodes;
  ASSIGN_OR_RETURN(auto parties, KnownNodeParties());
  for (auto& [node, party] : parties) nodes[node].party = party;
  ASSIGN_OR_RETURN(auto peers, PeersSyncedWith(*db_));
  for (const auto& [peer, known] : peers) {
    NodeHolding& holding = nodes[peer];
    holding.last_contact_ms = known.last_contact_ms;
    size_t covered = 0;
    for (const auto& [origin, counter] : events) {
      if (known.knowledge.Get(origin) >= counter) ++covered;
    }
    if (covered > 0) {
      holding.holds =
          covered == events.size() ? NodeHolding::Holds::kCurrent : NodeHolding::Holds::kSome;
    }
  }
  nodes.erase(node_id_);
  for (auto& [node, holding] : nodes) {
    holding.node = node;
    holding.may_hold = sharing.scope.Allows(holding.party.value_or(""));
    // What a node may not hold was not sent to it, whatever its knowledge says.
    if (!holding.may_hold) holding.holds = NodeHolding::Holds::kNone;
    sharing.nodes.push_back(std::move(holding));
  }
  return sharing;
}

Result<std::vector<HeldBackFromPeer>> Store::HeldBackPerPeer() {
  ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_, Transaction::Mode::kRead));
  RETURN_IF_ERROR(RefreshPolicy());
  ASSIGN_OR_RETURN(auto peers, PeersSyncedWith(*db_));
  std::vector<HeldBackFromPeer> result;
  for (const auto& [peer, unused] : peers) {
    ASSIGN_OR_RETURN(std::optional<std::string> party, PartyOf(peer));
    result.push_back({peer, party, 0});
  }
  if (result.empty()) return result;
  // Each record judged once; the scope of a parent is shared by its children.
  ScopeCache cache;
  ASSIGN_OR_RETURN(Statement * records, db_->Prepare("SELECT id FROM records WHERE deleted = 0"));
  while (true) {
    ASSIGN_OR_RETURN(bool row, records->Step());
    if (!row) break;
    auto scope = ScopeOfCached(records->Text(0), cache, 0);
    if (!scope.ok()) {
      records->Reset();
      return scope.status();
    }
    for (HeldBackFromPeer& peer : result) {
      if (!scope->Allows(peer.party.value_or(""))) ++peer.records_held_back;
    }
  }
  records->Reset();
  return result;
}

}  // namespace accord
