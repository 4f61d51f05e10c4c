// The initiating side of a sync: hello, then pull pages until the peer's head,
// then push pages until ours. Every page is applied (by us or by the peer) in
// one transaction together with its cursor, so a session cut at any point
// resumes where it stopped, without loss or duplication, when run again.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/store.h"
#include "sync/file_transfer.h"
#include "sync/signed_changes.h"
#include "sync/transport.h"

namespace accord::sync {

struct SyncProgress {
  enum class Phase { kPull, kPush } phase;
  uint64_t pages = 0;
  uint64_t states = 0;
};

// States per page a sync asks for and pushes (a server serves at most its
// ServiceOptions::max_page_states per pull page). 4000, not 1000: a page's
// fixed costs (a round trip, a transaction, a scan's start) paid a quarter
// as often, 15-20 % faster over loopback and far fewer round trips over a
// slow link; a page stays ~150 KB on the wire, and a push peaks at 49 MiB
// (client) and 79 MiB (server) (docs/PERFORMANCE.md, "Seventh round").
inline constexpr uint32_t kDefaultPageSize = 4000;

struct SyncOptions {
  uint32_t page_size = kDefaultPageSize;
  // The node id the peer must have, when known (a named peer seen before).
  std::string expected_peer;
  // The address-book name to bind to the peer's id, if any.
  std::string peer_name;
  std::function<void(const SyncProgress&)> on_progress;
  // Attachments' files, moved after the records (docs/attachments.md).
  bool move_files = true;
  FileTransferOptions files;
};

struct SyncSummary {
  std::string peer_id;
  uint64_t pages_pulled = 0;
  uint64_t pages_pushed = 0;
  uint64_t states_received = 0;
  uint64_t states_applied = 0;  // received states that changed something here
  uint64_t states_sent = 0;
  uint64_t new_conflicts = 0;       // found here while pulling
  uint64_t peer_new_conflicts = 0;  // found by the peer while we pushed
  // States that did not go in, each with its reason; the rest did.
  std::vector<RefusedState> refused_here;     // this node refused what the peer sent
  std::vector<RefusedState> refused_by_peer;  // the peer refused what this node sent
  std::vector<std::string> disbelieved;       // claims of the peer this node did not believe
  // Records purged here because the peer said they left this node's scope
  // (docs/sharing.md, "Leaving a scope"), and such notices not acted on.
  std::vector<PurgedRecord> purged;
  std::vector<std::string> notices_ignored;
  std::vector<std::string> warnings;  // e.g. a purge whose WAL is not emptied yet
  // A newer sharing policy version taken from the peer at hello (0: none).
  int policy_taken = 0;
  // Purge orders (docs/security.md, "Purge orders"): taken from the peer
  // (their records erased here, into `purged`), the peer's refused here,
  // and this node's the peer refused, each with why.
  std::vector<PurgeOrder> purge_orders_taken;
  std::vector<std::string> purge_orders_refused;
  std::vector<std::string> purge_orders_refused_by_peer;
  uint64_t purge_orders_sent = 0;
  // Acknowledgements of purge orders the peer sent that were refused (forged,
  // from a revoked node), each with why.
  std::vector<std::string> purge_acks_refused;
  // Attachments' files, moved after the records: what moved, and why the
  // move stopped if it did (the records are in either way; the next sync
  // resumes each file where it stopped).
  FileTransferSummary files;
  Status files_status;
};

// Seals this node's new writes with credentials.signer, checks every state it
// receives against credentials.verifier (signed origins), pulls, then pushes.
Result<SyncSummary> RunSync(Store& store, Transport& transport, const Credentials& credentials,
                            const SyncOptions& options = {});

}  // namespace accord::sync
