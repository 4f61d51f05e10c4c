// What this node knows of each peer node, whichever side started the sync:
// how far into its log we have applied, and what it held at last contact.
#include "core/node_id.h"
#include "core/store.h"

namespace accord {

Result<PeerInfo> Store::GetPeer(std::string_view peer_id) {
  ASSIGN_OR_RETURN(
      Statement * stmt,
      db_->Prepare("SELECT inbound_cursor, their_knowledge, last_contact_at, policy_version "
                   "FROM peer_state WHERE peer_id = ?"));
  stmt->Bind(1, peer_id);
  ASSIGN_OR_RETURN(bool found, stmt->Step());
  PeerInfo info;
  info.peer_id = std::string(peer_id);
  if (found) {
    info.inbound_cursor = static_cast<uint64_t>(stmt->Int(0));
    auto vv = VersionVector::FromText(stmt->Text(1));
    info.last_sync_ms = stmt->Int(2);
    info.policy_version = static_cast<int>(stmt->Int(3));
    stmt->Reset();
    if (!vv.ok()) return vv.status().WithContext("peer " + std::string(peer_id) + ": ");
    info.their_knowledge = std::move(vv).value();
  } else {
    stmt->Reset();
  }
  return info;
}

Status Store::RecordPeerContact(std::string_view peer_id, const VersionVector& their_knowledge) {
  if (!IsValidNodeId(peer_id)) {
    return InvalidArgument("malformed peer node id '" + std::string(peer_id) + "'");
  }
  ASSIGN_OR_RETURN(Statement * stmt,
                   db_->Prepare("INSERT INTO peer_state(peer_id, their_knowledge, last_contact_at) "
                                "VALUES(?, ?, ?) ON CONFLICT(peer_id) DO UPDATE SET "
                                "their_knowledge = excluded.their_knowledge, "
                                "last_contact_at = excluded.last_contact_at"));
  return stmt->Bind(1, peer_id).Bind(2, their_knowledge.ToText()).Bind(3, NowMs()).Run();
}

}  // namespace accord
