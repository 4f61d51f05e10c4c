// Collecting tombstones (docs/security.md, "Collecting tombstones"). A purge
// order's tombstone refuses its record's old states. It is collected once
// every node that may hold the record has signed that it applied the order;
// after that, what keeps the record out is the collected frontier: data are
// taken only from a source whose orders-applied vector covers it.
#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "core/node_id.h"
#include "core/store.h"

namespace accord {

namespace {

std::string JoinLines(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) {
    if (!out.empty()) out += '\n';
    out += l;
  }
  return out;
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

Result<VersionVector> ReadVector(Database& db, const char* sql) {
  ASSIGN_OR_RETURN(Statement * stmt, db.Prepare(sql));
  VersionVector out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    out.Set(stmt->Text(0), static_cast<uint64_t>(stmt->Int(1)));
  }
  stmt->Reset();
  return out;
}

std::string OrderName(const std::string& issuer, uint64_t sequence) {
  return "order " + std::to_string(sequence) + " of " + issuer;
}

}  // namespace

Result<std::vector<std::string>> Store::KnownNodes() {
  ASSIGN_OR_RETURN(Statement * all,
                   db_->Prepare("SELECT node FROM known_nodes UNION SELECT node FROM knowledge "
                                "UNION SELECT peer_id FROM peer_state UNION SELECT node FROM "
                                "node_parties UNION SELECT issuer FROM purge_orders UNION SELECT "
                                "acker FROM purge_acks UNION SELECT issuer FROM purge_collected"));
  std::set<std::string> nodes{node_id_};
  while (true) {
    ASSIGN_OR_RETURN(bool row, all->Step());
    if (!row) break;
    std::string node = all->Text(0);
    if (IsValidNodeId(node)) nodes.insert(std::move(node));
  }
  all->Reset();
  return std::vector<std::string>(nodes.begin(), nodes.end());
}

Status Store::NoteKnownNode(std::string_view node) {
  if (!IsValidNodeId(node) || node == node_id_) return Status::Ok();
  ASSIGN_OR_RETURN(Statement * seen, db_->Prepare("SELECT 1 FROM known_nodes WHERE node = ?"));
  seen->Bind(1, node);
  ASSIGN_OR_RETURN(bool held, seen->Step());
  seen->Reset();
  if (held) return Status::Ok();
  ASSIGN_OR_RETURN(
      Statement * note,
      db_->Prepare("INSERT OR IGNORE INTO known_nodes(node, first_seen) VALUES(?, ?)"));
  return note->Bind(1, node).Bind(2, NowMs()).Run();
}

Result<std::vector<PurgeOrder>> Store::PurgeOrdersToAck() {
  // Read at every hello: one query, not a scan of every tombstone. Only the
  // record id, issuer and sequence are filled (all an acknowledgement names).
  ASSIGN_OR_RETURN(Statement * pending,
                   db_->Prepare("SELECT record_id, issuer, sequence FROM purge_orders o WHERE "
                                "sequence > 0 AND NOT EXISTS (SELECT 1 FROM purge_acks a WHERE "
                                "a.record_id = o.record_id AND a.acker = ?) ORDER BY issuer, "
                                "sequence"));
  pending->Bind(1, node_id_);
  std::vector<PurgeOrder> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, pending->Step());
    if (!row) break;
    PurgeOrder o;
    o.record_id = pending->Text(0);
    o.issuer = pending->Text(1);
    o.sequence = static_cast<uint64_t>(pending->Int(2));
    out.push_back(std::move(o));
  }
  pending->Reset();
  return out;
}

Result<bool> Store::KeepPurgeAck(const PurgeAck& ack, std::string_view from_peer) {
  ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_, Transaction::Mode::kWrite));
  ASSIGN_OR_RETURN(std::optional<PurgeOrder> order, FindPurgeOrder(ack.record_id));
  if (!order || order->issuer != ack.issuer || order->sequence != ack.sequence ||
      order->sequence == 0) {
    return false;
  }
  ASSIGN_OR_RETURN(Statement * keep,
                   db_->Prepare("INSERT OR IGNORE INTO purge_acks(record_id, acker, known_nodes, "
                                "acked_at, signed) VALUES(?, ?, ?, ?, ?)"));
  RETURN_IF_ERROR(keep->Bind(1, ack.record_id)
                      .Bind(2, ack.acker)
                      .Bind(3, JoinLines(ack.known_nodes))
                      .Bind(4, ack.acked_at_ms)
                      .BindBlob(5, ack.signed_bytes)
                      .Run());
  if (!from_peer.empty()) {
    ASSIGN_OR_RETURN(Statement * held,
                     db_->Prepare("INSERT OR IGNORE INTO purge_ack_peers(record_id, acker, peer) "
                                  "VALUES(?, ?, ?)"));
    RETURN_IF_ERROR(held->Bind(1, ack.record_id).Bind(2, ack.acker).Bind(3, from_peer).Run());
  }
  RETURN_IF_ERROR(txn->Commit());
  return true;
}

Result<std::vector<PurgeAck>> Store::PurgeAcksFor(std::string_view peer, size_t max) {
  ASSIGN_OR_RETURN(
      Statement * pending,
      db_->Prepare("SELECT a.record_id, o.issuer, o.sequence, a.acker, a.acked_at, a.known_nodes, "
                   "a.signed FROM purge_acks a JOIN purge_orders o ON o.record_id = a.record_id "
                   "WHERE a.acker != ?1 AND NOT EXISTS (SELECT 1 FROM purge_ack_peers p WHERE "
                   "p.record_id = a.record_id AND p.acker = a.acker AND p.peer = ?1) "
                   "ORDER BY o.issuer, o.sequence, a.acker LIMIT ?2"));
  pending->Bind(1, peer).Bind(2, static_cast<int64_t>(max));
  std::vector<PurgeAck> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, pending->Step());
    if (!row) break;
    PurgeAck ack;
    ack.record_id = pending->Text(0);
    ack.issuer = pending->Text(1);
    ack.sequence = static_cast<uint64_t>(pending->Int(2));
    ack.acker = pending->Text(3);
    ack.acked_at_ms = pending->Int(4);
    ack.known_nodes = SplitLines(pending->Text(5));
    ack.signed_bytes = pending->Blob(6);
    out.push_back(std::move(ack));
  }
  pending->Reset();
  return out;
}

Status Store::NotePurgeAcksHeld(std::string_view peer,
                                const std::vector<std::pair<std::string, std::string>>& acks) {
  if (acks.empty()) return Status::Ok();
  ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_, Transaction::Mode::kWrite));
  ASSIGN_OR_RETURN(Statement * note,
                   db_->Prepare("INSERT OR IGNORE INTO purge_ack_peers(record_id, acker, peer) "
                                "SELECT record_id, acker, ? FROM purge_acks WHERE record_id = ? "
                                "AND acker = ?"));
  for (const auto& [id, acker] : acks) {
    RETURN_IF_ERROR(note->Bind(1, peer).Bind(2, id).Bind(3, acker).Run());
  }
  return txn->Commit();
}

Result<VersionVector> Store::PurgeCollectedFrontier() {
  return ReadVector(*db_, "SELECT issuer, sequence FROM purge_collected WHERE sequence > 0");
}

Result<VersionVector> Store::PurgeOrdersApplied() {
  ASSIGN_OR_RETURN(VersionVector applied, PurgeCollectedFrontier());
  ASSIGN_OR_RETURN(Statement * held,
                   db_->Prepare("SELECT issuer, sequence FROM purge_orders WHERE sequence > 0 "
                                "ORDER BY issuer, sequence"));
  // Contiguous only: an order not held here breaks the run, since its
  // record may still be here.
  while (true) {
    ASSIGN_OR_RETURN(bool row, held->Step());
    if (!row) break;
    std::string issuer = held->Text(0);
    auto seq = static_cast<uint64_t>(held->Int(1));
    if (seq == applied.Get(issuer) + 1) applied.Set(issuer, seq);
  }
  held->Reset();
  return applied;
}

Status Store::CheckPurgeOrdersApplied(const VersionVector& applied, std::string_view source) {
  ASSIGN_OR_RETURN(VersionVector frontier, PurgeCollectedFrontier());
  std::string behind;
  for (const auto& e : frontier.entries()) {
    uint64_t theirs = applied.Get(e.first);
    if (theirs >= e.second) continue;
    if (!behind.empty()) behind += ", ";
    behind +=
        "orders " + std::to_string(theirs + 1) + ".." + std::to_string(e.second) + " of " + e.first;
  }
  if (behind.empty()) return Status::Ok();
  return FailedPrecondition(
      std::string(source) + " has not applied purge orders this node has collected (" + behind +
      "): it may still hold records erased everywhere, so nothing of it is taken. A bundle: "
      "ask its writer for a new one. A node: it must get those orders from a node that still "
      "holds them, or, restored from an old backup, start afresh (accord init) and sync");
}

Result<bool> Store::AdoptPurgeFrontier(const VersionVector& frontier) {
  {
    // A plain read first: a hello stays a read unless there is news.
    ASSIGN_OR_RETURN(VersionVector mine, PurgeCollectedFrontier());
    if (frontier.DominatedByOrEqual(mine)) return false;
  }
  ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_, Transaction::Mode::kWrite));
  ASSIGN_OR_RETURN(VersionVector mine, PurgeCollectedFrontier());
  if (frontier.DominatedByOrEqual(mine)) return false;
  // Holding no record at all, this node holds none of the collected ones.
  ASSIGN_OR_RETURN(Statement * any, db_->Prepare("SELECT 1 FROM records LIMIT 1"));
  ASSIGN_OR_RETURN(bool holds, any->Step());
  any->Reset();
  if (holds) return false;
  ASSIGN_OR_RETURN(Statement * raise,
                   db_->Prepare("INSERT INTO purge_collected(issuer, sequence) VALUES(?, ?) "
                                "ON CONFLICT(issuer) DO UPDATE SET sequence = "
                                "max(sequence, excluded.sequence)"));
  for (const auto& e : frontier.entries()) {
    if (!IsValidNodeId(e.first)) continue;
    RETURN_IF_ERROR(raise->Bind(1, e.first).Bind(2, static_cast<int64_t>(e.second)).Run());
  }
  RETURN_IF_ERROR(txn->Commit());
  return true;
}

Result<uint64_t> Store::NextOwnPurgeSequence() {
  ASSIGN_OR_RETURN(
      Statement * top,
      db_->Prepare("SELECT max(coalesce((SELECT max(sequence) FROM purge_orders "
                   "WHERE issuer = ?1), 0), coalesce((SELECT sequence FROM "
                   "purge_collected WHERE issuer = ?1), 0), coalesce((SELECT "
                   "max(sequence) FROM collected_purge_orders WHERE issuer = ?1), 0))"));
  top->Bind(1, node_id_);
  ASSIGN_OR_RETURN(bool row, top->Step());
  uint64_t last = row ? static_cast<uint64_t>(top->Int(0)) : 0;
  top->Reset();
  return last + 1;
}

Result<bool> Store::PurgeOrderCollected(const PurgeOrder& order) {
  if (order.sequence == 0) return false;
  ASSIGN_OR_RETURN(VersionVector frontier, PurgeCollectedFrontier());
  return order.sequence <= frontier.Get(order.issuer);
}

Status Store::CheckPurgeSequence(const PurgeOrder& order) {
  if (order.sequence == 0) return Status::Ok();
  ASSIGN_OR_RETURN(Statement * same,
                   db_->Prepare("SELECT record_id FROM purge_orders WHERE issuer = ? AND "
                                "sequence = ? AND record_id != ?"));
  same->Bind(1, order.issuer)
      .Bind(2, static_cast<int64_t>(order.sequence))
      .Bind(3, order.record_id);
  ASSIGN_OR_RETURN(bool clash, same->Step());
  std::string other = clash ? same->Text(0) : "";
  same->Reset();
  if (!clash) return Status::Ok();
  if (order.issuer == node_id_) {
    return FailedPrecondition("another purge (record " + other +
                              ") was issued here at the same moment; run this one again");
  }
  return PermissionDenied(order.issuer + " signed " + OrderName(order.issuer, order.sequence) +
                          " twice (records " + other + " and " + order.record_id +
                          "); the second is refused");
}

Result<PurgeCollection> Store::CollectPurgeOrders(bool dry_run) {
  PurgeCollection result;
  ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_, dry_run ? Transaction::Mode::kRead
                                                              : Transaction::Mode::kWrite));
  ASSIGN_OR_RETURN(VersionVector frontier, PurgeCollectedFrontier());
  ASSIGN_OR_RETURN(std::vector<std::string> mine, KnownNodes());
  ASSIGN_OR_RETURN(std::vector<PurgeOrder> orders, PurgeOrders());
  std::sort(orders.begin(), orders.end(), [](const PurgeOrder& a, const PurgeOrder& b) {
    return std::tie(a.issuer, a.sequence) < std::tie(b.issuer, b.sequence);
  });
  ASSIGN_OR_RETURN(Statement * acks_of, db_->Prepare("SELECT acker, known_nodes FROM purge_acks "
                                                     "WHERE record_id = ?"));
  std::map<std::string, uint64_t> stalled;  // issuer -> the order its run stopped at
  for (const PurgeOrder& o : orders) {
    if (o.sequence == 0) {
      result.waiting.push_back("record " + o.record_id + ": an order of " + o.issuer +
                               " from a build before tombstone collection; kept for good");
      continue;
    }
    const uint64_t done = frontier.Get(o.issuer);
    if (!stalled.count(o.issuer) && o.sequence > done + 1) stalled[o.issuer] = done + 1;
    if (stalled.count(o.issuer)) {
      result.waiting.push_back("record " + o.record_id + " (" + OrderName(o.issuer, o.sequence) +
                               "): waits for " + OrderName(o.issuer, stalled[o.issuer]) +
                               ", collected in the issuer's order");
      continue;
    }
    std::map<std::string, std::vector<std::string>> acked;
    acks_of->Bind(1, o.record_id);
    while (true) {
      ASSIGN_OR_RETURN(bool row, acks_of->Step());
      if (!row) break;
      acked[acks_of->Text(0)] = SplitLines(acks_of->Text(1));
    }
    acks_of->Reset();
    // This node applied the order (it holds it), and knows whom it knows now.
    acked[node_id_] = mine;
    // Every node known here, and every node known to a node that acknowledged:
    // whoever handed the record on knew whom it handed it to.
    std::set<std::string> needed(mine.begin(), mine.end());
    needed.insert(o.issuer);
    std::vector<std::string> todo(needed.begin(), needed.end());
    while (!todo.empty()) {
      std::string node = std::move(todo.back());
      todo.pop_back();
      auto it = acked.find(node);
      if (it == acked.end()) continue;
      for (const std::string& k : it->second) {
        if (needed.insert(k).second) todo.push_back(k);
      }
    }
    std::vector<std::string> missing;
    for (const std::string& n : needed) {
      if (!acked.count(n)) missing.push_back(n);
    }
    if (o.sequence <= done) missing.clear();  // covered by a frontier adopted from a peer
    if (!missing.empty()) {
      stalled[o.issuer] = o.sequence;
      std::string who;
      for (const std::string& m : missing) who += (who.empty() ? "" : ", ") + m;
      result.waiting.push_back("record " + o.record_id + " (" + OrderName(o.issuer, o.sequence) +
                               "): waits for the acknowledgement of " + who);
      continue;
    }
    CollectedPurge line{o.record_id, o.type,         o.issuer, o.sequence,
                        o.user,      o.issued_at_ms, o.reason, NowMs()};
    result.collected.push_back(line);
    frontier.Set(o.issuer, std::max(done, o.sequence));
    if (dry_run) continue;
    ASSIGN_OR_RETURN(Statement * audit,
                     db_->Prepare("INSERT OR REPLACE INTO collected_purge_orders(issuer, sequence, "
                                  "record_id, type, user, issued_at, reason, collected_at) "
                                  "VALUES(?, ?, ?, ?, ?, ?, ?, ?)"));
    RETURN_IF_ERROR(audit->Bind(1, o.issuer)
                        .Bind(2, static_cast<int64_t>(o.sequence))
                        .Bind(3, o.record_id)
                        .Bind(4, o.type)
                        .Bind(5, o.user)
                        .Bind(6, o.issued_at_ms)
                        .Bind(7, o.reason)
                        .Bind(8, line.collected_at_ms)
                        .Run());
    for (const char* table :
         {"purge_orders", "purge_order_peers", "purge_acks", "purge_ack_peers"}) {
      ASSIGN_OR_RETURN(Statement * drop,
                       db_->Prepare(std::string("DELETE FROM ") + table + " WHERE record_id = ?"));
      RETURN_IF_ERROR(drop->Bind(1, o.record_id).Run());
    }
    ASSIGN_OR_RETURN(Statement * raise,
                     db_->Prepare("INSERT INTO purge_collected(issuer, sequence) VALUES(?, ?) "
                                  "ON CONFLICT(issuer) DO UPDATE SET sequence = "
                                  "max(sequence, excluded.sequence)"));
    RETURN_IF_ERROR(raise->Bind(1, o.issuer).Bind(2, static_cast<int64_t>(o.sequence)).Run());
  }
  if (!dry_run) RETURN_IF_ERROR(txn->Commit());
  return result;
}

Result<std::vector<CollectedPurge>> Store::CollectedPurgeOrders() {
  ASSIGN_OR_RETURN(Statement * all,
                   db_->Prepare("SELECT record_id, type, issuer, sequence, user, issued_at, "
                                "reason, collected_at FROM collected_purge_orders ORDER BY "
                                "collected_at DESC, issuer, sequence"));
  std::vector<CollectedPurge> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, all->Step());
    if (!row) break;
    out.push_back({all->Text(0), all->Text(1), all->Text(2), static_cast<uint64_t>(all->Int(3)),
                   all->Text(4), all->Int(5), all->Text(6), all->Int(7)});
  }
  all->Reset();
  return out;
}

}  // namespace accord
