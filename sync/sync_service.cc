#include "sync/sync_service.h"

#include "core/schema.h"
#include "core/text_rule.h"
#include "sync/purge_ack.h"
#include "sync/purge_order.h"
#include "sync/signed_policy.h"
#include "sync/wire_codec.h"

namespace accord::sync {

namespace {

// Each empty page scanned up to 8 pages' worth of the log: 16 of them is
// ~130,000 log entries, under 0.1 s per request on the benchmark machine.
constexpr int kMaxEmptyPagesPerPull = 16;

ServiceReply ErrorReply(const Status& status, const std::string& self, uint64_t cursor = 0) {
  auto frame = EncodeError(status, self, cursor);
  if (!frame.ok()) return {frame.status().code(), ""};
  return {status.code(), std::move(frame).value()};
}

ServiceReply Reply(wire::Envelope& reply, const std::string& self) {
  auto frame = EncodeFrame(reply, self);
  if (!frame.ok()) return ErrorReply(frame.status(), self);
  return {Code::kOk, std::move(frame).value()};
}

}  // namespace

void SyncService::Log(const std::string& line) const {
  // Most lines carry what a peer sent (its refusal reasons, record ids,
  // purge orders): one line each, never a terminal's escape sequence.
  if (options_.log) options_.log(EscapeForLog(line));
}

ServiceReply SyncService::Handle(std::string_view op, std::string_view body,
                                 const std::string& authenticated_node) {
  const std::string& self = store_.node_id();
  auto decoded = DecodeFrame(body);
  if (!decoded.ok())
    return ErrorReply(decoded.status().WithContext(std::string(op) + " request: "), self);
  const wire::Envelope& request = *decoded;
  if (request.node_id() != authenticated_node) {
    return ErrorReply(
        PermissionDenied("request claims node " + request.node_id() +
                         " but the connection is authenticated as " + authenticated_node),
        self);
  }
  if (op == kOpHello && request.has_hello_request()) return Hello(request, authenticated_node);
  if (op == kOpPull && request.has_pull_request()) return Pull(request, authenticated_node);
  if (op == kOpPush && request.has_push_request()) return Push(request, authenticated_node);
  if (op == kOpFile && request.has_file_request()) return FileRequest(request, authenticated_node);
  if (op == kOpFileOffer && request.has_file_offer()) return FileOffer(request, authenticated_node);
  if (op == kOpFilePush && request.has_file_push()) return FilePush(request, authenticated_node);
  return ErrorReply(
      InvalidArgument("operation '" + std::string(op) + "' does not match the message it carries"),
      self);
}

ServiceReply SyncService::Hello(const wire::Envelope& request, const std::string& peer) {
  const std::string& self = store_.node_id();
  auto peer_state = store_.GetPeer(peer);
  auto knowledge = store_.Knowledge();
  if (!peer_state.ok()) return ErrorReply(peer_state.status(), self);
  if (!knowledge.ok()) return ErrorReply(knowledge.status(), self);
  uint32_t theirs = request.hello_request().schema_version();
  if (theirs != 0 && theirs != static_cast<uint32_t>(Schema::Get().version())) {
    Log("hello from " + peer + ": it knows schema version " + std::to_string(theirs) +
        ", this node " + std::to_string(Schema::Get().version()) +
        "; what either does not know is kept and passed on");
  }
  Status learnt =
      LearnPeerParty(store_, *credentials_.verifier, request.hello_request().certificate(), peer);
  if (!learnt.ok()) return ErrorReply(learnt, self);
  auto policy = TakePeerPolicy(request.hello_request(), peer);
  if (!policy.ok()) return ErrorReply(policy.status(), self);
  wire::Envelope reply;
  auto* hello = reply.mutable_hello_reply();
  // The asker judges with an older version: it takes this one before it
  // reads any page.
  hello->set_policy_version(static_cast<uint32_t>(policy->policy.version));
  if (policy->policy.version > PolicyVersionOf(request.hello_request().policy_version())) {
    hello->set_signed_policy(policy->signed_text);
  }
  // The purge orders the asker is not known to hold: it takes them before
  // it reads or pushes any page (docs/security.md, "Purge orders").
  auto orders = PurgeOrdersToSend(store_, peer);
  if (!orders.ok()) return ErrorReply(orders.status(), self);
  for (std::string& o : *orders) hello->add_purge_orders(std::move(o));
  // Tombstone collection (docs/security.md, "Collecting tombstones"): a new,
  // empty node takes the asker's collected frontier; the asker learns this
  // node's vectors (it refuses a node behind its frontier) and the
  // acknowledgements it lacks. The asker's pushes are checked at each push.
  // The asker's own vector is checked at each push: a new asker that holds
  // nothing takes this node's frontier from the reply first.
  const auto& asked = request.hello_request();
  auto frontier = FromWire(asked.purge_collected());
  auto applied = FromWire(asked.purge_orders_applied());
  if (!frontier.ok() || !applied.ok()) {
    return ErrorReply(InvalidArgument("the purge vectors of " + peer + "'s hello do not parse"),
                      self);
  }
  Status current = CheckThisNodeCurrent(store_, *applied, *frontier, "peer " + peer);
  if (!current.ok()) {
    Log("refused the hello of " + peer + ": " + current.message());
    return ErrorReply(current, self);
  }
  Status vectors = PurgeVectorsToWire(store_, hello->mutable_purge_orders_applied(),
                                      hello->mutable_purge_collected());
  if (!vectors.ok()) return ErrorReply(vectors, self);
  auto acks = PurgeAcksToSend(store_, *credentials_.signer, peer);
  if (!acks.ok()) return ErrorReply(acks.status(), self);
  for (PurgeAck& a : *acks) hello->add_purge_acks(std::move(a.signed_bytes));
  hello->set_certificate(credentials_.signer->cert_pem());
  hello->set_your_cursor(peer_state->inbound_cursor);
  ToWire(*knowledge, hello->mutable_knowledge());
  hello->set_schema_version(static_cast<uint32_t>(Schema::Get().version()));
  return Reply(reply, self);
}

Result<HeldPolicy> SyncService::TakePeerPolicy(const wire::HelloRequest& hello,
                                               const std::string& peer) {
  const int theirs = PolicyVersionOf(hello.policy_version());
  ASSIGN_OR_RETURN(HeldPolicy mine, store_.CurrentPolicy());
  if (theirs > mine.policy.version && hello.signed_policy().empty()) {
    return PermissionDenied(peer + " judges with sharing policy version " + std::to_string(theirs) +
                            " but did not send it; this node holds version " +
                            std::to_string(mine.policy.version));
  }
  if (theirs != mine.policy.version && !hello.signed_policy().empty()) {
    ASSIGN_OR_RETURN(std::optional<HeldPolicy> held, store_.PolicyVersion(theirs));
    if (!held) {
      auto taken = TakeSignedPolicy(store_, *credentials_.verifier, hello.signed_policy(),
                                    "sync with " + peer);
      if (!taken.ok() || taken->version != theirs) {
        Status why = taken.ok()
                         ? PermissionDenied("it announced version " + std::to_string(theirs) +
                                            " but sent version " + std::to_string(taken->version))
                         : taken.status();
        Log("refused the sharing policy " + peer + " sent: " + why.message());
        // A newer policy that cannot be believed stops the sync: this node
        // cannot tell what the peer may receive. An older one only goes unused.
        if (theirs > mine.policy.version) {
          return Status(why.code(), "the sharing policy " + peer + " sent (version " +
                                        std::to_string(theirs) + ") is refused: " + why.message() +
                                        "; this node keeps version " +
                                        std::to_string(mine.policy.version));
        }
      } else if (taken->outcome == PolicyInstall::kInstalled) {
        Log("sharing policy version " + std::to_string(theirs) + " taken from " + peer +
            " (it replaces version " + std::to_string(mine.policy.version) + ")");
        ASSIGN_OR_RETURN(mine, store_.CurrentPolicy());
      }
    }
  }
  // Written only when it rose, so that a hello stays a read (it waits for no
  // apply holding the write lock) but once per new version.
  ASSIGN_OR_RETURN(PeerInfo known, store_.GetPeer(peer));
  if (known.policy_version < theirs) RETURN_IF_ERROR(store_.RecordPeerPolicyVersion(peer, theirs));
  return mine;
}

ServiceReply SyncService::Pull(const wire::Envelope& request, const std::string& peer) {
  const std::string& self = store_.node_id();
  const auto& pull = request.pull_request();
  std::vector<RefusedState> refused;
  for (const auto& r : pull.refused()) refused.push_back(FromWire(r));
  if (!refused.empty()) {
    for (const auto& r : refused) {
      Log(peer + " refused record " + r.record_id + " field " + r.field + " by " + r.origin + ": " +
          r.reason);
    }
    Status noted = store_.RecordSentRefusals(peer, refused);
    if (!noted.ok()) return ErrorReply(noted, self);
  }
  auto peer_knowledge = FromWire(pull.knowledge());
  if (!peer_knowledge.ok())
    return ErrorReply(peer_knowledge.status().WithContext("pull knowledge: "), self);
  // What the puller says it holds: what `accord get` shows of who holds a
  // record, and the base of a bundle made for it. Only ever believed for
  // what to leave out of what goes to it. Written when it changed (once a
  // sync), so that pulls stay reads.
  auto known = store_.GetPeer(peer);
  if (!known.ok()) return ErrorReply(known.status(), self);
  if (!(known->their_knowledge == *peer_knowledge)) {
    Status contact = store_.RecordPeerContact(peer, *peer_knowledge);
    if (!contact.ok()) return ErrorReply(contact, self);
  }
  // The puller's purge orders, before the page is read; and the orders of
  // this node's hello reply that the puller now holds.
  PurgeOrdersTaken orders;
  if (!pull.purge_orders().empty()) {
    auto taken = TakePurgeOrders(
        store_, *credentials_.verifier,
        std::vector<std::string>(pull.purge_orders().begin(), pull.purge_orders().end()), peer);
    if (!taken.ok()) return ErrorReply(taken.status(), self);
    orders = std::move(taken).value();
    for (const PurgeOrder& o : orders.taken) {
      Log("took the purge order of " + (o.user.empty() ? std::string("no user") : o.user) + " on " +
          o.issuer + " for " + o.type + " " + o.record_id + " from " + peer + ": " + o.reason);
    }
    for (const auto& [id, why] : orders.refused) {
      Log("refused a purge order from " + peer + " (record " + id + "): " + why);
    }
    for (const auto& line : orders.warnings) Log(line);
  }
  if (!pull.purge_acks().empty()) {
    auto taken = TakePurgeAcks(
        store_, *credentials_.verifier,
        std::vector<std::string>(pull.purge_acks().begin(), pull.purge_acks().end()), peer);
    if (!taken.ok()) return ErrorReply(taken.status(), self);
    for (const auto& why : taken->refused) Log("refused a purge acknowledgement: " + why);
  }
  // The acknowledgements of this node's hello reply the puller verified:
  // not sent to it again. Only ones held here are noted, at most one
  // exchange's worth.
  if (!pull.purge_acks_held().empty()) {
    std::vector<std::pair<std::string, std::string>> held;
    for (const auto& h : pull.purge_acks_held()) {
      if (held.size() >= kMaxPurgeAcksPerExchange) break;
      held.emplace_back(h.record_id(), h.acker());
    }
    Status noted = store_.NotePurgeAcksHeld(peer, held);
    if (!noted.ok()) return ErrorReply(noted, self);
  }
  if (!pull.purge_orders_held().empty()) {
    Status noted = store_.NotePurgeOrdersHeld(
        peer,
        std::vector<std::string>(pull.purge_orders_held().begin(), pull.purge_orders_held().end()));
    if (!noted.ok()) return ErrorReply(noted, self);
  }
  size_t page = pull.page_size() == 0
                    ? options_.max_page_states
                    : std::min<size_t>(pull.page_size(), options_.max_page_states);
  // This node's own writes are signed before they first leave it.
  Status sealed = SealPendingWrites(store_, *credentials_.signer);
  if (!sealed.ok()) return ErrorReply(sealed, self);
  // Only what the puller's party may hold (docs/sharing.md).
  PageReader reader = ReaderFor(store_, peer);
  // The version the puller judges with now (it may have taken this node's
  // at hello): an older one gets only what both versions allow.
  reader.policy_version = PolicyVersionOf(pull.policy_version());
  if (known->policy_version < reader.policy_version) {
    Status noted = store_.RecordPeerPolicyVersion(peer, reader.policy_version);
    if (!noted.ok()) return ErrorReply(noted, self);
  }
  auto changes =
      ReadSealedChanges(store_, *credentials_.signer, pull.cursor(), page, *peer_knowledge, reader);
  // A stretch of the log the puller already holds costs it no round trip
  // per page: read on, within a bound so one request stays short.
  for (int more = 0; more < kMaxEmptyPagesPerPull && changes.ok() && changes->states.empty() &&
                     changes->left_scope.empty() && !changes->done;
       ++more) {
    changes = ReadSealedChanges(store_, *credentials_.signer, changes->next_cursor, page,
                                *peer_knowledge, reader);
  }
  if (!changes.ok()) return ErrorReply(changes.status(), self);
  wire::Envelope reply;
  auto* out = reply.mutable_pull_reply();
  Status proved =
      ProveStates(store_, changes->states, *peer_knowledge,
                  changes->done ? &changes->knowledge : nullptr, out->mutable_signed_changes());
  if (!proved.ok()) return ErrorReply(proved, self);
  AddScopeExits(changes->left_scope, out->mutable_signed_changes());
  out->set_purge_orders_seen(static_cast<uint32_t>(
      std::min<size_t>(pull.purge_orders_size(), kMaxPurgeOrdersPerExchange)));
  out->set_purge_acks_seen(
      static_cast<uint32_t>(std::min<size_t>(pull.purge_acks_size(), kMaxPurgeAcksPerExchange)));
  for (const auto& [id, why] : orders.refused) {
    auto* r = out->add_purge_orders_refused();
    r->set_record_id(id);
    r->set_reason(why);
  }
  out->set_next_cursor(changes->next_cursor);
  out->set_done(changes->done);
  if (changes->done) ToWire(changes->knowledge, out->mutable_knowledge());
  return Reply(reply, self);
}

ServiceReply SyncService::Push(const wire::Envelope& request, const std::string& peer) {
  const std::string& self = store_.node_id();
  const auto& push = request.push_request();
  auto peer_state = store_.GetPeer(peer);
  if (!peer_state.ok()) return ErrorReply(peer_state.status(), self);
  // A page that starts beyond what was applied would leave a hole in the log.
  if (push.from_cursor() > peer_state->inbound_cursor) {
    return ErrorReply(
        FailedPrecondition("push starts after sequence " + std::to_string(push.from_cursor()) +
                           " but only " + std::to_string(peer_state->inbound_cursor) +
                           " was applied; resume from there"),
        self, peer_state->inbound_cursor);
  }
  if (push.next_cursor() < push.from_cursor()) {
    return ErrorReply(InvalidArgument("push page ends before it starts"), self);
  }
  // A pusher that has not applied an order whose tombstone is collected here
  // may push that record's states: nothing of it is taken.
  auto pusher_applied = FromWire(push.purge_orders_applied());
  if (!pusher_applied.ok()) {
    return ErrorReply(pusher_applied.status().WithContext("push purge orders applied: "), self);
  }
  Status current = store_.CheckPurgeOrdersApplied(*pusher_applied, peer);
  if (!current.ok()) {
    Log("refused the push of " + peer + ": " + current.message());
    return ErrorReply(current, self);
  }
  std::vector<RefusedState> theirs;
  for (const auto& r : push.refused()) theirs.push_back(FromWire(r));
  if (!theirs.empty()) {
    Status noted = store_.RecordSentRefusals(peer, theirs);
    if (!noted.ok()) return ErrorReply(noted, self);
  }
  std::optional<VersionVector> knowledge;
  if (push.done()) {
    auto k = FromWire(push.knowledge());
    if (!k.ok()) return ErrorReply(k.status().WithContext("push knowledge: "), self);
    knowledge = std::move(k).value();
  }
  // Signatures are checked before the write lock is taken.
  auto checked = CheckSignedChanges(store_, *credentials_.verifier, push.signed_changes(), peer);
  if (!checked.ok()) return ErrorReply(checked.status(), self);
  auto batch = store_.BeginRemoteBatch(peer);
  if (!batch.ok()) return ErrorReply(batch.status(), self);
  Status added = AddChecked(**batch, *checked);
  if (added.ok() && knowledge) added = (*batch)->MergeKnowledge(*knowledge);
  if (added.ok()) added = (*batch)->SetCursor(push.next_cursor());
  if (!added.ok()) return ErrorReply(added, self);
  auto applied = (*batch)->Commit();
  if (!applied.ok()) return ErrorReply(applied.status(), self);
  for (const auto& r : applied->refused) {
    Log("refused record " + r.record_id + " field " + r.field + " by " + r.origin + " from " +
        peer + ": " + r.reason);
  }
  for (const auto& claim : applied->disbelieved) Log("not believed: " + claim);
  for (const auto& p : applied->purged) {
    Log("purged " + p.type + " " + p.record_id + " on the word of " + p.notice_from + ": " +
        p.reason);
  }
  for (const auto& line : applied->notices_ignored) Log(line);
  for (const auto& line : applied->warnings) Log(line);
  wire::Envelope reply;
  auto* out = reply.mutable_push_reply();
  out->set_cursor(std::max<uint64_t>(peer_state->inbound_cursor, push.next_cursor()));
  out->set_applied(static_cast<uint32_t>(applied->applied));
  out->set_conflicts(static_cast<uint32_t>(applied->new_conflicts));
  for (const auto& r : applied->refused) ToWire(r, out->add_refused());
  return Reply(reply, self);
}

}  // namespace accord::sync
