#include "sync/sync_session.h"

#include "core/peer_book.h"
#include "core/schema.h"
#include "sync/wire_codec.h"

namespace accord::sync {

namespace {

// One request/reply exchange; turns an ErrorReply or a reply of the wrong kind into a Status.
Result<wire::Envelope> Exchange(Transport& transport, std::string_view op, wire::Envelope& request,
                                const std::string& self, wire::Envelope::BodyCase expected,
                                uint64_t* error_cursor = nullptr) {
  ASSIGN_OR_RETURN(std::string frame, EncodeFrame(request, self));
  ASSIGN_OR_RETURN(std::string reply_bytes, transport.RoundTrip(op, frame));
  auto reply = DecodeFrame(reply_bytes);
  if (!reply.ok()) return reply.status().WithContext(std::string(op) + " reply: ");
  if (reply->has_error()) {
    if (error_cursor) *error_cursor = reply->error().cursor();
    return StatusFromError(reply->error(), reply->node_id());
  }
  if (reply->body_case() != expected) {
    return Corruption(std::string(op) + " reply carries the wrong kind of message");
  }
  return reply;
}

struct Hello {
  std::string peer_id;
  uint64_t push_cursor = 0;
  VersionVector peer_knowledge;
  // States of the peer's this node refused while pulling: told to the peer
  // with the next request, so its writer can fix them.
  std::vector<RefusedState> to_report;
};

Result<Hello> SayHello(Store& store, Transport& transport, const SyncOptions& options,
                       const Credentials& credentials) {
  wire::Envelope request;
  request.mutable_hello_request()->set_schema_version(
      static_cast<uint32_t>(Schema::Get().version()));
  request.mutable_hello_request()->set_certificate(credentials.signer->cert_pem());
  ASSIGN_OR_RETURN(wire::Envelope reply, Exchange(transport, kOpHello, request, store.node_id(),
                                                  wire::Envelope::kHelloReply));
  Hello hello;
  hello.peer_id = reply.node_id();
  if (hello.peer_id == store.node_id()) {
    return FailedPrecondition("the peer is this node itself (" + hello.peer_id + ")");
  }
  if (!options.expected_peer.empty() && hello.peer_id != options.expected_peer) {
    return PermissionDenied("expected peer " + options.expected_peer + " but " + hello.peer_id +
                            " answered");
  }
  // What this node may push to the peer depends on the party its
  // certificate names.
  RETURN_IF_ERROR(LearnPeerParty(store, *credentials.verifier, reply.hello_reply().certificate(),
                                 hello.peer_id));
  hello.push_cursor = reply.hello_reply().your_cursor();
  ASSIGN_OR_RETURN(hello.peer_knowledge, FromWire(reply.hello_reply().knowledge()));
  return hello;
}

void Note(SyncSummary& summary, const ApplyResult& applied) {
  summary.states_received += applied.received;
  summary.states_applied += applied.applied;
  summary.new_conflicts += applied.new_conflicts;
  summary.refused_here.insert(summary.refused_here.end(), applied.refused.begin(),
                              applied.refused.end());
  summary.disbelieved.insert(summary.disbelieved.end(), applied.disbelieved.begin(),
                             applied.disbelieved.end());
  summary.purged.insert(summary.purged.end(), applied.purged.begin(), applied.purged.end());
  summary.notices_ignored.insert(summary.notices_ignored.end(), applied.notices_ignored.begin(),
                                 applied.notices_ignored.end());
  summary.warnings.insert(summary.warnings.end(), applied.warnings.begin(), applied.warnings.end());
}

Status Pull(Store& store, Transport& transport, const SyncOptions& options,
            const Credentials& credentials, Hello& hello, SyncSummary& summary) {
  ASSIGN_OR_RETURN(PeerInfo peer, store.GetPeer(hello.peer_id));
  ASSIGN_OR_RETURN(VersionVector knowledge, store.Knowledge());
  uint64_t cursor = peer.inbound_cursor;
  while (true) {
    wire::Envelope request;
    auto* pull = request.mutable_pull_request();
    pull->set_cursor(cursor);
    pull->set_page_size(options.page_size);
    ToWire(knowledge, pull->mutable_knowledge());
    for (const auto& r : hello.to_report) ToWire(r, pull->add_refused());
    ASSIGN_OR_RETURN(wire::Envelope reply, Exchange(transport, kOpPull, request, store.node_id(),
                                                    wire::Envelope::kPullReply));
    hello.to_report.clear();
    const auto& page = reply.pull_reply();
    if (page.next_cursor() < cursor) {
      return Corruption("peer " + hello.peer_id + " moved the cursor backwards");
    }
    std::optional<VersionVector> vouched;
    if (page.done()) {
      ASSIGN_OR_RETURN(vouched, FromWire(page.knowledge()));
    }
    // Signatures are checked before the write lock is taken.
    ASSIGN_OR_RETURN(
        CheckedChanges checked,
        CheckSignedChanges(store, *credentials.verifier, page.signed_changes(), hello.peer_id));
    ASSIGN_OR_RETURN(auto batch, store.BeginRemoteBatch(hello.peer_id));
    RETURN_IF_ERROR(AddChecked(*batch, checked));
    if (vouched) RETURN_IF_ERROR(batch->MergeKnowledge(*vouched));
    RETURN_IF_ERROR(batch->SetCursor(page.next_cursor()));
    ASSIGN_OR_RETURN(ApplyResult applied, batch->Commit());
    summary.pages_pulled++;
    Note(summary, applied);
    hello.to_report = applied.refused;
    if (options.on_progress) {
      options.on_progress(
          {SyncProgress::Phase::kPull, summary.pages_pulled, summary.states_received});
    }
    cursor = page.next_cursor();
    if (page.done()) {
      // The peer holds what it vouched for, including writes it made while
      // we pulled: the push leaves those out instead of echoing them back.
      hello.peer_knowledge.MergeFrom(*vouched);
      return Status::Ok();
    }
  }
}

Status Push(Store& store, Transport& transport, const SyncOptions& options,
            const Credentials& credentials, Hello& hello, SyncSummary& summary) {
  // This node's own writes are signed before they first leave it.
  RETURN_IF_ERROR(SealPendingWrites(store, *credentials.signer));
  uint64_t cursor = hello.push_cursor;
  uint64_t from = cursor;  // where the next push starts: empty pages are coalesced into it
  bool resumed = false;
  // Only what the peer's party may hold (docs/sharing.md).
  const PageReader reader = ReaderFor(store, hello.peer_id);
  while (true) {
    ASSIGN_OR_RETURN(ChangePage page,
                     store.ReadChanges(cursor, options.page_size, hello.peer_knowledge, reader));
    // A page of states the peer already holds needs no round trip of its own:
    // read on, and the next push covers its range.
    if (page.states.empty() && page.left_scope.empty() && !page.done) {
      cursor = page.next_cursor;
      continue;
    }
    // Nothing new at all, nothing the peer lacks and nothing to tell it: save
    // a round trip.
    if (page.states.empty() && page.left_scope.empty() && page.done && page.next_cursor == from &&
        page.knowledge.DominatedByOrEqual(hello.peer_knowledge) && hello.to_report.empty()) {
      return Status::Ok();
    }
    wire::Envelope request;
    auto* push = request.mutable_push_request();
    push->set_from_cursor(from);
    push->set_next_cursor(page.next_cursor);
    RETURN_IF_ERROR(ProveStates(store, page.states, hello.peer_knowledge,
                                page.done ? &page.knowledge : nullptr,
                                push->mutable_signed_changes()));
    AddScopeExits(page.left_scope, push->mutable_signed_changes());
    push->set_done(page.done);
    if (page.done) ToWire(page.knowledge, push->mutable_knowledge());
    for (const auto& r : hello.to_report) ToWire(r, push->add_refused());
    uint64_t resume_at = 0;
    auto reply = Exchange(transport, kOpPush, request, store.node_id(), wire::Envelope::kPushReply,
                          &resume_at);
    if (!reply.ok()) {
      // The peer lost pages we thought it had (e.g. restored from a backup):
      // resume once from where it says it is.
      if (reply.status().code() == Code::kFailedPrecondition && !resumed && resume_at < from) {
        resumed = true;
        cursor = from = resume_at;
        continue;
      }
      return reply.status();
    }
    hello.to_report.clear();
    summary.pages_pushed++;
    summary.states_sent += page.states.size();
    summary.peer_new_conflicts += reply->push_reply().conflicts();
    std::vector<RefusedState> refused;
    for (const auto& r : reply->push_reply().refused()) refused.push_back(FromWire(r));
    if (!refused.empty()) {
      RETURN_IF_ERROR(store.RecordSentRefusals(hello.peer_id, refused));
      summary.refused_by_peer.insert(summary.refused_by_peer.end(), refused.begin(), refused.end());
    }
    if (options.on_progress) {
      options.on_progress({SyncProgress::Phase::kPush, summary.pages_pushed, summary.states_sent});
    }
    cursor = from = std::max(page.next_cursor, reply->push_reply().cursor());
    if (page.done) return Status::Ok();
  }
}

}  // namespace

Result<SyncSummary> RunSync(Store& store, Transport& transport, const Credentials& credentials,
                            const SyncOptions& options) {
  if (!credentials.signer || !credentials.verifier) {
    return InvalidArgument("a sync needs this node's key and the deployment CA");
  }
  SyncSummary summary;
  // Whether this node may purge what a peer says left its scope depends on
  // its own party: known before the first page arrives.
  RETURN_IF_ERROR(store.RecordNodeParty(store.node_id(), credentials.signer->party()));
  ASSIGN_OR_RETURN(Hello hello, SayHello(store, transport, options, credentials));
  summary.peer_id = hello.peer_id;
  RETURN_IF_ERROR(Pull(store, transport, options, credentials, hello, summary));
  RETURN_IF_ERROR(Push(store, transport, options, credentials, hello, summary));
  // What the peer held at hello, plus what we just gave it.
  VersionVector peer_knowledge = hello.peer_knowledge;
  ASSIGN_OR_RETURN(VersionVector ours, store.Knowledge());
  peer_knowledge.MergeFrom(ours);
  if (!options.peer_name.empty()) {
    RETURN_IF_ERROR(store.peers().BindNodeId(options.peer_name, hello.peer_id));
  }
  RETURN_IF_ERROR(store.RecordPeerContact(hello.peer_id, peer_knowledge));
  return summary;
}

}  // namespace accord::sync
