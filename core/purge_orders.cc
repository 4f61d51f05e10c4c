// Purge orders (docs/security.md, "Purge orders"): an erasure that travels.
// A node takes a verified order by erasing the record with the purge that a
// record leaving this node's scope gets (core/scope_exit.cc), and keeps the
// order as the record's tombstone, which refuses its old states from then on.
#include "core/record_id.h"
#include "core/store.h"
#include "core/text_rule.h"
#include "core/time_format.h"
#include "core/users.h"

namespace accord {

namespace {

constexpr char kOrderColumns[] =
    "record_id, type, issuer, user, issued_at, reason, signed, received_from, taken_at, sequence";

PurgeOrder ReadOrder(Statement& stmt) {
  PurgeOrder order;
  order.record_id = stmt.Text(0);
  order.type = stmt.Text(1);
  order.issuer = stmt.Text(2);
  order.user = stmt.Text(3);
  order.issued_at_ms = stmt.Int(4);
  order.reason = stmt.Text(5);
  order.signed_bytes = stmt.Blob(6);
  order.received_from = stmt.Text(7);
  order.taken_at_ms = stmt.Int(8);
  order.sequence = static_cast<uint64_t>(stmt.Int(9));
  return order;
}

Result<std::vector<PurgeOrder>> ReadOrders(Statement& stmt) {
  std::vector<PurgeOrder> orders;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    orders.push_back(ReadOrder(stmt));
  }
  stmt.Reset();
  return orders;
}

// What purged_records keeps as the reason: who, where and why.
std::string TombstoneReason(const PurgeOrder& order) {
  return "purge order of " + (order.user.empty() ? std::string("no user") : order.user) + " on " +
         order.issuer + ": " + order.reason;
}

Status CheckReason(std::string_view reason) {
  if (reason.empty()) {
    return InvalidArgument("a purge needs a reason (--reason), kept in its tombstone");
  }
  if (reason.size() > kMaxPurgeReasonBytes) {
    return InvalidArgument("the reason of a purge is longer than " +
                           std::to_string(kMaxPurgeReasonBytes) + " bytes");
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> NormalizePurgeReason(std::string_view reason) {
  RETURN_IF_ERROR(CheckReason(reason));
  auto normalized = NormalizeText(reason, /*long_text=*/false);
  if (!normalized.ok()) {
    return InvalidArgument("the reason of a purge " + normalized.status().message());
  }
  RETURN_IF_ERROR(CheckReason(*normalized));
  return normalized;
}

std::string DescribePurge(const PurgeOrder& order) {
  return "purged by " + (order.user.empty() ? std::string("no user") : order.user) + " on " +
         order.issuer + " at " + FormatUtcMs(order.issued_at_ms) + ": " + order.reason;
}

Result<PurgeOrder> Store::PreparePurge(std::string_view record_id, std::string_view given) {
  ASSIGN_OR_RETURN(std::string reason, NormalizePurgeReason(given));
  ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_, Transaction::Mode::kRead));
  ASSIGN_OR_RETURN(std::optional<PurgeOrder> before, FindPurgeOrder(record_id));
  if (before) {
    return FailedPrecondition("record " + std::string(record_id) + " was purged already");
  }
  ASSIGN_OR_RETURN(std::optional<std::string> type, RecordType(record_id));
  if (!type) return NotFound("no record " + std::string(record_id) + " on this node");
  PurgeOrder order;
  ASSIGN_OR_RETURN(order.user, AuthorFor(kRightPurge));
  order.record_id = std::string(record_id);
  order.type = *type;
  order.issuer = node_id_;
  order.issued_at_ms = NowMs();
  order.reason = std::move(reason);
  ASSIGN_OR_RETURN(order.sequence, NextOwnPurgeSequence());
  return order;
}

Result<PurgeOrderOutcome> Store::ApplyPurgeOrder(const PurgeOrder& order,
                                                 std::string_view from_peer,
                                                 std::string_view issuer_party) {
  const std::string& id = order.record_id;
  if (!IsValidRecordId(id)) return InvalidArgument("a purge order names a malformed record id");
  RETURN_IF_ERROR(CheckReason(order.reason));
  if (order.signed_bytes.empty()) return InvalidArgument("a purge order must be signed");
  const bool own = from_peer.empty();
  if (own && order.issuer != node_id_) {
    return InvalidArgument("an order of this node's must name it as issuer");
  }
  PurgeOrderOutcome outcome;
  ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_, Transaction::Mode::kWrite));
  ASSIGN_OR_RETURN(Statement * held_by,
                   db_->Prepare("INSERT OR IGNORE INTO purge_order_peers(record_id, peer) "
                                "VALUES(?, ?)"));
  ASSIGN_OR_RETURN(std::optional<PurgeOrder> before, FindPurgeOrder(id));
  ASSIGN_OR_RETURN(bool collected, PurgeOrderCollected(order));
  if (before || collected) {
    // Collected here already: its record is kept out by the frontier.
    outcome.already_held = true;
    if (!own) RETURN_IF_ERROR(held_by->Bind(1, id).Bind(2, from_peer).Run());
    RETURN_IF_ERROR(txn->Commit());
    return outcome;
  }
  if (own) {
    // The right is checked again in the transaction that erases: the user
    // may have been disabled since the order was prepared.
    ASSIGN_OR_RETURN(std::string user, AuthorFor(kRightPurge));
    if (user != order.user) {
      return PermissionDenied("the order names user '" + order.user + "' but '" + user +
                              "' is acting");
    }
  }
  RETURN_IF_ERROR(CheckPurgeSequence(order));
  ASSIGN_OR_RETURN(std::optional<std::string> type, RecordType(id));
  if (type) {
    if (*type != order.type) {
      return FailedPrecondition("the order erases a " + order.type + " but record " + id +
                                " is a " + *type + " here");
    }
    if (!own) {
      // A certificate says who the issuer is, not that it may erase
      // anything: only a record its party may hold (docs/security.md).
      RETURN_IF_ERROR(RefreshPolicy());
      ScopeCache cache;
      auto scope = ScopeOfCached(id, cache, 0);
      if (!scope.ok() && unlocked()) return scope.status();
      if (scope.ok() && !scope->Allows(issuer_party) &&
          scope->owner_party != std::string(issuer_party)) {
        return PermissionDenied(order.issuer + " (party " +
                                (issuer_party.empty() ? "none" : std::string(issuer_party)) +
                                ") may not hold " + *type + " " + id + " (" + scope->reason +
                                "), so this node does not take its order to erase it");
      }
    }
    RETURN_IF_ERROR(Purge(id, own ? node_id_ : std::string(from_peer), TombstoneReason(order),
                          NowMs(), outcome.purged, {}, /*with_followers=*/false));
    outcome.record_held = true;
  }
  ASSIGN_OR_RETURN(Statement * keep,
                   db_->Prepare(std::string("INSERT INTO purge_orders(") + kOrderColumns +
                                ") VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  RETURN_IF_ERROR(keep->Bind(1, id)
                      .Bind(2, order.type)
                      .Bind(3, order.issuer)
                      .Bind(4, order.user)
                      .Bind(5, order.issued_at_ms)
                      .Bind(6, order.reason)
                      .BindBlob(7, order.signed_bytes)
                      .Bind(8, std::string(from_peer))
                      .Bind(9, NowMs())
                      .Bind(10, static_cast<int64_t>(order.sequence))
                      .Run());
  if (!own) RETURN_IF_ERROR(held_by->Bind(1, id).Bind(2, from_peer).Run());
  if (order.issuer != node_id_ && order.issuer != from_peer) {
    RETURN_IF_ERROR(held_by->Bind(1, id).Bind(2, order.issuer).Run());
  }
  RETURN_IF_ERROR(txn->Commit());
  if (outcome.record_held) {
    Status emptied = EmptyWalAfterPurge();
    if (!emptied.ok()) outcome.warning = emptied.message();
  }
  return outcome;
}

Result<std::optional<PurgeOrder>> Store::FindPurgeOrder(std::string_view record_id) {
  ASSIGN_OR_RETURN(Statement * find, db_->Prepare(std::string("SELECT ") + kOrderColumns +
                                                  " FROM purge_orders WHERE record_id = ?"));
  find->Bind(1, record_id);
  ASSIGN_OR_RETURN(std::vector<PurgeOrder> found, ReadOrders(*find));
  if (found.empty()) return std::optional<PurgeOrder>();
  return std::optional<PurgeOrder>(std::move(found.front()));
}

Result<std::vector<PurgeOrder>> Store::PurgeOrders() {
  ASSIGN_OR_RETURN(Statement * all,
                   db_->Prepare(std::string("SELECT ") + kOrderColumns +
                                " FROM purge_orders ORDER BY taken_at DESC, record_id"));
  return ReadOrders(*all);
}

Result<std::vector<PurgeOrder>> Store::PurgeOrdersFor(std::string_view peer, size_t max) {
  ASSIGN_OR_RETURN(Statement * pending,
                   db_->Prepare(std::string("SELECT ") + kOrderColumns +
                                " FROM purge_orders o WHERE o.issuer != ?1 AND NOT EXISTS "
                                "(SELECT 1 FROM purge_order_peers p WHERE p.record_id = "
                                "o.record_id AND p.peer = ?1) ORDER BY taken_at, record_id "
                                "LIMIT ?2"));
  pending->Bind(1, peer).Bind(2, static_cast<int64_t>(max));
  return ReadOrders(*pending);
}

Status Store::NotePurgeOrdersHeld(std::string_view peer,
                                  const std::vector<std::string>& record_ids) {
  if (record_ids.empty()) return Status::Ok();
  ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_, Transaction::Mode::kWrite));
  // Only orders held here: a peer cannot fill the table with names.
  ASSIGN_OR_RETURN(Statement * note,
                   db_->Prepare("INSERT OR IGNORE INTO purge_order_peers(record_id, peer) "
                                "SELECT record_id, ? FROM purge_orders WHERE record_id = ?"));
  for (const std::string& id : record_ids) {
    RETURN_IF_ERROR(note->Bind(1, peer).Bind(2, id).Run());
  }
  return txn->Commit();
}

}  // namespace accord
