#include "server/connection_governor.h"

#include <sys/resource.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include <thread>

#include "server/governor_front.h"
#include "server/log.h"
#include "server/tls_context.h"

namespace accord::server {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

// File descriptors kept for the rest of the process (store, log, curl,
// cpprestsdk's own): the caps never promise what the process cannot open.
constexpr size_t kReservedFds = 128;
// How long Stop() waits for the threads once every socket is closed.
constexpr auto kJoinWait = std::chrono::seconds(5);

// Each connection costs one descriptor; each request in flight and each
// pooled hop two more (both ends of the loopback hop are in this process).
void FitCapsToDescriptorLimit(std::vector<FrontSettings>& fronts, size_t contexts) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return;
  size_t budget = static_cast<size_t>(limit.rlim_cur);
  size_t reserved = kReservedFds, wanted = 0;
  for (const auto& f : fronts) {
    reserved += 2 * f.max_requests_in_flight * (1 + contexts);
    wanted += f.max_connections;
  }
  if (budget <= reserved + fronts.size() || wanted <= budget - reserved) return;
  double scale = static_cast<double>(budget - reserved) / static_cast<double>(wanted);
  for (auto& f : fronts) {
    size_t fitted = std::max<size_t>(1, static_cast<size_t>(f.max_connections * scale));
    Log("governor: open files limited to " + std::to_string(budget) + ": " + f.name +
        " port takes at most " + std::to_string(fitted) + " connections instead of " +
        std::to_string(f.max_connections) + " (raise RLIMIT_NOFILE for more)");
    f.max_connections = fitted;
    f.max_connections_per_address = std::min(f.max_connections_per_address, fitted);
  }
}

std::string PeerAddress(const tcp::socket& socket) {
  error_code ec;
  tcp::endpoint ep = socket.remote_endpoint(ec);
  if (ec) return "";
  asio::ip::address a = ep.address();
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    a = asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
  }
  return a.to_string();
}

bool IsOutOfResources(const error_code& ec) {
  return ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
         ec == asio::error::no_memory || ec.value() == ENFILE;
}

}  // namespace

class ConnectionGovernor::Impl {
 public:
  Impl(const ConnectionLimits& limits, std::string secret) : shared_(limits, std::move(secret)) {}
  ~Impl() { Stop(std::chrono::milliseconds(0)); }

  Status Start(std::vector<FrontSettings> fronts, const ServerTls* tls, TlsPolicy* policy);
  void Stop(std::chrono::milliseconds grace);
  GovernorCounters counters() const;

 private:
  Status Listen(Front& front);
  void Accept(Front& front);
  void Admit(Front& front, size_t context_index, tcp::socket socket);
  void FlushLogSoon();
  void PostToSessions(bool force);
  void Run(asio::io_context& context);

  GovernorShared shared_;
  std::unique_ptr<asio::ssl::context> tls_;
  // Declared before the contexts: destroying a context destroys the sessions
  // in its pending handlers, and they tell their front.
  std::vector<std::unique_ptr<Front>> fronts_;
  std::vector<std::unique_ptr<asio::io_context>> contexts_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
  std::unique_ptr<asio::steady_timer> flush_timer_;
  std::vector<std::thread> threads_;
  std::atomic<size_t> next_context_{0};
  std::atomic<uint64_t> next_id_{1};
  std::mutex run_mu_;
  std::condition_variable run_cv_;
  size_t running_ = 0;
  bool stopped_ = false;
};

Status ConnectionGovernor::Impl::Start(std::vector<FrontSettings> fronts, const ServerTls* tls,
                                       TlsPolicy* policy) {
  size_t n = static_cast<size_t>(std::clamp(shared_.limits.governor_threads, 1, 8));
  for (size_t i = 0; i < n; ++i) {
    contexts_.push_back(std::make_unique<asio::io_context>(1));
    guards_.push_back(asio::make_work_guard(*contexts_.back()));
  }
  for (const auto& f : fronts) {
    if (!f.tls || tls_) continue;
    if (tls == nullptr) return InvalidArgument("a TLS port needs the server's certificates");
    // One context for every connection: the TlsPolicy is asked at each
    // handshake, so a revocation applies to the next connection. Sessions
    // are never resumed (tls_context.cc), so each handshake is verified.
    tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    RETURN_IF_ERROR(tls->Configure(tls_->native_handle(), policy));
    shared_.tls = tls_.get();
  }
  FitCapsToDescriptorLimit(fronts, n);
  for (auto& f : fronts) {
    fronts_.push_back(std::make_unique<Front>(std::move(f), shared_, n));
    RETURN_IF_ERROR(Listen(*fronts_.back()));
  }
  for (auto& context : contexts_) {
    threads_.emplace_back([this, c = context.get()] { Run(*c); });
  }
  flush_timer_ = std::make_unique<asio::steady_timer>(*contexts_[0]);
  asio::post(*contexts_[0], [this] {
    for (auto& f : fronts_) Accept(*f);
    FlushLogSoon();
  });
  return Status::Ok();
}

Status ConnectionGovernor::Impl::Listen(Front& front) {
  const FrontSettings& s = front.settings;
  std::string where = s.listen_host + ":" + std::to_string(s.port);
  error_code ec;
  tcp::resolver resolver(*contexts_[0]);
  auto endpoints = resolver.resolve(s.listen_host, std::to_string(s.port),
                                    tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || endpoints.empty())
    return Unavailable("cannot listen on " + where + ": " + ec.message());
  tcp::endpoint endpoint = endpoints.begin()->endpoint();
  front.acceptor = std::make_unique<tcp::acceptor>(*contexts_[0]);
  front.accept_retry = std::make_unique<asio::steady_timer>(*contexts_[0]);
  auto& a = *front.acceptor;
  if (!a.open(endpoint.protocol(), ec) && !a.set_option(tcp::acceptor::reuse_address(true), ec) &&
      !a.bind(endpoint, ec) && !a.listen(asio::socket_base::max_listen_connections, ec)) {
    return Status::Ok();
  }
  front.acceptor.reset();
  return Unavailable("cannot listen on " + where + ": " + ec.message());
}

void ConnectionGovernor::Impl::Accept(Front& front) {
  size_t k = next_context_++ % contexts_.size();
  front.acceptor->async_accept(
      *contexts_[k], [this, &front, k](const error_code& ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted || shared_.stopping) return;
        if (!ec) {
          Admit(front, k, std::move(socket));
          return Accept(front);
        }
        shared_.log.Log(
            front.settings.name + " accept",
            "governor: accepting on the " + front.settings.name + " port failed: " + ec.message());
        if (!IsOutOfResources(ec)) return Accept(front);
        // Out of descriptors or memory: accepting again at once would spin.
        front.accept_retry->expires_after(std::chrono::milliseconds(100));
        front.accept_retry->async_wait([this, &front](const error_code& wait) {
          if (!wait && !shared_.stopping) Accept(front);
        });
      });
}

void ConnectionGovernor::Impl::Admit(Front& front, size_t context_index, tcp::socket socket) {
  std::string peer = PeerAddress(socket);
  if (peer.empty()) return;  // gone already
  uint64_t id = next_id_++;
  std::shared_ptr<SessionBase> evicted;
  auto admission = front.Admit(id, peer, &evicted);
  const FrontSettings& s = front.settings;
  if (admission.verdict != ConnectionTable::Verdict::kAdmitted) {
    ++shared_.refused;
    bool per_address = admission.verdict == ConnectionTable::Verdict::kRefusedAddressFull;
    shared_.log.Log(
        s.name + " refused",
        "governor: refused a connection to the " + s.name + " port from " + peer +
            (per_address ? ": it already holds " + std::to_string(s.max_connections_per_address) +
                               " (the per-address cap)"
                         : ": all " + std::to_string(s.max_connections) +
                               " connections are taken by clients already proven"));
    return;  // closing the socket is the refusal
  }
  if (admission.evicted != 0) {
    ++shared_.evicted;
    shared_.log.Log(s.name + " evicted",
                    "governor: " + s.name + " port at its cap of " +
                        std::to_string(s.max_connections) + " connections: closed the oldest " +
                        (s.evict_idle ? "idle one" : "one still in its TLS handshake") +
                        " to admit " + peer);
    if (evicted) {
      asio::post(evicted->context(), [w = std::weak_ptr<SessionBase>(evicted)] {
        if (auto victim = w.lock()) victim->Shutdown(true);
      });
    }
  }
  error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  auto session = MakeSession(front, *contexts_[context_index], front.pool(context_index),
                             std::move(socket), id, std::move(peer));
  front.Register(id, session);
  // Registered before it starts: a Stop() from now on reaches it, and one
  // that began earlier set `stopping`, which Start() checks.
  asio::post(*contexts_[context_index], [session] { session->Start(); });
}

void ConnectionGovernor::Impl::FlushLogSoon() {
  flush_timer_->expires_after(std::chrono::seconds(5));
  flush_timer_->async_wait([this](const error_code& ec) {
    if (ec || shared_.stopping) return;
    shared_.log.Flush();
    FlushLogSoon();
  });
}

void ConnectionGovernor::Impl::PostToSessions(bool force) {
  for (auto& f : fronts_) {
    for (auto& w : f->Sessions()) {
      auto s = w.lock();
      if (!s) continue;
      asio::post(s->context(), [w, force] {
        if (auto session = w.lock()) session->Shutdown(force);
      });
    }
  }
}

void ConnectionGovernor::Impl::Run(asio::io_context& context) {
  {
    std::lock_guard<std::mutex> lock(run_mu_);
    ++running_;
  }
  for (;;) {
    try {
      context.run();
      break;
    } catch (const std::exception& e) {  // a handler threw: log, keep serving
      Log(std::string("governor: internal error: ") + e.what());
    }
  }
  std::lock_guard<std::mutex> lock(run_mu_);
  --running_;
  run_cv_.notify_all();
}

void ConnectionGovernor::Impl::Stop(std::chrono::milliseconds grace) {
  {
    std::lock_guard<std::mutex> lock(run_mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  shared_.stopping = true;
  if (!contexts_.empty()) {
    asio::post(*contexts_[0], [this] {
      error_code ignored;
      for (auto& f : fronts_) {
        if (f->acceptor) f->acceptor->close(ignored);
        if (f->accept_retry) f->accept_retry->cancel();
      }
      if (flush_timer_) flush_timer_->cancel();
    });
  }
  PostToSessions(false);  // idle and half-open connections close now
  {
    std::unique_lock<std::mutex> lock(shared_.flight_mu);
    shared_.flight_cv.wait_for(lock, grace, [this] { return shared_.in_flight == 0; });
  }
  PostToSessions(true);
  for (auto& g : guards_) g.reset();
  {
    // With every socket closed the threads run out of work at once; if
    // one is still busy after this, its context is stopped outright.
    std::unique_lock<std::mutex> lock(run_mu_);
    if (!run_cv_.wait_for(lock, kJoinWait, [this] { return running_ == 0; })) {
      Log("governor: threads still busy after closing every connection; stopping them");
      for (auto& c : contexts_) c->stop();
    }
  }
  for (auto& t : threads_) t.join();
  threads_.clear();
  for (auto& f : fronts_) f->ReleaseIo();
  flush_timer_.reset();
  shared_.log.Flush(true);
}

GovernorCounters ConnectionGovernor::Impl::counters() const {
  GovernorCounters c;
  c.refused_connections = shared_.refused;
  c.evicted_connections = shared_.evicted;
  c.timeouts = shared_.timeouts;
  c.handler_timeouts = shared_.handler_timeouts;
  c.too_large = shared_.too_large;
  c.busy = shared_.busy;
  return c;
}

Result<std::unique_ptr<ConnectionGovernor>> ConnectionGovernor::Start(
    std::vector<FrontSettings> fronts, const ConnectionLimits& limits, const ServerTls* tls,
    TlsPolicy* policy, std::string hop_secret) {
  auto impl = std::make_unique<Impl>(limits, std::move(hop_secret));
  RETURN_IF_ERROR(impl->Start(std::move(fronts), tls, policy));
  return std::unique_ptr<ConnectionGovernor>(new ConnectionGovernor(std::move(impl)));
}

ConnectionGovernor::ConnectionGovernor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ConnectionGovernor::~ConnectionGovernor() = default;

void ConnectionGovernor::Stop(std::chrono::milliseconds grace) {
  impl_->Stop(grace);
}

GovernorCounters ConnectionGovernor::counters() const {
  return impl_->counters();
}

}  // namespace accord::server
