// Forwarding a request to cpprestsdk and relaying its reply; see
// proxy_session.h.
#include "server/http_head.h"
#include "server/proxy_session.h"

namespace accord::server::proxy {

template <class Stream>
bool Session<Stream>::BodyFastEnough() const {
  double secs = std::chrono::duration<double>(Clock::now() - started_).count();
  double grace = std::chrono::duration<double>(limits_.body_timeout).count();
  return secs <= grace || static_cast<double>(bytes_in_) / secs >=
                              static_cast<double>(limits_.min_body_bytes_per_second);
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
  std::array<asio::const_buffer, 2> buffers{asio::buffer(out_),
                                            asio::buffer(head_buf_.data().data(), buffered)};
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
          return self->Refuse(
              504, "the server did not answer within " + Seconds(self->limits_.handler_timeout),
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
  upstream_reusable_ = true;
  if (method_ == "HEAD" || status / 100 == 1 || status == 204 || status == 304) {
    framing_ = ResponseFraming::kNone;
    upstream_reusable_ = false;
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
  http::async_read(
      upstream_->stream, upstream_->buffer, parser, [self = Self()](error_code ec, size_t) {
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
        std::array<asio::const_buffer, 3> chunk{
            asio::buffer(self->out_), asio::buffer(self->relay_.get(), n), asio::buffer("\r\n", 2)};
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
  if (upstream_reusable_ && parser.is_done() && parser.keep_alive() &&
      upstream_->buffer.size() == 0 && !shared_.stopping) {
    pool_.Give(upstream_->stream.release_socket());
  }
  upstream_.reset();
  relay_.reset();
  EndRequest();
  if (close_after_) return LingerThenClose();
  ReadHead();
}

// Instantiated here for both kinds of connection; the rest of the class is
// instantiated in proxy_session.cc.
#define ACCORD_RELAY_MEMBERS(S)                     \
  template bool Session<S>::BodyFastEnough() const; \
  template void Session<S>::Forward(bool);          \
  template void Session<S>::Connect();              \
  template void Session<S>::WriteUpstreamHead();    \
  template void Session<S>::PumpBody();             \
  template void Session<S>::ReadReplyHead();        \
  template void Session<S>::RelayReplyHead();       \
  template void Session<S>::RelayReplyBody();       \
  template void Session<S>::FinishReply();
ACCORD_RELAY_MEMBERS(TlsStream)
ACCORD_RELAY_MEMBERS(PlainStream)
#undef ACCORD_RELAY_MEMBERS

}  // namespace accord::server::proxy
