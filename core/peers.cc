// The address book of peers and what this node knows of each peer node.
#include "core/node_id.h"
#include "core/store.h"

namespace accord {

namespace {

bool IsValidPeerName(std::string_view name) {
  return IsValidNodeId(name);  // same alphabet keeps names shell- and URL-friendly
}

}  // namespace

Result<PeerInfo> Store::GetPeer(std::string_view peer_id) {
  ASSIGN_OR_RETURN(Statement * stmt,
                   db_->Prepare("SELECT inbound_cursor, their_knowledge, last_contact_at "
                                "FROM peer_state WHERE peer_id = ?"));
  stmt->Bind(1, peer_id);
  ASSIGN_OR_RETURN(bool found, stmt->Step());
  PeerInfo info;
  info.peer_id = std::string(peer_id);
  if (found) {
    info.inbound_cursor = static_cast<uint64_t>(stmt->Int(0));
    auto vv = VersionVector::FromText(stmt->Text(1));
    info.last_sync_ms = stmt->Int(2);
    stmt->Reset();
    if (!vv.ok()) return vv.status();
    info.their_knowledge = std::move(vv).value();
  } else {
    stmt->Reset();
  }
  return info;
}

Result<std::vector<PeerInfo>> Store::ListPeers() {
  ASSIGN_OR_RETURN(Statement * stmt,
                   db_->Prepare("SELECT name, url, peer_id FROM peers ORDER BY name"));
  std::vector<PeerInfo> named;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    PeerInfo info;
    info.name = stmt->Text(0);
    info.url = stmt->Text(1);
    info.peer_id = stmt->Text(2);
    named.push_back(std::move(info));
  }
  stmt->Reset();
  for (auto& info : named) {
    if (info.peer_id.empty()) continue;
    ASSIGN_OR_RETURN(PeerInfo state, GetPeer(info.peer_id));
    info.inbound_cursor = state.inbound_cursor;
    info.last_sync_ms = state.last_sync_ms;
    info.their_knowledge = std::move(state.their_knowledge);
  }
  return named;
}

Result<std::optional<PeerInfo>> Store::FindPeerByName(std::string_view name) {
  ASSIGN_OR_RETURN(std::vector<PeerInfo> peers, ListPeers());
  for (auto& p : peers) {
    if (p.name == name) return std::optional<PeerInfo>(std::move(p));
  }
  return std::optional<PeerInfo>();
}

Status Store::AddPeer(std::string_view name, std::string_view url) {
  if (!IsValidPeerName(name)) {
    return InvalidArgument("peer name '" + std::string(name) +
                           "' is not valid: letters, digits and '-', at most 32 characters");
  }
  if (url.rfind("https://", 0) != 0) {
    return InvalidArgument("peer URL '" + std::string(url) + "' must start with https://");
  }
  ASSIGN_OR_RETURN(Statement * stmt,
                   db_->Prepare("INSERT INTO peers(name, url) VALUES(?, ?) ON CONFLICT(name) "
                                "DO UPDATE SET url = excluded.url"));
  return stmt->Bind(1, name).Bind(2, url).Run();
}

Status Store::RecordPeerContact(std::string_view name, std::string_view peer_id,
                                const VersionVector& their_knowledge) {
  if (!IsValidNodeId(peer_id)) return InvalidArgument("malformed peer node id");
  ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_, Transaction::Mode::kWrite));
  if (!name.empty()) {
    ASSIGN_OR_RETURN(Statement * bind, db_->Prepare("UPDATE peers SET peer_id = ? WHERE name = ?"));
    RETURN_IF_ERROR(bind->Bind(1, peer_id).Bind(2, name).Run());
  }
  ASSIGN_OR_RETURN(Statement * stmt,
                   db_->Prepare("INSERT INTO peer_state(peer_id, their_knowledge, last_contact_at) "
                                "VALUES(?, ?, ?) ON CONFLICT(peer_id) DO UPDATE SET "
                                "their_knowledge = excluded.their_knowledge, "
                                "last_contact_at = excluded.last_contact_at"));
  RETURN_IF_ERROR(stmt->Bind(1, peer_id).Bind(2, their_knowledge.ToText()).Bind(3, NowMs()).Run());
  return txn->Commit();
}

}  // namespace accord
