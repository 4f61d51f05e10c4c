// One client connection through the governor, from accept to close:
//   [TLS handshake] -> read a head -> check it -> forward head and body to
//   cpprestsdk -> relay its reply -> next head (kept alive) or close.
// Exactly one asynchronous operation is pending per session at any time
// (client or upstream side), so a handler never races another one; each
// operation is bounded by a limit of ConnectionLimits.
#include <boost/asio/connect.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>

#include <array>
#include <cstdio>
#include <limits>

#include "server/governor_front.h"
#include "server/http_head.h"
#include "sync/openssl_util.h"

namespace accord::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using Clock = std::chrono::steady_clock;
using TlsStream = asio::ssl::stream<beast::tcp_stream>;

// A request body or reply moves through this much at a time.
constexpr size_t kRelayBytes = size_t{64} << 10;
// As cpprestsdk's Exchange did: a body up to this many times the limit past
// it is read and dropped so that the client gets a clean 413 on a connection
// it can reuse; beyond that, 413 and close.
constexpr uint64_t kDrainFactor = 4;
// After a refusal that closes the connection, what the client still sends
// is read and dropped for a while, so that it reads our reply instead of a
// reset caused by unread data.
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr size_t kLingerBytes = size_t{4} << 20;
constexpr auto kUpstreamIoTimeout = std::chrono::seconds(10);
// Not boost::none: Boost 1.74's parser compares a Content-Length with an
// empty optional limit as "over it".
constexpr uint64_t kNoBodyLimit = std::numeric_limits<uint64_t>::max();

std::string Seconds(std::chrono::milliseconds d) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g s", static_cast<double>(d.count()) / 1000.0);
  return text;
}

bool IsQuietClose(const error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
         ec == asio::ssl::error::stream_truncated || ec == asio::error::broken_pipe;
}

// The kept-alive hop to cpprestsdk for the request in flight.
struct Upstream {
  explicit Upstream(tcp::socket s) : stream(std::move(s)) {}
  beast::tcp_stream stream;
  beast::flat_buffer buffer;
  std::optional<http::response_parser<http::buffer_body>> parser;
};

template <class Stream>
class Session final : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  Session(Front& front, asio::io_context& context, UpstreamPool& pool, tcp::socket socket,
          uint64_t id, std::string peer)
      : front_(front),
        shared_(front.shared),
        limits_(front.shared.limits),
        context_(context),
        pool_(pool),
        id_(id),
        peer_(std::move(peer)),
        head_buf_(front.shared.limits.max_head_bytes) {
    if constexpr (kTls) {
      stream_.emplace(std::move(socket), *shared_.tls);
    } else {
      stream_.emplace(std::move(socket));
    }
  }

  ~Session() override {
    EndRequest();
    front_.Forget(id_);
  }

  void Start() override;
  void Shutdown(bool force) override;
  asio::io_context& context() override { return context_; }

 private:
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(*stream_); }
  std::shared_ptr<Session> Self() { return this->shared_from_this(); }

  void OnHandshake(const error_code& ec);
  void ReadHead();
  void ReadHeadRest();
  void OnHead(const error_code& ec);
  void TooLarge(uint64_t length, bool expects_continue);
  void Drain(std::function<void()> done);
  void Forward(bool expects_continue);
  void Connect();
  void WriteUpstreamHead();
  void PumpBody();
  bool BodyFastEnough() const;
  void ReadReplyHead();
  void RelayReplyHead();
  void RelayReplyBody();
  void FinishReply();
  void Refuse(int status, std::string_view text, bool close, ExtraHeaders extra = {});
  void LingerThenClose();
  void Linger(size_t dropped);
  void Close();
  void EndRequest();
  void Timeout(std::string_view what);
  std::string Stalled(const char* what) const {
    return std::string(what) + " stalled for " + Seconds(limits_.body_timeout);
  }

  template <class Buffers, class Next>
  void WriteClient(const Buffers& buffers, Next next);

  Front& front_;
  GovernorShared& shared_;
  const ConnectionLimits& limits_;
  asio::io_context& context_;
  UpstreamPool& pool_;
  const uint64_t id_;
  const std::string peer_;
  std::optional<Stream> stream_;
  beast::flat_buffer head_buf_;
  std::optional<http::request_parser<http::empty_body>> request_;
  std::string node_;  // the client certificate's CN (TLS)
  bool closed_ = false;
  bool in_flight_ = false;
  bool first_request_ = true;
  bool close_after_reply_ = false;  // Stop() came while a request was in flight

  // The request being served.
  std::string method_, path_;
  bool keep_alive_ = true;
  uint64_t body_left_ = 0, bytes_in_ = 0;
  Clock::time_point started_;
  std::unique_ptr<char[]> relay_;
  std::unique_ptr<Upstream> upstream_;
  std::string out_;  // a head being written
  ResponseFraming framing_ = ResponseFraming::kNone;
  bool close_after_ = false;
};

template <class Stream>
void Session<Stream>::Start() {
  if (shared_.stopping) return Close();
  if constexpr (kTls) {
    Lowest().expires_after(limits_.handshake_timeout);
    stream_->async_handshake(asio::ssl::stream_base::server,
                             [self = Self()](const error_code& ec) { self->OnHandshake(ec); });
  } else {
    ReadHead();
  }
}

template <class Stream>
void Session<Stream>::OnHandshake(const error_code& ec) {
  if (closed_) return;
  if (ec) {
    // Refusals (no certificate, another CA, revoked) are counted and logged
    // by the TlsPolicy's callbacks, as before the governor existed.
    if (ec == beast::error::timeout) {
      Timeout("TLS handshake not finished within " + Seconds(limits_.handshake_timeout));
    }
    return Close();
  }
  if constexpr (kTls) {
    const X509* cert = SSL_get0_peer_certificate(stream_->native_handle());
    node_ = cert != nullptr ? sync::ossl::CommonName(cert) : "";
  }
  if (node_.empty()) return Close();  // cannot happen: a certificate is required
  front_.SetEvictable(id_, false);    // a node of this deployment, not a stranger
  ReadHead();
}

template <class Stream>
void Session<Stream>::ReadHead() {
  if (closed_) return;
  if (shared_.stopping || close_after_reply_) return Close();
  if (front_.settings.evict_idle) front_.SetEvictable(id_, true);
  request_.emplace();
  request_->header_limit(static_cast<std::uint32_t>(limits_.max_head_bytes));
  request_->body_limit(kNoBodyLimit);  // checked against our own limit in OnHead
  if (head_buf_.size() > 0) return ReadHeadRest();  // pipelined
  head_buf_.shrink_to_fit();                        // idle connections hold no buffer
  // Until the first byte: idle_timeout on a kept-alive connection; a new
  // connection has no business being idle.
  Lowest().expires_after(first_request_ ? limits_.head_timeout : limits_.idle_timeout);
  stream_->async_read_some(head_buf_.prepare(512), [self = Self()](const error_code& ec,
                                                                   size_t n) {
    if (self->closed_) return;
    if (ec) {
      if (ec == beast::error::timeout && self->first_request_) {
        self->Timeout("no request within " + Seconds(self->limits_.head_timeout));
      }
      return self->Close();
    }
    self->head_buf_.commit(n);
    self->ReadHeadRest();
  });
}

template <class Stream>
void Session<Stream>::ReadHeadRest() {
  Lowest().expires_after(limits_.head_timeout);
  http::async_read_header(*stream_, head_buf_, *request_,
                          [self = Self()](const error_code& ec, size_t) { self->OnHead(ec); });
}

template <class Stream>
void Session<Stream>::OnHead(const error_code& ec) {
  if (closed_) return;
  started_ = Clock::now();
  bytes_in_ = 0;
  method_ = "-";
  path_ = "-";
  if (ec) {
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
      return Refuse(431,
                    "request head exceeds this server's limit of " +
                        std::to_string(limits_.max_head_bytes) + " bytes",
                    true);
    }
    if (ec == beast::error::timeout) {
      Timeout("request head not complete within " + Seconds(limits_.head_timeout));
      return Close();
    }
    bool malformed = &ec.category() == &make_error_code(http::error::bad_target).category() &&
                     ec != http::error::end_of_stream && ec != http::error::partial_message;
    if (!malformed || IsQuietClose(ec)) return Close();
    return Refuse(400, "malformed request: " + ec.message(), true);
  }
  first_request_ = false;
  const auto& head = request_->get();
  method_ = std::string(head.method_string());
  std::string_view target(head.target().data(), head.target().size());
  path_ = std::string(target.substr(0, target.find('?')));
  keep_alive_ = request_->keep_alive();
  if (front_.settings.evict_idle) front_.SetEvictable(id_, false);
  if (request_->chunked()) {
    return Refuse(411, "send the body with Content-Length: chunked request bodies are not taken",
                  true);
  }
  if (target.empty() || target[0] != '/') {
    return Refuse(400, "the request target must be a path", true);
  }
  if (shared_.stopping || close_after_reply_) {
    return Refuse(503, "server is shutting down", true, {{"Retry-After", "5"}});
  }
  uint64_t length = request_->content_length().value_or(0);
  auto expect = head.find(http::field::expect);
  bool expects_continue =
      expect != head.end() && beast::iequals(expect->value(), "100-continue") && length > 0;
  if (length > front_.settings.max_body_bytes) return TooLarge(length, expects_continue);
  if (!front_.TryBeginRequest()) {
    ++shared_.busy;
    return Refuse(503,
                  "server busy: " + std::to_string(front_.settings.max_requests_in_flight) +
                      " requests in progress; try again shortly",
                  true, {{"Retry-After", "1"}});
  }
  in_flight_ = true;
  Forward(expects_continue);
}

template <class Stream>
void Session<Stream>::TooLarge(uint64_t length, bool expects_continue) {
  ++shared_.too_large;
  const std::string& text = front_.settings.too_large_message;
  // Draining takes a request slot: it bounds the relay buffers in use.
  bool drain = !expects_continue &&
               length <= front_.settings.max_body_bytes * (1 + kDrainFactor) &&
               front_.TryBeginRequest();
  if (!drain) return Refuse(413, text, true);
  in_flight_ = true;
  body_left_ = length;
  Drain([this, self = Self(), text] { Refuse(413, text, false); });
}

template <class Stream>
void Session<Stream>::Drain(std::function<void()> done) {
  if (!relay_) relay_ = std::make_unique<char[]>(kRelayBytes);
  size_t buffered = static_cast<size_t>(std::min<uint64_t>(body_left_, head_buf_.size()));
  head_buf_.consume(buffered);
  body_left_ -= buffered;
  bytes_in_ += buffered;
  if (body_left_ == 0) return done();
  if (!BodyFastEnough()) {
    Timeout("request body under " + std::to_string(limits_.min_body_bytes_per_second) +
            " bytes/s");
    return Close();
  }
  Lowest().expires_after(limits_.body_timeout);
  stream_->async_read_some(
      asio::buffer(relay_.get(), static_cast<size_t>(std::min<uint64_t>(body_left_, kRelayBytes))),
      [self = Self(), done = std::move(done)](const error_code& ec, size_t n) mutable {
        if (self->closed_) return;
        if (ec) {
          if (ec == beast::error::timeout) self->Timeout(self->Stalled("request body"));
          return self->Close();
        }
        self->body_left_ -= n;
        self->bytes_in_ += n;
        self->Drain(std::move(done));
      });
}

template <class Stream>
bool Session<Stream>::BodyFastEnough() const {
  double secs = std::chrono::duration<double>(Clock::now() - started_).count();
  double grace = std::chrono::duration<double>(limits_.body_timeout).count();
  return secs <= grace ||
         static_cast<double>(bytes_in_) / secs >= static_cast<double>(limits_.min_body_bytes_per_second);
}

template <class Stream>
void Session<Stream>::Forward(bool expects_continue) {
  body_left_ = request_->content_length().value_or(0);
  relay_ = std::make_unique<char[]>(kRelayBytes);
  if (!expects_continue) return Connect();
  // cpprestsdk never answers Expect: 100-continue (a client would stall for
  // its timeout): we do, once the head has passed our checks.
  static constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
  WriteClient(asio::buffer(kContinue, sizeof(kContinue) - 1), [this] { Connect(); });
}

template <class Stream>
void Session<Stream>::Connect() {
  if (auto socket = pool_.Take()) {
    upstream_ = std::make_unique<Upstream>(std::move(*socket));
    return WriteUpstreamHead();
  }
  upstream_ = std::make_unique<Upstream>(tcp::socket(context_));
  upstream_->stream.expires_after(kUpstreamIoTimeout);
  tcp::endpoint to(asio::ip::address_v4::loopback(),
                   static_cast<unsigned short>(front_.settings.upstream_port));
  upstream_->stream.async_connect(to, [self = Self()](const error_code& ec) {
    if (self->closed_) return;
    if (ec) return self->Refuse(502, "the server's request handler is not reachable", true);
    error_code ignored;
    self->upstream_->stream.socket().set_option(tcp::no_delay(true), ignored);
    self->WriteUpstreamHead();
  });
}

template <class Stream>
void Session<Stream>::WriteUpstreamHead() {
  out_ = ForwardedRequestHead(request_->get(), body_left_,
                              HopIdentity{shared_.hop_secret, peer_, node_});
  // What of the body came in with the head goes out with it.
  size_t buffered = static_cast<size_t>(std::min<uint64_t>(body_left_, head_buf_.size()));
  std::array<asio::const_buffer, 2> buffers{
      asio::buffer(out_), asio::buffer(head_buf_.data().data(), buffered)};
  upstream_->stream.expires_after(kUpstreamIoTimeout);
  asio::async_write(upstream_->stream, buffers,
                    [self = Self(), buffered](const error_code& ec, size_t) {
                      if (self->closed_) return;
                      if (ec) {
                        return self->Refuse(502, "the server's request handler went away", true);
                      }
                      self->head_buf_.consume(buffered);
                      self->body_left_ -= buffered;
                      self->bytes_in_ += buffered;
                      self->PumpBody();
                    });
}

template <class Stream>
void Session<Stream>::PumpBody() {
  if (body_left_ == 0) return ReadReplyHead();
  if (!BodyFastEnough()) {
    return Refuse(408,
                  "request body too slow: this server needs at least " +
                      std::to_string(limits_.min_body_bytes_per_second) + " bytes/s",
                  true);
  }
  Lowest().expires_after(limits_.body_timeout);
  stream_->async_read_some(
      asio::buffer(relay_.get(), static_cast<size_t>(std::min<uint64_t>(body_left_, kRelayBytes))),
      [self = Self()](const error_code& ec, size_t n) {
        if (self->closed_) return;
        if (ec) {
          if (ec == beast::error::timeout) self->Timeout(self->Stalled("request body"));
          return self->Close();
        }
        self->body_left_ -= n;
        self->bytes_in_ += n;
        self->upstream_->stream.expires_after(kUpstreamIoTimeout);
        asio::async_write(self->upstream_->stream, asio::buffer(self->relay_.get(), n),
                          [self](const error_code& wec, size_t) {
                            if (self->closed_) return;
                            if (wec) {
                              return self->Refuse(502, "the server's request handler went away",
                                                  true);
                            }
                            self->PumpBody();
                          });
      });
}

template <class Stream>
void Session<Stream>::ReadReplyHead() {
  auto& parser = upstream_->parser.emplace();
  parser.body_limit(kNoBodyLimit);
  if (method_ == "HEAD") parser.skip(true);
  upstream_->stream.expires_after(limits_.handler_timeout);
  http::async_read_header(
      upstream_->stream, upstream_->buffer, parser, [self = Self()](const error_code& ec, size_t) {
        if (self->closed_) return;
        if (ec == beast::error::timeout) {
          ++self->shared_.handler_timeouts;
          return self->Refuse(504,
                              "the server did not answer within " +
                                  Seconds(self->limits_.handler_timeout),
                              true);
        }
        if (ec) return self->Refuse(502, "the server's request handler failed to answer", true);
        self->RelayReplyHead();
      });
}

template <class Stream>
void Session<Stream>::RelayReplyHead() {
  auto& parser = *upstream_->parser;
  const auto& head = parser.get();
  unsigned status = head.result_int();
  if (method_ == "HEAD" || status / 100 == 1 || status == 204 || status == 304) {
    framing_ = ResponseFraming::kNone;
  } else if (parser.content_length()) {
    framing_ = ResponseFraming::kLength;
  } else if (parser.chunked() && request_->get().version() >= 11) {
    framing_ = ResponseFraming::kChunked;
  } else if (parser.is_done()) {
    framing_ = ResponseFraming::kNone;
  } else {
    framing_ = ResponseFraming::kUntilClose;
  }
  close_after_ = !keep_alive_ || framing_ == ResponseFraming::kUntilClose || close_after_reply_ ||
                 shared_.stopping;
  out_ = ClientResponseHead(head, framing_, close_after_);
  WriteClient(asio::buffer(out_), [this] { RelayReplyBody(); });
}

template <class Stream>
void Session<Stream>::RelayReplyBody() {
  auto& parser = *upstream_->parser;
  if (parser.is_done() || framing_ == ResponseFraming::kNone) return FinishReply();
  parser.get().body().data = relay_.get();
  parser.get().body().size = kRelayBytes;
  upstream_->stream.expires_after(limits_.handler_timeout);
  http::async_read(upstream_->stream, upstream_->buffer, parser, [self = Self()](error_code ec,
                                                                                 size_t) {
    if (self->closed_) return;
    if (ec == http::error::need_buffer) ec = {};
    if (ec) {
      // Part of the reply is out: no status can be sent any more.
      if (ec == beast::error::timeout) self->Timeout(self->Stalled("reply from the handler"));
      return self->Close();
    }
    auto& p = *self->upstream_->parser;
    size_t n = kRelayBytes - p.get().body().size;
    if (n == 0) return self->RelayReplyBody();
    if (self->framing_ != ResponseFraming::kChunked) {
      return self->WriteClient(asio::buffer(self->relay_.get(), n),
                               [self] { self->RelayReplyBody(); });
    }
    char size_line[24];
    int len = std::snprintf(size_line, sizeof(size_line), "%zx\r\n", n);
    self->out_.assign(size_line, static_cast<size_t>(len));
    std::array<asio::const_buffer, 3> chunk{asio::buffer(self->out_),
                                            asio::buffer(self->relay_.get(), n),
                                            asio::buffer("\r\n", 2)};
    self->WriteClient(chunk, [self] { self->RelayReplyBody(); });
  });
}

template <class Stream>
void Session<Stream>::FinishReply() {
  if (framing_ == ResponseFraming::kChunked) {
    framing_ = ResponseFraming::kNone;
    static constexpr char kLastChunk[] = "0\r\n\r\n";
    return WriteClient(asio::buffer(kLastChunk, sizeof(kLastChunk) - 1), [this] { FinishReply(); });
  }
  const auto& parser = *upstream_->parser;
  if (parser.is_done() && parser.keep_alive() && upstream_->buffer.size() == 0 &&
      !shared_.stopping) {
    pool_.Give(upstream_->stream.release_socket());
  }
  upstream_.reset();
  relay_.reset();
  EndRequest();
  if (close_after_) return LingerThenClose();
  ReadHead();
}

template <class Stream>
void Session<Stream>::Refuse(int status, std::string_view text, bool close, ExtraHeaders extra) {
  if (upstream_) {  // out of step with the request: never reused
    upstream_->stream.close();
    upstream_.reset();
  }
  EndRequest();
  close = close || close_after_reply_ || shared_.stopping;
  double ms = std::chrono::duration<double, std::milli>(Clock::now() - started_).count();
  char numbers[96];
  std::snprintf(numbers, sizeof(numbers), " -> %d in=%llu out=%zu ms=%.2f", status,
                static_cast<unsigned long long>(bytes_in_), text.size(), ms);
  std::string line = peer_ + " " + (node_.empty() ? "-" : node_) + " " + method_ + " " + path_ +
                     numbers + (close ? " (connection closed)" : "") + " " + std::string(text);
  shared_.log.Log(front_.settings.name + " " + std::to_string(status), line);
  out_ = PlainResponse(status, text, close, extra);
  close_after_ = close;
  WriteClient(asio::buffer(out_), [this] {
    relay_.reset();
    if (close_after_) return LingerThenClose();
    ReadHead();
  });
}

template <class Stream>
void Session<Stream>::LingerThenClose() {
  // FIN after our reply, then read and drop what the client still sends:
  // closing with unread data would send a reset that can destroy the
  // reply before the client reads it.
  error_code ignored;
  Lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
  if (!relay_) relay_ = std::make_unique<char[]>(kRelayBytes);
  Lowest().expires_after(kLingerTime);  // one deadline for the whole linger
  Linger(0);
}

template <class Stream>
void Session<Stream>::Linger(size_t dropped) {
  if (closed_ || dropped > kLingerBytes) return Close();
  // Straight from the socket, below TLS: these bytes are only dropped.
  Lowest().async_read_some(asio::buffer(relay_.get(), kRelayBytes),
                           [self = Self(), dropped](const error_code& ec, size_t n) {
                             if (ec) return self->Close();
                             self->Linger(dropped + n);
                           });
}

template <class Stream>
void Session<Stream>::Shutdown(bool force) {
  if (closed_) return;
  if (force || !in_flight_) return Close();
  close_after_reply_ = true;
}

template <class Stream>
void Session<Stream>::Close() {
  if (closed_) return;
  closed_ = true;
  // Pending operations end with an error and find closed_ set; the objects
  // they use live until the last of them has returned.
  error_code ignored;
  Lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
  Lowest().close();
  if (upstream_) upstream_->stream.close();
  EndRequest();
}

template <class Stream>
void Session<Stream>::EndRequest() {
  if (!in_flight_) return;
  in_flight_ = false;
  front_.EndRequest();
}

template <class Stream>
void Session<Stream>::Timeout(std::string_view what) {
  ++shared_.timeouts;
  // One kind per limit, not per message: the text carries figures.
  std::string_view kind = what.substr(0, what.find(" within "));
  kind = kind.substr(0, kind.find(" under "));
  kind = kind.substr(0, kind.find(" stalled "));
  shared_.log.Log(front_.settings.name + " timeout " + std::string(kind),
                  front_.settings.name + " port: " + std::string(what) + " from " + peer_ +
                      "; connection closed");
}

template <class Stream>
template <class Buffers, class Next>
void Session<Stream>::WriteClient(const Buffers& buffers, Next next) {
  Lowest().expires_after(limits_.body_timeout);
  asio::async_write(*stream_, buffers,
                    [self = Self(), next = std::move(next)](const error_code& ec, size_t) {
                      if (self->closed_) return;
                      if (ec) {
                        if (ec == beast::error::timeout) {
                          self->Timeout(self->Stalled("reply to the client"));
                        }
                        return self->Close();
                      }
                      next();
                    });
}

}  // namespace

std::shared_ptr<SessionBase> MakeSession(Front& front, asio::io_context& context,
                                         UpstreamPool& pool, tcp::socket socket, uint64_t id,
                                         std::string peer) {
  if (front.settings.tls) {
    return std::make_shared<Session<TlsStream>>(front, context, pool, std::move(socket), id,
                                                std::move(peer));
  }
  return std::make_shared<Session<beast::tcp_stream>>(front, context, pool, std::move(socket), id,
                                                      std::move(peer));
}

}  // namespace accord::server
