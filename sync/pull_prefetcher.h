// Pulls pages ahead of the node that applies them. A thread of its own sends
// each pull request as soon as the reply before it arrives (its next cursor
// is all a request needs), then parses and verifies that reply
// (PrepareSignedChanges) while the peer reads the next page. The node
// applying pages takes them in order, one at a time: while it applies one,
// at most one more waits for it and one is asked for, so memory stays flat
// however long the pull.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "accord_sync.pb.h"
#include "sync/page_check.h"
#include "sync/transport.h"

namespace accord::sync {

class PullPrefetcher {
 public:
  struct Page {
    std::unique_ptr<wire::Envelope> reply;  // on the heap: `prepared` points into it
    PreparedChanges prepared;
    Status prepare_status;  // a page over the limits: refused whole
  };

  // Starts with `first`, the pull request at the session's cursor (it may
  // carry what only the first request does); later requests are the same
  // without those, at each reply's next cursor. `transport` and `keys` must
  // outlive this, and the transport is this object's alone until then.
  PullPrefetcher(Transport& transport, std::string self, std::string peer, wire::Envelope first,
                 const OriginKeyCache& keys);
  // Stops asking for more, waits for a request in flight, and joins.
  ~PullPrefetcher();
  PullPrefetcher(const PullPrefetcher&) = delete;
  PullPrefetcher& operator=(const PullPrefetcher&) = delete;

  // The next page in order, or the error that ended the pull.
  Result<Page> Next();
  // Refusals to send to the peer with a later request.
  void Report(const std::vector<RefusedState>& refused);
  // Those that no request took (the pull ended first): for the push.
  std::vector<RefusedState> TakeUnreported();

 private:
  void Run(wire::Envelope first);
  // Hands a page (or an error) over, waiting while one is still untaken;
  // false when stopped.
  bool Deliver(Result<Page> page);

  Transport& transport_;
  const std::string self_;
  const std::string peer_;
  const OriginKeyCache& keys_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::optional<Result<Page>> ready_;
  bool finished_ = false;  // the thread delivers nothing more
  bool stop_ = false;
  std::vector<RefusedState> to_report_;
  std::thread thread_;
};

}  // namespace accord::sync
