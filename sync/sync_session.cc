#include "sync/sync_session.h"

#include <future>
#include <memory>
#include <optional>

#include "core/peer_book.h"
#include "core/schema.h"
#include "sync/file_transfer.h"
#include "sync/page_check.h"
#include "sync/pull_prefetcher.h"
#include "sync/purge_ack.h"
#include "sync/purge_order.h"
#include "sync/round_trip.h"
#include "sync/signed_policy.h"
#include "sync/wire_codec.h"

namespace accord::sync {

// One request/reply exchange; turns an ErrorReply or a reply of the wrong kind into a Status.
Result<wire::Envelope> Exchange(Transport& transport, std::string_view op, wire::Envelope& request,
                                const std::string& self, wire::Envelope::BodyCase expected,
                                uint64_t* error_cursor) {
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

namespace {

struct Hello {
  std::string peer_id;
  uint64_t push_cursor = 0;
  // What the peer holds as it would vouch for itself: its knowledge at
  // hello, then what it vouched for at the end of the pull, then this
  // node's writes the push gave it.
  VersionVector peer_knowledge;
  // States of the peer's this node refused while pulling: told to the peer
  // with the next request, so its writer can fix them.
  std::vector<RefusedState> to_report;
  // The sharing policy version this node judges with after hello (it may
  // have taken the peer's), told with every pull.
  int policy_version = 1;
  // Purge orders: the records whose orders the hello reply brought (held
  // here now, or refused for good), and this node's orders the peer is not
  // known to hold; both go with the first pull.
  std::vector<std::string> orders_answered;
  std::vector<PurgeOrder> orders_to_send;
  // Acknowledgements of purge orders the peer is not known to hold: with
  // the first pull too.
  std::vector<PurgeAck> acks_to_send;
  std::vector<std::pair<std::string, std::string>> acks_answered;
};

void NoteOrders(SyncSummary& summary, PurgeOrdersTaken taken) {
  for (auto& o : taken.taken) summary.purge_orders_taken.push_back(std::move(o));
  for (auto& [id, why] : taken.refused) {
    summary.purge_orders_refused.push_back((id == "?" ? "" : "record " + id + ": ") + why);
  }
  summary.purged.insert(summary.purged.end(), taken.purged.begin(), taken.purged.end());
  summary.warnings.insert(summary.warnings.end(), taken.warnings.begin(), taken.warnings.end());
}

// Takes the peer's sharing policy when it is newer than this node's, before
// any page is read, so both sides judge with the same version (docs/sharing.md,
// "Replacing the policy"); records the version the peer holds.
Status TakePeerPolicy(Store& store, const Credentials& credentials, const wire::HelloReply& reply,
                      const std::string& peer, int mine, Hello& hello, SyncSummary& summary) {
  const int theirs = PolicyVersionOf(reply.policy_version());
  hello.policy_version = mine;
  if (theirs > mine) {
    if (reply.signed_policy().empty()) {
      return PermissionDenied(peer + " judges with sharing policy version " +
                              std::to_string(theirs) + " but did not send it; this node holds " +
                              std::to_string(mine));
    }
    auto taken =
        TakeSignedPolicy(store, *credentials.verifier, reply.signed_policy(), "sync with " + peer);
    Status refused = !taken.ok() ? taken.status()
                     : taken->version != theirs
                         ? PermissionDenied("it announced version " + std::to_string(theirs) +
                                            " but sent version " + std::to_string(taken->version))
                         : Status::Ok();
    if (!refused.ok()) {
      return Status(refused.code(),
                    "the sharing policy " + peer + " sent (version " + std::to_string(theirs) +
                        ") is refused: " + refused.message() + "; this node keeps version " +
                        std::to_string(mine) + " and synced nothing");
    }
    if (taken->outcome == PolicyInstall::kInstalled) summary.policy_taken = theirs;
    hello.policy_version = theirs;
  }
  return store.RecordPeerPolicyVersion(peer, theirs);
}

Result<Hello> SayHello(Store& store, Transport& transport, const SyncOptions& options,
                       const Credentials& credentials, SyncSummary& summary) {
  ASSIGN_OR_RETURN(HeldPolicy policy, store.CurrentPolicy());
  wire::Envelope request;
  request.mutable_hello_request()->set_schema_version(
      static_cast<uint32_t>(Schema::Get().version()));
  request.mutable_hello_request()->set_certificate(credentials.signer->cert_pem());
  request.mutable_hello_request()->set_policy_version(static_cast<uint32_t>(policy.policy.version));
  request.mutable_hello_request()->set_signed_policy(policy.signed_text);
  RETURN_IF_ERROR(
      PurgeVectorsToWire(store, request.mutable_hello_request()->mutable_purge_orders_applied(),
                         request.mutable_hello_request()->mutable_purge_collected()));
  ASSIGN_OR_RETURN(wire::Envelope reply, Exchange(transport, kOpHello, request, store.node_id(),
                                                  wire::Envelope::kHelloReply));
  Hello hello;
  hello.peer_id = reply.node_id();
  // Everything below is filed under this id (knowledge, cursors, party,
  // what may be pushed), so it must be the node the transport proved, not
  // whatever the reply says (docs/security.md, "A certificate holder").
  const std::string authenticated = transport.AuthenticatedPeer();
  if (!authenticated.empty() && hello.peer_id != authenticated) {
    return PermissionDenied("the hello reply names node " + hello.peer_id +
                            " but the server's certificate names " + authenticated +
                            ": nothing was synced");
  }
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
  RETURN_IF_ERROR(TakePeerPolicy(store, credentials, reply.hello_reply(), hello.peer_id,
                                 policy.policy.version, hello, summary));
  // The peer's purge orders before any page: a record it erased is erased
  // here before this node pushes (docs/security.md, "Purge orders").
  const auto& sent = reply.hello_reply().purge_orders();
  ASSIGN_OR_RETURN(
      PurgeOrdersTaken taken,
      TakePurgeOrders(store, *credentials.verifier,
                      std::vector<std::string>(sent.begin(), sent.end()), hello.peer_id));
  hello.orders_answered = taken.answered;
  NoteOrders(summary, std::move(taken));
  ASSIGN_OR_RETURN(hello.orders_to_send,
                   store.PurgeOrdersFor(hello.peer_id, kMaxPurgeOrdersPerExchange));
  // Tombstone collection (docs/security.md, "Collecting tombstones"): the
  // peer's acknowledgements; then nothing is pulled or pushed with a peer
  // that has not applied an order whose tombstone is collected here.
  const auto& acks = reply.hello_reply().purge_acks();
  ASSIGN_OR_RETURN(
      PurgeAcksTaken acks_taken,
      TakePurgeAcks(store, *credentials.verifier,
                    std::vector<std::string>(acks.begin(), acks.end()), hello.peer_id));
  summary.purge_acks_refused = std::move(acks_taken.refused);
  hello.acks_answered = std::move(acks_taken.answered);
  RETURN_IF_ERROR(CheckPurgeSource(store, reply.hello_reply().purge_orders_applied(),
                                   reply.hello_reply().purge_collected(), "peer " + hello.peer_id));
  ASSIGN_OR_RETURN(hello.acks_to_send, PurgeAcksToSend(store, *credentials.signer, hello.peer_id));
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

// The first pull request of a session, at `cursor`: with the purge orders
// and acks of the hello, and the refusals not yet reported.
wire::Envelope FirstPullRequest(uint64_t cursor, const SyncOptions& options,
                                const VersionVector& knowledge, Hello& hello) {
  wire::Envelope request;
  auto* pull = request.mutable_pull_request();
  for (const PurgeOrder& o : hello.orders_to_send) pull->add_purge_orders(o.signed_bytes);
  for (const std::string& id : hello.orders_answered) pull->add_purge_orders_held(id);
  for (const PurgeAck& a : hello.acks_to_send) pull->add_purge_acks(a.signed_bytes);
  for (const auto& [id, acker] : hello.acks_answered) {
    auto* held = pull->add_purge_acks_held();
    held->set_record_id(id);
    held->set_acker(acker);
  }
  pull->set_cursor(cursor);
  pull->set_policy_version(static_cast<uint32_t>(hello.policy_version));
  pull->set_page_size(options.page_size);
  ToWire(knowledge, pull->mutable_knowledge());
  for (const auto& r : hello.to_report) ToWire(r, pull->add_refused());
  hello.to_report.clear();
  return request;
}

Status Pull(Store& store, Transport& transport, const SyncOptions& options,
            const Credentials& credentials, Hello& hello, SyncSummary& summary) {
  ASSIGN_OR_RETURN(PeerInfo peer, store.GetPeer(hello.peer_id));
  ASSIGN_OR_RETURN(VersionVector knowledge, store.Knowledge());
  uint64_t cursor = peer.inbound_cursor;
  // Pages are requested, parsed and verified ahead on the prefetcher's
  // threads (the transport is theirs until it is destroyed); this node's
  // store is used only here. Refusals of a page go with a later request (or
  // with the push).
  OriginKeyCache keys;  // declared first: the prefetcher uses it until joined
  std::optional<PullPrefetcher> prefetcher;
  prefetcher.emplace(transport, store.node_id(), hello.peer_id,
                     FirstPullRequest(cursor, options, knowledge, hello), keys);
  bool first = true;  // page of the pull (of its second pass, after a restart)
  bool restarted = false;
  while (true) {
    ASSIGN_OR_RETURN(PullPrefetcher::Page pulled, prefetcher->Next());
    const auto& page = pulled.reply->pull_reply();
    if (page.next_cursor() < cursor && first && !restarted) {
      // The peer's log ends before where this node had read it: restored
      // from a backup, or its file replaced. Read it again from its start,
      // once: the requests carry this node's knowledge, so what it holds
      // already is not sent again.
      restarted = true;
      summary.warnings.push_back(hello.peer_id + "'s log ends at " +
                                 std::to_string(page.next_cursor()) + ", before " +
                                 std::to_string(cursor) +
                                 " where this node had read it (restored from a backup?): read "
                                 "again from its start");
      cursor = 0;
      prefetcher.reset();  // joins its threads before the transport is used again
      prefetcher.emplace(transport, store.node_id(), hello.peer_id,
                         FirstPullRequest(cursor, options, knowledge, hello), keys);
      continue;
    }
    const bool restart_cursor = restarted && first;
    if (first) {
      first = false;
      for (const auto& r : page.purge_orders_refused()) {
        summary.purge_orders_refused_by_peer.push_back("record " + r.record_id() + ": " +
                                                       r.reason());
      }
      // Delivered only when the peer read them (a build before purge
      // orders reads none): then it holds them or refused them for good.
      if (!hello.orders_to_send.empty() &&
          page.purge_orders_seen() == hello.orders_to_send.size()) {
        std::vector<std::string> ids;
        for (const PurgeOrder& o : hello.orders_to_send) ids.push_back(o.record_id);
        RETURN_IF_ERROR(store.NotePurgeOrdersHeld(hello.peer_id, ids));
        summary.purge_orders_sent += ids.size();
      }
      if (!hello.acks_to_send.empty() && page.purge_acks_seen() == hello.acks_to_send.size()) {
        std::vector<std::pair<std::string, std::string>> acks;
        for (const PurgeAck& a : hello.acks_to_send) acks.emplace_back(a.record_id, a.acker);
        RETURN_IF_ERROR(store.NotePurgeAcksHeld(hello.peer_id, acks));
      }
    }
    if (page.next_cursor() < cursor) {
      return Corruption("peer " + hello.peer_id + " moved the cursor backwards");
    }
    std::optional<VersionVector> vouched;
    if (page.done()) {
      ASSIGN_OR_RETURN(vouched, FromWire(page.knowledge()));
    }
    // Signatures are checked before the write lock is taken.
    RETURN_IF_ERROR(pulled.prepare_status);
    ASSIGN_OR_RETURN(
        CheckedChanges checked,
        FinishSignedChanges(store, *credentials.verifier, std::move(pulled.prepared), &keys));
    ASSIGN_OR_RETURN(auto batch, store.BeginRemoteBatch(hello.peer_id));
    RETURN_IF_ERROR(AddChecked(*batch, checked));
    if (vouched) RETURN_IF_ERROR(batch->MergeKnowledge(*vouched));
    RETURN_IF_ERROR(batch->SetCursor(page.next_cursor(), restart_cursor));
    ASSIGN_OR_RETURN(ApplyResult applied, batch->Commit());
    summary.pages_pulled++;
    Note(summary, applied);
    prefetcher->Report(applied.refused);
    if (options.on_progress) {
      options.on_progress(
          {SyncProgress::Phase::kPull, summary.pages_pulled, summary.states_received});
    }
    cursor = page.next_cursor();
    if (page.done()) {
      std::vector<RefusedState> unreported = prefetcher->TakeUnreported();
      hello.to_report.insert(hello.to_report.end(), unreported.begin(), unreported.end());
      // The peer holds what it vouched for, including writes it made while
      // we pulled: the push leaves those out instead of echoing them back.
      hello.peer_knowledge.MergeFrom(*vouched);
      return Status::Ok();
    }
  }
}

// One push request, read and proved: the states after `from` up to the
// page's end (pages of states the peer already holds are read past).
struct PushPage {
  ChangePage page;
  uint64_t from = 0;
  wire::Envelope request;
};

Result<PushPage> ReadPushPage(Store& store, const NodeSigner& signer, const SyncOptions& options,
                              const Hello& hello, const PageReader& reader, uint64_t from) {
  uint64_t cursor = from;
  while (true) {
    ASSIGN_OR_RETURN(ChangePage page, ReadSealedChanges(store, signer, cursor, options.page_size,
                                                        hello.peer_knowledge, reader));
    // A page of states the peer already holds needs no round trip of its own:
    // read on, and this push covers its range.
    if (page.states.empty() && page.left_scope.empty() && !page.done) {
      cursor = page.next_cursor;
      continue;
    }
    PushPage p{std::move(page), from, {}};
    auto* push = p.request.mutable_push_request();
    push->set_from_cursor(from);
    push->set_next_cursor(p.page.next_cursor);
    ASSIGN_OR_RETURN(VersionVector applied, store.PurgeOrdersApplied());
    ToWire(applied, push->mutable_purge_orders_applied());
    RETURN_IF_ERROR(ProveStates(store, p.page.states, hello.peer_knowledge,
                                p.page.done ? &p.page.knowledge : nullptr,
                                push->mutable_signed_changes()));
    AddScopeExits(p.page.left_scope, push->mutable_signed_changes());
    push->set_done(p.page.done);
    if (p.page.done) ToWire(p.page.knowledge, push->mutable_knowledge());
    return p;
  }
}

Status Push(Store& store, Transport& transport, const SyncOptions& options,
            const Credentials& credentials, Hello& hello, SyncSummary& summary) {
  bool resumed = false;
  bool refused_own = false;  // the peer refused a write of this node's
  // Only what the peer's party may hold (docs/sharing.md).
  const PageReader reader = ReaderFor(store, hello.peer_id);
  // This node's own writes are signed before they first leave it: a step
  // ahead of each page read, so that a push of many fresh writes seals them
  // while the peer applies the pages before (not all before the first page).
  // A page that still meets an unsealed write (one far ahead in the log,
  // brought by a backfill, or one an officer made since) is read again once
  // everything is sealed (ReadSealedChanges).
  bool unsealed_left = true;
  const size_t seal_step = 2 * (options.page_size + kMaxStatesPastPage);
  auto read_page = [&](uint64_t from) -> Result<PushPage> {
    if (unsealed_left) {
      ASSIGN_OR_RETURN(unsealed_left,
                       SealOldestPendingWrites(store, *credentials.signer, seal_step));
    }
    return ReadPushPage(store, *credentials.signer, options, hello, reader, from);
  };
  ASSIGN_OR_RETURN(PushPage current, read_page(hello.push_cursor));
  while (true) {
    const ChangePage& page = current.page;
    // Nothing new at all, nothing the peer lacks and nothing to tell it: save
    // a round trip.
    if (page.states.empty() && page.left_scope.empty() && page.done &&
        page.next_cursor == current.from &&
        page.knowledge.DominatedByOrEqual(hello.peer_knowledge) && hello.to_report.empty()) {
      return Status::Ok();
    }
    auto* push = current.request.mutable_push_request();
    push->clear_refused();
    for (const auto& r : hello.to_report) ToWire(r, push->add_refused());
    // The peer checks and applies this page while this node reads and proves
    // the next one (from where the peer is expected to stand). The transport
    // is used on the request's own thread; this node's store only here.
    uint64_t resume_at = 0;
    auto in_flight =
        std::async(std::launch::async, [&transport, &current, &resume_at, self = store.node_id()] {
          return Exchange(transport, kOpPush, current.request, self, wire::Envelope::kPushReply,
                          &resume_at);
        });
    std::optional<Result<PushPage>> next;
    if (!page.done) next = read_page(page.next_cursor);
    auto reply = in_flight.get();
    if (!reply.ok()) {
      // The peer lost pages we thought it had (e.g. restored from a backup):
      // resume once from where it says it is.
      if (reply.status().code() == Code::kFailedPrecondition && !resumed &&
          resume_at < current.from) {
        resumed = true;
        ASSIGN_OR_RETURN(current, read_page(resume_at));
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
    for (const auto& r : refused) {
      if (r.origin == store.node_id()) refused_own = true;
    }
    if (page.done) {
      // The peer now believes it holds this node's writes as far as the
      // page vouched (never past one held back from its party), unless it
      // refused one of them.
      const std::string& self = store.node_id();
      if (!refused_own && page.knowledge.Get(self) > hello.peer_knowledge.Get(self)) {
        hello.peer_knowledge.Set(self, page.knowledge.Get(self));
      }
      return Status::Ok();
    }
    uint64_t cursor = std::max(page.next_cursor, reply->push_reply().cursor());
    // The peer stands further on than expected: the page read meanwhile
    // starts too early.
    if (cursor != page.next_cursor || !next) {
      ASSIGN_OR_RETURN(current, read_page(cursor));
    } else {
      ASSIGN_OR_RETURN(current, std::move(*next));
    }
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
  ASSIGN_OR_RETURN(Hello hello, SayHello(store, transport, options, credentials, summary));
  summary.peer_id = hello.peer_id;
  RETURN_IF_ERROR(Pull(store, transport, options, credentials, hello, summary));
  RETURN_IF_ERROR(Push(store, transport, options, credentials, hello, summary));
  if (!options.peer_name.empty()) {
    RETURN_IF_ERROR(store.peers().BindNodeId(options.peer_name, hello.peer_id));
  }
  // What the peer holds as it would vouch for itself, and no more: a bundle
  // for it leaves this out. Not this node's whole knowledge, although the
  // push gave the peer everything else it lacked that its party may hold:
  // what its party may not hold was kept from it, and may come into its
  // scope later (consent given), when a bundle must still carry it
  // (docs/sharing.md, "Truthful knowledge under filtering").
  RETURN_IF_ERROR(store.RecordPeerContact(hello.peer_id, hello.peer_knowledge));
  // Files last, in requests of their own: a large file never holds a record
  // back, and a link cut mid-file leaves every record in and the file's
  // piece kept for the next sync.
  // A record that left this node's scope took its attachments with it:
  // their files go too, so a purged case's scans do not stay on disk.
  if (!summary.purged.empty()) {
    auto swept = store.SweepAttachmentFiles();
    if (!swept.ok()) {
      summary.warnings.push_back("the files of purged attachments are still on disk: " +
                                 swept.status().message());
    }
  }
  if (options.move_files) {
    Status files = TransferFiles(store, transport, hello.peer_id, options.files, &summary.files);
    if (!files.ok()) summary.files_status = files.WithContext("files: ");
  }
  return summary;
}

}  // namespace accord::sync
