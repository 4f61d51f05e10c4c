#include "sync/pull_prefetcher.h"

#include <future>
#include <system_error>

#include "sync/round_trip.h"
#include "sync/signed_changes.h"

namespace accord::sync {

PullPrefetcher::PullPrefetcher(Transport& transport, std::string self, std::string peer,
                               wire::Envelope first, const OriginKeyCache& keys)
    : transport_(transport), self_(std::move(self)), peer_(std::move(peer)), keys_(keys) {
  thread_ = std::thread([this, first = std::move(first)]() mutable {
    Run(std::move(first));
    {
      std::lock_guard lock(mutex_);
      finished_ = true;
    }
    changed_.notify_all();
  });
}

PullPrefetcher::~PullPrefetcher() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void PullPrefetcher::Run(wire::Envelope first) {
  auto send = [this](wire::Envelope request) -> std::future<Result<wire::Envelope>> {
    try {
      return std::async(std::launch::async, [this, request = std::move(request)]() mutable {
        return Exchange(transport_, kOpPull, request, self_, wire::Envelope::kPullReply);
      });
    } catch (const std::system_error& e) {
      // No thread for the request (the system is out of them): the pull
      // ends with that reason, as a failed request would; nothing escapes
      // this thread.
      std::promise<Result<wire::Envelope>> failed;
      failed.set_value(Unavailable(std::string("no thread for the pull request: ") + e.what()));
      return failed.get_future();
    }
  };
  // What every later request repeats: the knowledge, the page size and the
  // policy version; not the purge orders and acks of the first.
  wire::Envelope later = first;
  auto* later_pull = later.mutable_pull_request();
  later_pull->clear_purge_orders();
  later_pull->clear_purge_orders_held();
  later_pull->clear_purge_acks();
  later_pull->clear_purge_acks_held();
  later_pull->clear_refused();
  auto in_flight = send(std::move(first));
  while (true) {
    Result<wire::Envelope> reply = in_flight.get();
    if (!reply.ok()) {
      Deliver(reply.status());
      return;
    }
    auto held = std::make_unique<wire::Envelope>(std::move(reply).value());
    const wire::PullReply& page = held->pull_reply();
    bool ask_next = !page.done();
    // Read now: once delivered, the page is the applier's to free.
    const uint64_t next_cursor = page.next_cursor();
    // The next request goes out as soon as no page waits for the applier:
    // at once when it is waiting for this one, else once it takes the one
    // before. At most one page waits, one is applied and one is asked for.
    auto send_next = [&] {
      if (!ask_next) return;
      ask_next = false;
      wire::Envelope next = later;
      auto* pull = next.mutable_pull_request();
      pull->set_cursor(next_cursor);
      {
        std::lock_guard lock(mutex_);
        for (const RefusedState& r : to_report_) ToWire(r, pull->add_refused());
        to_report_.clear();
      }
      in_flight = send(std::move(next));
    };
    const bool more = ask_next;
    {
      std::unique_lock lock(mutex_);
      if (stop_) return;
      const bool applier_waits = !ready_;
      lock.unlock();
      if (applier_waits) send_next();
    }
    Page prepared;
    auto checked = PrepareSignedChanges(page.signed_changes(), peer_, &keys_);
    if (checked.ok()) {
      prepared.prepared = std::move(checked).value();
    } else {
      prepared.prepare_status = checked.status();
    }
    prepared.reply = std::move(held);
    if (!Deliver(std::move(prepared))) return;
    send_next();
    if (!more) return;
  }
}

bool PullPrefetcher::Deliver(Result<Page> page) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return stop_ || !ready_; });
  if (!stop_) ready_.emplace(std::move(page));
  const bool delivered = !stop_;
  lock.unlock();
  changed_.notify_all();
  return delivered;
}

Result<PullPrefetcher::Page> PullPrefetcher::Next() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return ready_.has_value() || finished_; });
  if (!ready_) return Internal("the pull ended without its last page");
  Result<Page> page = std::move(*ready_);
  ready_.reset();
  lock.unlock();
  changed_.notify_all();
  return page;
}

void PullPrefetcher::Report(const std::vector<RefusedState>& refused) {
  std::lock_guard lock(mutex_);
  to_report_.insert(to_report_.end(), refused.begin(), refused.end());
}

std::vector<RefusedState> PullPrefetcher::TakeUnreported() {
  std::lock_guard lock(mutex_);
  return std::move(to_report_);
}

}  // namespace accord::sync
