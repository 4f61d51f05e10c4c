// Governor internals shared by connection_governor.cc and proxy_session.cc:
// what every connection of one public port shares (limits, caps, requests
// in flight, kept-alive connections to cpprestsdk). Includes Boost.Asio:
// only for server/ .cc files.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/connection_governor.h"
#include "server/connection_table.h"
#include "server/log_throttle.h"

namespace accord::server {

// One per governor.
struct GovernorShared {
  GovernorShared(const ConnectionLimits& l, std::string secret)
      : limits(l), hop_secret(std::move(secret)) {}

  const ConnectionLimits limits;
  const std::string hop_secret;
  boost::asio::ssl::context* tls = nullptr;  // set when a front uses TLS
  LogThrottle log{10, std::chrono::seconds(10)};
  std::atomic<bool> stopping{false};
  std::atomic<uint64_t> refused{0}, evicted{0}, timeouts{0}, handler_timeouts{0}, too_large{0},
      busy{0};
  // Requests in flight over all fronts, for Stop() to wait on.
  std::mutex flight_mu;
  std::condition_variable flight_cv;
  size_t in_flight = 0;
};

// One client connection, whatever its stage. Runs on one io_context.
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  virtual void Start() = 0;
  // On the session's thread: closes now, or (force false) once the request
  // in flight has been answered.
  virtual void Shutdown(bool force) = 0;
  virtual boost::asio::io_context& context() = 0;
};

// Idle kept-alive connections to one cpprestsdk listener, for the sessions
// of one io_context: touched only on its thread.
class UpstreamPool {
 public:
  explicit UpstreamPool(size_t cap) : cap_(cap) {}
  // A connection still open, if any is idle.
  std::optional<boost::asio::ip::tcp::socket> Take();
  void Give(boost::asio::ip::tcp::socket socket);
  void Clear() { idle_.clear(); }

 private:
  size_t cap_;
  std::vector<boost::asio::ip::tcp::socket> idle_;
};

class Front {
 public:
  Front(FrontSettings s, GovernorShared& g, size_t contexts);

  const FrontSettings settings;
  GovernorShared& shared;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor;  // on the first io_context
  std::unique_ptr<boost::asio::steady_timer> accept_retry;   // after EMFILE and the like

  // Caps (connection_table.h). On admission by eviction, `*evicted` is the
  // session that must now be closed (null if it is already gone).
  ConnectionTable::Admission Admit(uint64_t id, const std::string& peer,
                                   std::shared_ptr<SessionBase>* evicted);
  void Register(uint64_t id, std::weak_ptr<SessionBase> session);
  void SetEvictable(uint64_t id, bool evictable);
  void Forget(uint64_t id);  // from the session's destructor
  std::vector<std::weak_ptr<SessionBase>> Sessions();

  // A slot for a request in flight of `node` (the client certificate's
  // node; "" on a plain front), unless the front is at
  // max_requests_in_flight or the node at max_requests_in_flight_per_node.
  enum class Slot { kTaken, kFrontBusy, kNodeBusy };
  Slot TryBeginRequest(const std::string& node);
  void EndRequest(const std::string& node);

  UpstreamPool& pool(size_t context_index) { return *pools_[context_index]; }
  // Drops the acceptor, timer and pooled sockets. REQUIRES: the threads
  // have stopped (they are used from them).
  void ReleaseIo();

 private:
  std::mutex mu_;
  ConnectionTable table_;
  std::unordered_map<uint64_t, std::weak_ptr<SessionBase>> sessions_;
  size_t in_flight_ = 0;                                       // under shared.flight_mu
  std::unordered_map<std::string, size_t> in_flight_by_node_;  // the same; none at 0
  std::vector<std::unique_ptr<UpstreamPool>> pools_;
};

// A session for an accepted connection: TLS or plain per the front.
std::shared_ptr<SessionBase> MakeSession(Front& front, boost::asio::io_context& context,
                                         UpstreamPool& pool, boost::asio::ip::tcp::socket socket,
                                         uint64_t id, std::string peer);

}  // namespace accord::server
