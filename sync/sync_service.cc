#include "sync/sync_service.h"

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

ServiceReply SyncService::Handle(std::string_view op, std::string_view body,
                                 const std::string& authenticated_node) {
  const std::string& self = store_.node_id();
  auto decoded = DecodeFrame(body);
  if (!decoded.ok())
    return ErrorReply(decoded.status().WithContext(std::string(op) + " request: "), self);
  wire::Envelope& request = *decoded;
  if (request.node_id() != authenticated_node) {
    return ErrorReply(
        PermissionDenied("request claims node " + request.node_id() +
                         " but the connection is authenticated as " + authenticated_node),
        self);
  }
  const std::string& peer = authenticated_node;
  wire::Envelope reply;

  if (op == kOpHello && request.has_hello_request()) {
    auto peer_state = store_.GetPeer(peer);
    auto knowledge = store_.Knowledge();
    if (!peer_state.ok()) return ErrorReply(peer_state.status(), self);
    if (!knowledge.ok()) return ErrorReply(knowledge.status(), self);
    auto* hello = reply.mutable_hello_reply();
    hello->set_your_cursor(peer_state->inbound_cursor);
    ToWire(*knowledge, hello->mutable_knowledge());
    return Reply(reply, self);
  }

  if (op == kOpPull && request.has_pull_request()) {
    const auto& pull = request.pull_request();
    auto peer_knowledge = FromWire(pull.knowledge());
    if (!peer_knowledge.ok())
      return ErrorReply(peer_knowledge.status().WithContext("pull knowledge: "), self);
    size_t page = pull.page_size() == 0
                      ? options_.max_page_states
                      : std::min<size_t>(pull.page_size(), options_.max_page_states);
    auto changes = store_.ReadChanges(pull.cursor(), page, *peer_knowledge);
    // A stretch of the log the puller already holds costs it no round trip
    // per page: read on, within a bound so one request stays short.
    for (int more = 0;
         more < kMaxEmptyPagesPerPull && changes.ok() && changes->states.empty() && !changes->done;
         ++more) {
      changes = store_.ReadChanges(changes->next_cursor, page, *peer_knowledge);
    }
    if (!changes.ok()) return ErrorReply(changes.status(), self);
    auto* out = reply.mutable_pull_reply();
    for (const auto& v : changes->states) ToWire(v, out->mutable_changes()->add_states());
    out->set_next_cursor(changes->next_cursor);
    out->set_done(changes->done);
    if (changes->done) ToWire(changes->knowledge, out->mutable_knowledge());
    return Reply(reply, self);
  }

  if (op == kOpPush && request.has_push_request()) {
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
    std::vector<FieldVersion> states;
    states.reserve(push.changes().states_size());
    for (int i = 0; i < push.changes().states_size(); ++i) {
      auto v = FromWire(push.changes().states(i));
      if (!v.ok()) {
        return ErrorReply(v.status().WithContext("push state #" + std::to_string(i + 1) + ": "),
                          self);
      }
      states.push_back(std::move(v).value());
    }
    std::optional<VersionVector> knowledge;
    if (push.done()) {
      auto k = FromWire(push.knowledge());
      if (!k.ok()) return ErrorReply(k.status().WithContext("push knowledge: "), self);
      knowledge = std::move(k).value();
    }
    auto applied =
        store_.ApplyRemote(states, peer, push.next_cursor(), knowledge ? &*knowledge : nullptr);
    if (!applied.ok()) return ErrorReply(applied.status(), self);
    auto* out = reply.mutable_push_reply();
    out->set_cursor(std::max<uint64_t>(peer_state->inbound_cursor, push.next_cursor()));
    out->set_applied(static_cast<uint32_t>(applied->applied));
    out->set_conflicts(static_cast<uint32_t>(applied->new_conflicts));
    return Reply(reply, self);
  }

  return ErrorReply(
      InvalidArgument("operation '" + std::string(op) + "' does not match the message it carries"),
      self);
}

}  // namespace accord::sync
