// The address book: the peers an office syncs with by name ("th-capital"),
// their URLs, and the node id each name turned out to be at first contact.
// What sync knows of a peer node (cursor, knowledge) is the Store's; the
// address book only names peers and joins that state in when listing them.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "core/sqlite.h"
#include "core/status.h"
#include "core/store.h"

namespace accord {

// Lives inside its Store (Store::peers()) and shares its connection, so the
// Store's threading contract applies: one thread at a time, no call while a
// RemoteBatch is open.
class PeerBook {
 public:
  PeerBook(const PeerBook&) = delete;
  PeerBook& operator=(const PeerBook&) = delete;

  // Adds a peer, or changes the URL of the one with this name.
  // Name: letters, digits and '-', at most 32; URL: https:// only.
  Status Add(std::string_view name, std::string_view url);
  // Every named peer, by name, with what this node knows of its node.
  Result<std::vector<PeerInfo>> List();
  Result<std::optional<PeerInfo>> FindByName(std::string_view name);
  // Records the node id that answered for `name` (no-op for an unknown name).
  Status BindNodeId(std::string_view name, std::string_view peer_id);

 private:
  friend class Store;
  explicit PeerBook(Database& db) : db_(db) {}
  Database& db_;
};

}  // namespace accord
