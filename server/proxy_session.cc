// A connection's life through the governor: TLS handshake, request heads,
// the governor's own refusals, lingering and closing; see proxy_session.h.
#include "server/proxy_session.h"

#include "net/request_signing.h"
#include "server/http_head.h"
#include "server/tls_context.h"
#include "sync/openssl_util.h"

namespace accord::server {
namespace proxy {

template <class Stream>
void Session<Stream>::Start() {
  if (shared_.stopping) return Close();
  if constexpr (kTls) {
    handshake_deadline_ = Clock::now() + limits_.handshake_timeout;
    Lowest().expires_at(handshake_deadline_);
    ReadHello();
  } else {
    ReadHead();
  }
}

// An SSL object with Asio's buffers weighs ~100 KB from its creation on; a
// stranger trickling a ClientHello a byte at a time would hold that much
// per connection. So the first record is read here, into a buffer no larger
// than what has arrived, and TLS state is created only once it is whole.
template <class Stream>
void Session<Stream>::ReadHello() {
  size_t want = kTlsRecordHeader;
  if (hello_.size() >= kTlsRecordHeader) {
    const auto* bytes = static_cast<const unsigned char*>(hello_.data().data());
    want += size_t{bytes[3]} << 8 | bytes[4];
    if (bytes[0] != 22 || want > kMaxHelloRecord) {
      shared_.log.Log(front_.settings.name + " not TLS",
                      front_.settings.name + " port: " + peer_ +
                          " did not start a TLS handshake; connection closed");
      return Close();
    }
  }
  if (hello_.size() >= want) return Handshake();
  // Exactly the rest of the record: what follows is OpenSSL's to read.
  raw_->async_read_some(hello_.prepare(want - hello_.size()),
                        [self = Self()](const error_code& ec, size_t n) {
                          if (self->closed_) return;
                          if (ec) return self->OnHandshake(ec);
                          self->hello_.commit(n);
                          self->ReadHello();
                        });
}

template <class Stream>
void Session<Stream>::Handshake() {
  if constexpr (kTls) {
    stream_.emplace(std::move(*raw_), *shared_.tls);
    raw_.reset();
    Lowest().expires_at(handshake_deadline_);
    stream_->async_handshake(asio::ssl::stream_base::server, hello_.data(),
                             [self = Self()](const error_code& ec, size_t) {
                               self->hello_.clear();
                               self->hello_.shrink_to_fit();
                               self->OnHandshake(ec);
                             });
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
    if (!stream_) return Close();
    const X509* cert = SSL_get0_peer_certificate(stream_->native_handle());
    node_ = cert != nullptr ? sync::ossl::CommonName(cert) : "";
    revocation_statement_ = RevocationStatementOf(stream_->native_handle());
  }
  if (node_.empty()) return Close();  // cannot happen: a certificate is required
  // A node of this deployment, not a stranger; a revoked one stays evictable.
  if (revocation_statement_.empty()) front_.SetEvictable(id_, false);
  ReadHead();
}

template <class Stream>
void Session<Stream>::ReadHead() {
  if (closed_) return;
  if (shared_.stopping || close_after_reply_) return Close();
  if (front_.settings.evict_idle) front_.SetEvictable(id_, true);
  request_.emplace();
  request_->header_limit(static_cast<std::uint32_t>(limits_.max_head_bytes));
  request_->body_limit(kNoBodyLimit);               // checked against our own limit in OnHead
  if (head_buf_.size() > 0) return ReadHeadRest();  // pipelined
  head_buf_.shrink_to_fit();                        // idle connections hold no buffer
  // A new connection has head_timeout for its whole first head: it has no
  // business being idle. A kept-alive one waits up to idle_timeout for the
  // first byte of its next head, then has head_timeout for the rest.
  if (first_request_) {
    first_head_deadline_ = Clock::now() + limits_.head_timeout;
    Lowest().expires_at(first_head_deadline_);
  } else {
    Lowest().expires_after(limits_.idle_timeout);
  }
  stream_->async_read_some(head_buf_.prepare(512), [self = Self()](const error_code& ec, size_t n) {
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
  if (first_request_) {
    Lowest().expires_at(first_head_deadline_);
  } else {
    Lowest().expires_after(limits_.head_timeout);
  }
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
  // Accord serves GET and POST only. Anything else stops here: cpprestsdk
  // answers TRACE itself, echoing the head the governor forwards, internal
  // hop secret included; and a HEAD's reply leaves cpprestsdk's body on the
  // pooled internal connection.
  if (head.method() != http::verb::get && head.method() != http::verb::post) {
    return Refuse(405, method_ + " is not served here: use GET or POST", true,
                  {{"Allow", "GET, POST"}});
  }
  if (shared_.stopping || close_after_reply_) {
    return Refuse(503, "server is shutting down", true, {{"Retry-After", "5"}});
  }
  if (!revocation_statement_.empty()) return RefuseRevoked();
  uint64_t length = request_->content_length().value_or(0);
  auto expect = head.find(http::field::expect);
  bool expects_continue =
      expect != head.end() && beast::iequals(expect->value(), "100-continue") && length > 0;
  if (length > front_.settings.max_body_bytes) return TooLarge(length, expects_continue);
  switch (front_.TryBeginRequest(node_)) {
    case Front::Slot::kTaken:
      break;
    case Front::Slot::kFrontBusy:
      ++shared_.busy;
      return Refuse(503,
                    "server busy: " + std::to_string(front_.settings.max_requests_in_flight) +
                        " requests in progress; try again shortly",
                    true, {{"Retry-After", "1"}});
    case Front::Slot::kNodeBusy:
      ++shared_.busy;
      return Refuse(
          503,
          "server busy: " + std::to_string(front_.settings.max_requests_in_flight_per_node) +
              " requests of " + node_ + " in progress; try again shortly",
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
  bool drain = !expects_continue && length <= front_.settings.max_body_bytes * (1 + kDrainFactor) &&
               front_.TryBeginRequest(node_) == Front::Slot::kTaken;
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
    Timeout("request body under " + std::to_string(limits_.min_body_bytes_per_second) + " bytes/s");
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

// The request of a node the CA's signed list revokes: never forwarded; the
// reply is the list itself, for the node to verify and lock itself.
template <class Stream>
void Session<Stream>::RefuseRevoked() {
  EndRequest();
  shared_.log.Log(front_.settings.name + " revoked",
                  peer_ + " " + node_ + " " + method_ + " " + path_ +
                      " -> 403 (connection closed): its certificate is on the deployment CA's "
                      "revocation list; shown the list");
  out_ = PlainResponse(403, revocation_statement_, true,
                       {{net::kHeaderRefusal, net::kRefusalRevoked}});
  close_after_ = true;
  WriteClient(asio::buffer(out_), [this] {
    relay_.reset();
    LingerThenClose();
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
  front_.EndRequest(node_);
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

template class Session<TlsStream>;
template class Session<PlainStream>;

}  // namespace proxy

std::shared_ptr<SessionBase> MakeSession(Front& front, boost::asio::io_context& context,
                                         UpstreamPool& pool, boost::asio::ip::tcp::socket socket,
                                         uint64_t id, std::string peer) {
  if (front.settings.tls) {
    return std::make_shared<proxy::Session<proxy::TlsStream>>(
        front, context, pool, std::move(socket), id, std::move(peer));
  }
  return std::make_shared<proxy::Session<proxy::PlainStream>>(
      front, context, pool, std::move(socket), id, std::move(peer));
}
}  // namespace accord::server
