// One client connection through the governor (governor_front.h), from
// accept to close:
//   [TLS handshake] -> read a head -> check it -> forward head and body to
//   cpprestsdk -> relay its reply -> next head (kept alive) or close.
// Exactly one asynchronous operation is pending per session at any time
// (client or upstream side), so a handler never races another one; each
// operation is bounded by a limit of ConnectionLimits. proxy_session.cc has
// the connection's life (handshake, heads, refusals, closing);
// proxy_relay.cc the forwarding of a request and the relay of its reply.
// Internal to server/: includes Boost.Asio and Beast.
#pragma once

// GCC 12 with the sanitizers sees boost::optional's storage as possibly
// uninitialised inside Beast's parser (a known false positive).
#pragma GCC diagnostic push
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <boost/asio/connect.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#pragma GCC diagnostic pop

#include <array>
#include <cstdio>
#include <limits>

#include "server/governor_front.h"
#include "server/http_head.h"

namespace accord::server::proxy {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using Clock = std::chrono::steady_clock;
using TlsStream = asio::ssl::stream<beast::tcp_stream>;
using PlainStream = beast::tcp_stream;

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
// A TLS record: a 5-byte header (type 22 for a handshake, version, length)
// and at most 2^14 + 2048 bytes.
constexpr size_t kTlsRecordHeader = 5;
constexpr size_t kMaxHelloRecord = kTlsRecordHeader + (size_t{1} << 14) + 2048;
// Not boost::none: Boost 1.74's parser compares a Content-Length with an
// empty optional limit as "over it".
constexpr uint64_t kNoBodyLimit = std::numeric_limits<uint64_t>::max();

inline std::string Seconds(std::chrono::milliseconds d) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g s", static_cast<double>(d.count()) / 1000.0);
  return text;
}

inline bool IsQuietClose(const error_code& ec) {
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
      raw_.emplace(std::move(socket));  // TLS state comes with the ClientHello
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
  beast::tcp_stream& Lowest() { return raw_ ? *raw_ : beast::get_lowest_layer(*stream_); }
  std::shared_ptr<Session> Self() { return this->shared_from_this(); }

  void ReadHello();
  void Handshake();
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
  void RefuseRevoked();
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
  // TLS only, until the client's first record (its ClientHello) is in:
  // the connection and that record, without any TLS state yet.
  std::optional<beast::tcp_stream> raw_;
  beast::flat_buffer hello_{kMaxHelloRecord};
  Clock::time_point handshake_deadline_;
  Clock::time_point first_head_deadline_;  // the first request's head: one deadline
  beast::flat_buffer head_buf_;
  std::optional<http::request_parser<http::empty_body>> request_;
  std::string node_;  // the client certificate's CN (TLS)
  // The CA's signed revocation list naming the client's certificate: every
  // request is answered with it, none forwarded (tls_context.h).
  std::string revocation_statement_;
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
  // Whether the upstream connection may serve another request once this
  // reply is read: not after a reply that has no body by its status, as
  // cpprestsdk may still send one (bytes that would be taken for the next
  // client's reply).
  bool upstream_reusable_ = false;
};

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

}  // namespace accord::server::proxy
