#include "server/https_server.h"

#include <cpprest/http_listener.h>
#include <pplx/threadpool.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "net/http_status.h"
#include "net/request_signing.h"
#include "server/connection_governor.h"
#include "server/exchange.h"
#include "server/internal_hop.h"
#include "server/log.h"
#include "server/loopback_port.h"
#include "server/request_auth.h"
#include "server/tls_context.h"
#include "server/ui_routes.h"
#include "sync/identity.h"

namespace accord::server {
namespace {

using web::http::experimental::listener::http_listener;

constexpr char kText[] = "text/plain; charset=utf-8";
constexpr char kProtobuf[] = "application/x-protobuf";

// The operations of transport.h; anything else under /sync/v1/ is a 404
// before any body is read. Extend together with transport.h.
bool IsSyncOp(std::string_view op) {
  return op == sync::kOpHello || op == sync::kOpPull || op == sync::kOpPush ||
         op == sync::kOpFile || op == sync::kOpFileOffer || op == sync::kOpFilePush;
}

int64_t SystemNowMs() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

// cpprestsdk's pool is process-wide and can be sized only before its first
// use; a second server (tests) simply shares it.
void EnsureThreadPool(int threads) {
  static std::once_flag once;
  std::call_once(once, [threads] {
    try {
      crossplat::threadpool::initialize_with_threads(
          static_cast<size_t>(threads > 0 ? threads : 8));
    } catch (const std::exception& e) {
      Log(std::string("thread pool already initialised, keeping it: ") + e.what());
    }
  });
}

// How much of a refused body the server reads and drops, beyond the limit,
// before cutting the connection. cpprestsdk sends no reply until the body
// has arrived, and a cut connection often reaches the client as a reset
// before our 413 does (then it retries in vain): draining is what delivers
// a clear refusal. The cap bounds the bandwidth a misbehaving node can
// waste; memory stays at one chunk either way.
constexpr size_t kDrainFactor = 4;

std::string UriHost(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

std::string MiB(size_t bytes) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  return text;
}

std::string TooLargeForSync(size_t limit) {
  return "request body exceeds this server's limit of " + MiB(limit) + "; send smaller pages";
}
constexpr char kTooLargeForPage[] = "request body too large for this page";

// cpprestsdk's listener on a free internal port of 127.0.0.1, plain HTTP:
// only the governor talks to it. Retries when another process takes the
// port first.
Result<std::unique_ptr<http_listener>> OpenInternalListener(
    const std::function<void(web::http::http_request)>& handler, int* port) {
  std::string last_error;
  for (int attempt = 0; attempt < 5; ++attempt) {
    ASSIGN_OR_RETURN(*port, PickFreeLoopbackPort());
    std::string url = "http://127.0.0.1:" + std::to_string(*port) + "/";
    try {
      auto listener = std::make_unique<http_listener>(web::uri(url));
      listener->support(handler);
      listener->open().wait();
      return listener;
    } catch (const std::exception& e) {
      last_error = url + ": " + e.what();
    }
  }
  return Unavailable("cannot open an internal listener: " + last_error);
}

}  // namespace

class HttpsServer::Impl : public TlsPolicy {
 public:
  Impl(ServerOptions options, SyncHandler sync_handler, StatusHandler status_handler, ServerTls tls,
       sync::PeerVerifier verifier)
      : options_(std::move(options)),
        sync_handler_(std::move(sync_handler)),
        status_handler_(std::move(status_handler)),
        tls_(std::move(tls)),
        verifier_(std::make_shared<const sync::PeerVerifier>(std::move(verifier))),
        sessions_(tls_.node_id(), options_.sessions) {
    for (const UiRoute& route : options_.ui_routes) {
      routes_.Add(route.method, route.prefix, route.handler);
    }
  }

  ~Impl() override { Stop(); }

  Status Listen();
  void Stop();

  bool IsRevoked(std::string_view node_id, std::string_view serial_hex) const override {
    return Verifier()->IsRevoked(node_id, serial_hex);
  }
  std::string SignedRevocationOf(std::string_view serial_hex) const override {
    const sync::RevocationList* list = Verifier()->SignedRevocationOf(serial_hex);
    return list != nullptr ? list->pem : "";
  }
  void OnHandshakeFailure(std::string_view reason) override {
    ++handshake_failures_;
    Log("TLS handshake failed: " + std::string(reason));
  }

  std::shared_ptr<const sync::PeerVerifier> Verifier() const {
    std::lock_guard<std::mutex> lock(verifier_mu_);
    return verifier_;
  }
  Status ReloadRevocations() {
    auto fresh =
        sync::PeerVerifier::Load(options_.ca_path, options_.revoked_path, options_.crl_path);
    if (!fresh.ok()) return fresh.status();
    std::lock_guard<std::mutex> lock(verifier_mu_);
    verifier_ = std::make_shared<const sync::PeerVerifier>(std::move(fresh).value());
    return Status::Ok();
  }

  const ServerOptions options_;
  RouteTable routes_;
  std::atomic<uint64_t> requests_{0}, rejected_auth_{0}, rejected_too_large_{0},
      handshake_failures_{0};
  const std::string& node_id() const { return tls_.node_id(); }
  GovernorCounters governor_counters() const {
    return governor_ ? governor_->counters() : GovernorCounters{};
  }
  size_t sessions() const { return sessions_.size(); }

 private:
  std::shared_ptr<Exchange> Begin(web::http::http_request request, size_t drain_budget);
  void HandleNode(web::http::http_request request);
  void HandleUi(web::http::http_request request);
  void HandleSync(std::shared_ptr<Exchange> ex, std::string op);
  void RunSync(const std::shared_ptr<Exchange>& ex, const std::string& op, const Claim& claim);
  // Every reply to a sync request goes through here: it carries this
  // server's time, so the client can warn about its own clock.
  void SyncReply(const std::shared_ptr<Exchange>& ex, int status, std::string content_type,
                 std::string body, std::string note = "", Headers headers = {});
  void RefuseAuth(const std::shared_ptr<Exchange>& ex, const Status& why);
  bool ServeStatus(const std::shared_ptr<Exchange>& ex);

  bool FromGovernor(const std::shared_ptr<Exchange>& ex);

  SyncHandler sync_handler_;
  StatusHandler status_handler_;
  ServerTls tls_;
  std::string hop_secret_;  // set by Listen() before any listener opens
  std::unique_ptr<ConnectionGovernor> governor_;
  mutable std::mutex verifier_mu_;
  std::shared_ptr<const sync::PeerVerifier> verifier_;

  std::unique_ptr<http_listener> node_listener_, ui_listener_;
  std::atomic<bool> stopping_{false};
  bool stopped_ = false;
  std::mutex flight_mu_;
  std::condition_variable flight_cv_;
  int in_flight_ = 0;
  SessionTable sessions_;  // after tls_, whose node id it is given
};

Status HttpsServer::Impl::Listen() {
  EnsureThreadPool(options_.threads);
  ASSIGN_OR_RETURN(hop_secret_, NewHopSecret());
  const ConnectionLimits& limits = options_.limits;
  std::vector<FrontSettings> fronts(1);
  FrontSettings& sync = fronts[0];
  sync.name = "sync";
  sync.listen_host = options_.listen_host;
  sync.port = options_.port;
  sync.tls = true;
  sync.max_body_bytes = options_.max_body_bytes;
  sync.too_large_message = TooLargeForSync(options_.max_body_bytes);
  sync.max_connections = limits.max_connections;
  sync.max_connections_per_address = limits.max_connections_per_address;
  sync.max_requests_in_flight = limits.max_requests_in_flight;
  sync.max_requests_in_flight_per_node = limits.max_requests_in_flight_per_node;
  auto node = OpenInternalListener([this](web::http::http_request r) { HandleNode(std::move(r)); },
                                   &sync.upstream_port);
  if (!node.ok()) return node.status();
  node_listener_ = std::move(node).value();
  if (options_.ui_port != 0) {
    FrontSettings& ui = fronts.emplace_back();
    ui.name = "review page";
    ui.port = options_.ui_port;
    ui.max_body_bytes = options_.ui_max_body_bytes;
    ui.too_large_message = kTooLargeForPage;
    // Every client of the review page is this machine: one address.
    ui.max_connections = ui.max_connections_per_address = limits.ui_max_connections;
    ui.max_requests_in_flight = limits.ui_max_requests_in_flight;
    ui.evict_idle = true;
    auto listener = OpenInternalListener(
        [this](web::http::http_request r) { HandleUi(std::move(r)); }, &ui.upstream_port);
    if (!listener.ok()) {
      Stop();
      return listener.status();
    }
    ui_listener_ = std::move(listener).value();
  }
  auto governor = ConnectionGovernor::Start(fronts, limits, &tls_, this, hop_secret_);
  if (!governor.ok()) {
    Stop();
    return governor.status();
  }
  governor_ = std::move(governor).value();
  Log("node " + node_id() + " serving sync on https://" + UriHost(options_.listen_host) + ":" +
      std::to_string(options_.port) +
      (ui_listener_ ? ", review page on http://127.0.0.1:" + std::to_string(options_.ui_port)
                    : ""));
  return Status::Ok();
}

void HttpsServer::Impl::Stop() {
  {
    std::lock_guard<std::mutex> lock(flight_mu_);
    if (stopped_) return;
    stopped_ = true;
    stopping_ = true;
  }
  // The governor closes the ports and idle connections at once, lets
  // requests in progress finish and reply within the grace period, then
  // cuts what is left (stalled uploads, replies nobody reads)...
  if (governor_) governor_->Stop(options_.shutdown_grace);
  // ...then the internal listeners go (only the governor was connected)...
  for (auto* listener : {node_listener_.get(), ui_listener_.get()}) {
    if (listener == nullptr) continue;
    try {
      listener->close().wait();
    } catch (const std::exception& e) {
      Log(std::string("closing listener: ") + e.what());
    }
  }
  // ...and wait for handlers still running (past the grace, or answered
  // 504 by the governor): they use this object.
  std::unique_lock<std::mutex> lock(flight_mu_);
  flight_cv_.wait(lock, [this] { return in_flight_ == 0; });
}

std::shared_ptr<Exchange> HttpsServer::Impl::Begin(web::http::http_request request,
                                                   size_t drain_budget) {
  ++requests_;
  {
    std::lock_guard<std::mutex> lock(flight_mu_);
    ++in_flight_;
  }
  return std::make_shared<Exchange>(std::move(request), drain_budget, [this] {
    // Notify under the lock: once Stop() sees zero it may destroy us.
    std::lock_guard<std::mutex> lock(flight_mu_);
    --in_flight_;
    flight_cv_.notify_all();
  });
}

bool HttpsServer::Impl::ServeStatus(const std::shared_ptr<Exchange>& ex) {
  if (ex->path() != "/status") return false;
  if (ex->method() != "GET") {
    ex->Reply(405, kText, "use GET", "", {{"Allow", "GET"}});
  } else if (!status_handler_) {
    ex->Reply(404, kText, "no status here");
  } else {
    try {
      ex->Reply(200, "application/json", status_handler_());
    } catch (const std::exception& e) {
      ex->Reply(500, kText, "internal error", std::string("status handler threw: ") + e.what());
    }
  }
  return true;
}

bool HttpsServer::Impl::FromGovernor(const std::shared_ptr<Exchange>& ex) {
  if (!HopSecretMatches(hop_secret_, ex->Header(kHopSecretHeader))) {
    // A local process that found the internal port: it gets nothing.
    ex->Reply(403, kText, "this port only serves accord's own connection governor",
              "internal hop without the governor's secret");
    return false;
  }
  ex->set_peer(ex->Header(kHopPeerHeader));
  return true;
}

void HttpsServer::Impl::HandleNode(web::http::http_request request) {
  auto ex = Begin(std::move(request), kDrainFactor * options_.max_body_bytes);
  if (!FromGovernor(ex)) return;
  if (stopping_) {
    ex->Reply(503, kText, "server is shutting down", "", {{"Retry-After", "5"}});
    return;
  }
  const std::string& path = ex->path();
  if (path.rfind(net::kSyncPathPrefix, 0) != 0) {
    if (!ServeStatus(ex)) ex->Reply(404, kText, "nothing at " + path);
    return;
  }
  std::string op = path.substr(sizeof(net::kSyncPathPrefix) - 1);
  if (!IsSyncOp(op)) {
    SyncReply(ex, 404, kText,
              "unknown sync operation \"" + op + "\" (this server speaks /sync/v1/)");
    return;
  }
  if (ex->method() != "POST") {
    SyncReply(ex, 405, kText, "sync operations take POST", "", {{"Allow", "POST"}});
    return;
  }
  HandleSync(std::move(ex), std::move(op));
}

void HttpsServer::Impl::SyncReply(const std::shared_ptr<Exchange>& ex, int status,
                                  std::string content_type, std::string body, std::string note,
                                  Headers headers) {
  int64_t now = options_.clock_ms ? options_.clock_ms() : SystemNowMs();
  headers.emplace_back(net::kHeaderServerTime, std::to_string(now));
  ex->Reply(status, std::move(content_type), std::move(body), std::move(note), std::move(headers));
}

void HttpsServer::Impl::RefuseAuth(const std::shared_ptr<Exchange>& ex, const Status& why) {
  ++rejected_auth_;
  Headers headers;
  // The one refusal a client can mend by itself: say hello, then retry.
  if (why.code() == Code::kNotFound) headers.emplace_back(net::kHeaderSession, net::kNoSession);
  SyncReply(ex, 401, kText, why.message(), why.message(), std::move(headers));
}

void HttpsServer::Impl::HandleSync(std::shared_ptr<Exchange> ex, std::string op) {
  SignedHeaders headers{ex->Header(net::kHeaderNode),    ex->Header(net::kHeaderServer),
                        ex->Header(net::kHeaderSession), ex->Header(net::kHeaderSequence),
                        ex->Header(net::kHeaderCert),    ex->Header(net::kHeaderSignature)};
  ex->set_node(headers.node.empty() ? "-" : headers.node + "?");  // "?": not proven yet
  auto verifier = Verifier();
  auto claim = CheckHeaders(headers, op, node_id(), *verifier);
  if (!claim.ok()) {
    RefuseAuth(ex, claim.status());
    return;
  }
  // A replay is refused here, before its body is read; Accept() below
  // decides for good once the signature is known to be the node's.
  if (op != sync::kOpHello) {
    Status fresh = sessions_.Check(claim->node_id, claim->session, claim->sequence);
    if (!fresh.ok()) {
      RefuseAuth(ex, fresh);
      return;
    }
  }
  size_t limit = options_.max_body_bytes;
  ex->ReadBody(
      limit, [this, ex, op = std::move(op), claim = std::move(claim).value(), verifier, limit,
              connection_node = ex->Header(kHopNodeHeader)](Exchange::BodyOutcome outcome) {
        switch (outcome) {
          case Exchange::BodyOutcome::kComplete:
            break;
          case Exchange::BodyOutcome::kBroken:
            SyncReply(ex, 400, kText, "request body could not be read", "body read failed");
            return;
          case Exchange::BodyOutcome::kTooLarge:
          case Exchange::BodyOutcome::kAborted: {
            // Only if the governor's own limit was raised past ours.
            ++rejected_too_large_;
            std::string msg = TooLargeForSync(limit);
            SyncReply(ex, 413, kText, msg, msg);
            return;
          }
        }
        Status signed_ok = CheckSignature(claim, op, ex->body(), *verifier);
        if (signed_ok.ok()) signed_ok = CheckConnectionNode(claim, connection_node);
        // Atomic check-and-record: of two copies of one request
        // racing here, one is served and the other refused.
        if (signed_ok.ok() && op != sync::kOpHello) {
          signed_ok = sessions_.Accept(claim.node_id, claim.session, claim.sequence);
        }
        if (!signed_ok.ok()) {
          RefuseAuth(ex, signed_ok);
          return;
        }
        RunSync(ex, op, claim);
      });
}

void HttpsServer::Impl::RunSync(const std::shared_ptr<Exchange>& ex, const std::string& op,
                                const Claim& claim) {
  ex->set_node(claim.node_id);
  sync::ServiceReply reply;
  try {
    reply = sync_handler_(op, ex->body(), claim.node_id);
  } catch (const std::exception& e) {
    SyncReply(ex, 500, kText, "internal error", std::string("handler threw: ") + e.what());
    return;
  }
  std::string().swap(ex->body());  // free the request before sending the reply
  Headers headers;
  // Only a hello the engine answered opens a session: one that failed
  // (another protocol version, a store error) leaves nothing behind.
  if (op == sync::kOpHello && reply.code == Code::kOk) {
    auto session = sessions_.Open(claim.node_id);
    if (!session.ok()) {
      SyncReply(ex, 500, kText, session.status().message(), session.status().message());
      return;
    }
    headers.emplace_back(net::kHeaderSession, std::move(session).value());
  }
  SyncReply(ex, net::HttpStatusFor(reply.code), kProtobuf, std::move(reply.body), "",
            std::move(headers));
}

void HttpsServer::Impl::HandleUi(web::http::http_request request) {
  auto ex = Begin(std::move(request), kDrainFactor * options_.ui_max_body_bytes);
  if (!FromGovernor(ex)) return;
  if (stopping_) {
    ex->Reply(503, kText, "server is shutting down");
    return;
  }
  auto req = std::make_shared<HttpRequest>();
  req->method = ex->method();
  req->path = ex->path();
  req->query = ex->request().request_uri().query();
  for (const auto& [name, value] : ex->request().headers()) {
    if (IsHopHeader(name)) continue;  // routes never see the secret
    std::string lower = name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    req->headers[lower] = value;
  }
  req->remote = ex->peer();
  // Checked before the body is read: a stranger gets nothing buffered.
  Status local = CheckLocalRequest(*req, options_.ui_port);
  if (!local.ok()) {
    ex->Reply(403, kText, local.message(), local.message());
    return;
  }
  if (ServeStatus(ex)) return;
  std::string allowed;
  auto handler = routes_.Find(req->method, req->path, &allowed);
  if (!handler.ok()) {
    bool wrong_method = handler.status().code() == Code::kFailedPrecondition;
    ex->Reply(wrong_method ? 405 : 404, kText, handler.status().message(), "",
              wrong_method ? Headers{{"Allow", allowed}} : Headers{});
    return;
  }
  ex->ReadBody(options_.ui_max_body_bytes, [ex, req, handler = std::move(handler).value()](
                                               Exchange::BodyOutcome outcome) {
    if (outcome != Exchange::BodyOutcome::kComplete) {
      bool broken = outcome == Exchange::BodyOutcome::kBroken;
      ex->Reply(broken ? 400 : 413, kText,
                broken ? "request body could not be read" : kTooLargeForPage);
      return;
    }
    req->body = std::move(ex->body());
    HttpResponse resp;
    try {
      resp = handler(*req);
    } catch (const std::exception& e) {
      ex->Reply(500, kText, "internal error", std::string("route threw: ") + e.what());
      return;
    }
    ex->Reply(resp.status, resp.content_type, std::move(resp.body), "", std::move(resp.headers));
  });
}

// --- HttpsServer: forwards to Impl ---------------------------------------------

HttpsServer::HttpsServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpsServer::~HttpsServer() = default;  // ~Impl stops

Result<std::unique_ptr<HttpsServer>> HttpsServer::Start(ServerOptions options, SyncHandler sync,
                                                        StatusHandler status) {
  if (!sync) return InvalidArgument("a sync handler is required");
  auto tls = ServerTls::Load(options.ca_path, options.cert_path, options.key_path);
  if (!tls.ok()) return tls.status().WithContext("server certificate: ");
  auto verifier = sync::PeerVerifier::Load(options.ca_path, options.revoked_path, options.crl_path);
  if (!verifier.ok()) return verifier.status();
  auto impl = std::make_unique<Impl>(std::move(options), std::move(sync), std::move(status),
                                     std::move(tls).value(), std::move(verifier).value());
  RETURN_IF_ERROR(impl->Listen());
  return std::unique_ptr<HttpsServer>(new HttpsServer(std::move(impl)));
}

void HttpsServer::Stop() {
  impl_->Stop();
}
void HttpsServer::AddRoute(std::string method, std::string path_prefix, RouteHandler handler) {
  impl_->routes_.Add(std::move(method), std::move(path_prefix), std::move(handler));
}
Status HttpsServer::ReloadRevocations() {
  return impl_->ReloadRevocations();
}
const std::string& HttpsServer::node_id() const {
  return impl_->node_id();
}
int HttpsServer::port() const {
  return impl_->options_.port;
}
int HttpsServer::ui_port() const {
  return impl_->options_.ui_port;
}
uint64_t HttpsServer::requests() const {
  return impl_->requests_;
}
uint64_t HttpsServer::rejected_auth() const {
  return impl_->rejected_auth_;
}
uint64_t HttpsServer::rejected_too_large() const {
  return impl_->rejected_too_large_ + impl_->governor_counters().too_large;
}
uint64_t HttpsServer::handshake_failures() const {
  return impl_->handshake_failures_;
}
uint64_t HttpsServer::refused_connections() const {
  return impl_->governor_counters().refused_connections;
}
uint64_t HttpsServer::evicted_connections() const {
  return impl_->governor_counters().evicted_connections;
}
uint64_t HttpsServer::timeouts() const {
  GovernorCounters c = impl_->governor_counters();
  return c.timeouts + c.handler_timeouts;
}
size_t HttpsServer::sessions() const {
  return impl_->sessions();
}

}  // namespace accord::server
