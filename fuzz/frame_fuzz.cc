// The wire frame decoder and what a receiver does with a frame that decodes.
//
// Input: one mode byte, then the frame. Mode bit 0 set: the rest is the frame
// as sent (zstd), which fuzzes decompression. Clear: the rest is the envelope
// before compression and is compressed here, so mutations reach protobuf
// parsing instead of breaking zstd. Mode bit 1: units are signed again with
// the offices' keys (fuzz_support.h), so altered states reach the store.
//
// For a frame that decodes: each page state through ParseState, the page
// through CheckSignedChanges against a store, and then through a store batch
// as a sync applies it (AddChecked, MergeKnowledge, SetCursor), rolled back
// so every input meets the same store. Requests (hello, pull) go to a
// SyncService, as the server answers them; replies are decoded as a client
// would.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "fuzz/fuzz_support.h"
#include "sync/signed_changes.h"
#include "sync/sync_service.h"
#include "sync/wire_codec.h"

namespace accord::fuzz {
namespace {

constexpr char kSelf[] = "TH-MSDHS";

// A store holding a few records of its own and of KH-NCCT's, so that pages
// meet existing fields, vectors and proven units.
struct Receiver {
  std::unique_ptr<StoreTemplate> base;
  std::unique_ptr<Store> store;
  std::unique_ptr<sync::SyncService> service;

  Receiver() {
    base = std::make_unique<StoreTemplate>(kSelf, [](Store& office) {
      std::vector<RecordWrite> writes = {
          {"meeting",
           std::string("mtg-1"),
           {{"title", "Bilateral"}, {"start_date", "2023-01-18"}, {"city", "Siem Reap"}}},
          {"minute",
           std::string("min-6.2"),
           {{"meeting", "mtg-1"}, {"number", "6.2"}, {"text", "Both sides reviewed the plan."}}},
      };
      Require(office.PutMany(writes).status(), "receiver records");
      Require(sync::SealPendingWrites(office, *Deployment::Get().Signer(kSelf)), "seal");
    });
    store = base->Fresh();
    service = std::make_unique<sync::SyncService>(*store, Deployment::Get().Credentials(kSelf));
  }
};

Receiver& GetReceiver() {
  static Receiver* receiver = new Receiver();
  return *receiver;
}

void CheckPage(Store& store, const wire::SignedChanges& page, const wire::Knowledge* knowledge,
               uint64_t cursor, const std::string& peer) {
  // ParseState must read every state as protobuf's own parser does
  // (sync/state_reader.h): a state one node takes and another refuses would
  // split the offices.
  for (const std::string& state : page.states()) {
    auto mine = sync::ParseState(state);
    auto reference = sync::ParseStateByProtobuf(state);
    if (mine.ok() != reference.ok() ||
        (mine.ok() &&
         (mine->record_id != reference->record_id || mine->value != reference->value ||
          mine->version.ToText() != reference->version.ToText() || mine->salt != reference->salt ||
          mine->unit != reference->unit || mine->unit_counter != reference->unit_counter))) {
      std::fprintf(stderr, "ParseState and protobuf disagree on a state: %s / %s\n",
                   mine.status().ToString().c_str(), reference.status().ToString().c_str());
      std::abort();
    }
  }
  auto checked = sync::CheckSignedChanges(store, Deployment::Get().verifier(), page, peer);
  if (!checked.ok()) return Note("frame", "page refused: " + checked.status().ToString());
  std::optional<VersionVector> vouched;
  if (knowledge) {
    auto k = sync::FromWire(*knowledge);
    if (k.ok()) vouched = std::move(k).value();
  }
  auto batch = store.BeginRemoteBatch(peer);
  if (!batch.ok()) return;
  Status added = sync::AddChecked(**batch, *checked);
  if (added.ok() && vouched) added = (*batch)->MergeKnowledge(*vouched);
  if (added.ok()) added = (*batch)->SetCursor(cursor);
  Note("frame", std::to_string(checked->states.size()) + " states proven, " +
                    std::to_string(checked->refused.size()) +
                    " refused; batch: " + added.ToString());
  // Destroyed without Commit: rolled back.
}

}  // namespace
}  // namespace accord::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  accord::fuzz::QuietProtobuf();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace accord;
  using namespace accord::fuzz;
  if (size < 1) return 0;
  const uint8_t mode = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string frame;
  if (mode & 1) {
    frame = std::string(rest);
  } else {
    auto compressed = sync::Compress(rest, 1);
    if (!compressed.ok()) return 0;
    frame = std::move(compressed).value();
  }
  auto decoded = sync::DecodeFrame(frame);
  if (!decoded.ok()) {
    Note("frame", "not decoded: " + decoded.status().ToString());
    return 0;
  }
  wire::Envelope& envelope = *decoded;
  Receiver& receiver = GetReceiver();
  Store& store = *receiver.store;
  const std::string peer = envelope.node_id();

  if (mode & 2) {
    if (envelope.has_push_request())
      Reseal(*envelope.mutable_push_request()->mutable_signed_changes());
    if (envelope.has_pull_reply()) Reseal(*envelope.mutable_pull_reply()->mutable_signed_changes());
  }
  switch (envelope.body_case()) {
    case wire::Envelope::kPushRequest: {
      const auto& push = envelope.push_request();
      for (const auto& r : push.refused()) (void)sync::FromWire(r);
      CheckPage(store, push.signed_changes(), push.done() ? &push.knowledge() : nullptr,
                push.next_cursor(), peer);
      break;
    }
    case wire::Envelope::kPullReply: {
      const auto& pull = envelope.pull_reply();
      CheckPage(store, pull.signed_changes(), pull.done() ? &pull.knowledge() : nullptr,
                pull.next_cursor(), peer);
      break;
    }
    case wire::Envelope::kHelloRequest:
    case wire::Envelope::kPullRequest: {
      // Served as the server would: reads only (this node's writes are
      // sealed already, so a pull writes nothing).
      std::string_view op = envelope.has_hello_request() ? sync::kOpHello : sync::kOpPull;
      auto body = sync::EncodeFrame(envelope, peer);
      if (body.ok()) {
        auto reply = receiver.service->Handle(op, *body, peer);
        Note("frame", std::string(op) + " served: " + std::to_string(reply.body.size()) +
                          " bytes, code " + std::to_string(static_cast<int>(reply.code)));
      }
      break;
    }
    case wire::Envelope::kHelloReply:
      (void)sync::FromWire(envelope.hello_reply().knowledge());
      break;
    case wire::Envelope::kPushReply:
      for (const auto& r : envelope.push_reply().refused()) (void)sync::FromWire(r);
      break;
    case wire::Envelope::kError:
      (void)sync::StatusFromError(envelope.error(), peer);
      break;
    default:
      break;
  }
  return 0;
}
