#include "core/peer_book.h"

#include "core/node_id.h"

namespace accord {

namespace {

bool IsValidPeerName(std::string_view name) {
  return IsValidNodeId(name);  // same alphabet keeps names shell- and URL-friendly
}

}  // namespace

Status PeerBook::Add(std::string_view name, std::string_view url) {
  if (!IsValidPeerName(name)) {
    return InvalidArgument("peer name '" + std::string(name) +
                           "' is not valid: letters, digits and '-', at most 32 characters");
  }
  if (url.rfind("https://", 0) != 0) {
    return InvalidArgument("peer URL '" + std::string(url) + "' must start with https://");
  }
  ASSIGN_OR_RETURN(Statement * stmt,
                   db_.Prepare("INSERT INTO peers(name, url) VALUES(?, ?) ON CONFLICT(name) "
                               "DO UPDATE SET url = excluded.url"));
  return stmt->Bind(1, name).Bind(2, url).Run();
}

Result<std::vector<PeerInfo>> PeerBook::List() {
  ASSIGN_OR_RETURN(auto txn, Transaction::Begin(db_, Transaction::Mode::kRead));
  ASSIGN_OR_RETURN(
      Statement * stmt,
      db_.Prepare("SELECT p.name, p.url, p.peer_id, s.inbound_cursor, s.their_knowledge, "
                  "s.last_contact_at FROM peers p LEFT JOIN peer_state s "
                  "ON p.peer_id <> '' AND s.peer_id = p.peer_id ORDER BY p.name"));
  std::vector<PeerInfo> named;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    PeerInfo info;
    info.name = stmt->Text(0);
    info.url = stmt->Text(1);
    info.peer_id = stmt->Text(2);
    info.inbound_cursor = static_cast<uint64_t>(stmt->Int(3));
    auto vv = VersionVector::FromText(stmt->Text(4));
    if (!vv.ok()) {
      stmt->Reset();
      return vv.status().WithContext("peer " + info.name + ": ");
    }
    info.their_knowledge = std::move(vv).value();
    info.last_sync_ms = stmt->Int(5);
    named.push_back(std::move(info));
  }
  stmt->Reset();
  return named;
}

Result<std::optional<PeerInfo>> PeerBook::FindByName(std::string_view name) {
  ASSIGN_OR_RETURN(std::vector<PeerInfo> peers, List());
  for (auto& p : peers) {
    if (p.name == name) return std::optional<PeerInfo>(std::move(p));
  }
  return std::optional<PeerInfo>();
}

Status PeerBook::BindNodeId(std::string_view name, std::string_view peer_id) {
  if (!IsValidNodeId(peer_id)) {
    return InvalidArgument("malformed peer node id '" + std::string(peer_id) + "'");
  }
  ASSIGN_OR_RETURN(Statement * bind, db_.Prepare("UPDATE peers SET peer_id = ? WHERE name = ?"));
  return bind->Bind(1, peer_id).Bind(2, name).Run();
}

}  // namespace accord
