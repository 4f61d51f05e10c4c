#include "server/governor_front.h"

#include <sys/socket.h>

#include <cerrno>

namespace accord::server {

std::optional<boost::asio::ip::tcp::socket> UpstreamPool::Take() {
  while (!idle_.empty()) {
    boost::asio::ip::tcp::socket socket = std::move(idle_.back());
    idle_.pop_back();
    // cpprestsdk may have closed it meanwhile; a closed connection would
    // fail the request after its body was sent, when it can no longer be
    // retried. Nothing is expected to be readable on an idle one.
    char byte;
    ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return socket;
  }
  return std::nullopt;
}

void UpstreamPool::Give(boost::asio::ip::tcp::socket socket) {
  if (idle_.size() < cap_) idle_.push_back(std::move(socket));
}

Front::Front(FrontSettings s, GovernorShared& g, size_t contexts)
    : settings(std::move(s)),
      shared(g),
      table_(settings.max_connections, settings.max_connections_per_address) {
  for (size_t i = 0; i < contexts; ++i) {
    pools_.push_back(std::make_unique<UpstreamPool>(settings.max_requests_in_flight));
  }
}

ConnectionTable::Admission Front::Admit(uint64_t id, const std::string& peer,
                                        std::shared_ptr<SessionBase>* evicted) {
  std::lock_guard<std::mutex> lock(mu_);
  ConnectionTable::Admission a = table_.Admit(id, peer);
  if (a.evicted != 0) {
    auto it = sessions_.find(a.evicted);
    if (it != sessions_.end()) {
      *evicted = it->second.lock();
      sessions_.erase(it);
    }
  }
  return a;
}

void Front::Register(uint64_t id, std::weak_ptr<SessionBase> session) {
  std::lock_guard<std::mutex> lock(mu_);
  sessions_[id] = std::move(session);
}

void Front::SetEvictable(uint64_t id, bool evictable) {
  std::lock_guard<std::mutex> lock(mu_);
  table_.SetEvictable(id, evictable);
}

void Front::Forget(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  table_.Remove(id);
  sessions_.erase(id);
}

std::vector<std::weak_ptr<SessionBase>> Front::Sessions() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::weak_ptr<SessionBase>> out;
  out.reserve(sessions_.size());
  for (const auto& [id, session] : sessions_) out.push_back(session);
  return out;
}

Front::Slot Front::TryBeginRequest(const std::string& node) {
  std::lock_guard<std::mutex> lock(shared.flight_mu);
  if (in_flight_ >= settings.max_requests_in_flight) return Slot::kFrontBusy;
  const bool per_node = settings.max_requests_in_flight_per_node > 0 && !node.empty();
  if (per_node) {
    size_t& held = in_flight_by_node_[node];
    if (held >= settings.max_requests_in_flight_per_node) return Slot::kNodeBusy;
    ++held;
  }
  ++in_flight_;
  ++shared.in_flight;
  return Slot::kTaken;
}

void Front::EndRequest(const std::string& node) {
  std::lock_guard<std::mutex> lock(shared.flight_mu);
  --in_flight_;
  --shared.in_flight;
  auto held = in_flight_by_node_.find(node);
  if (held != in_flight_by_node_.end() && --held->second == 0) in_flight_by_node_.erase(held);
  shared.flight_cv.notify_all();
}

void Front::ReleaseIo() {
  acceptor.reset();
  accept_retry.reset();
  for (auto& pool : pools_) pool->Clear();
}

}  // namespace accord::server
