#include "client/https_transport.h"

#include <curl/curl.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <mutex>
#include <thread>

#include "net/request_signing.h"
#include "sync/openssl_util.h"
#include "sync/transport.h"

namespace accord::client {
namespace {

constexpr char kProtobuf[] = "application/x-protobuf";

// One HTTP exchange as curl saw it.
struct Attempt {
  CURLcode curl = CURLE_OK;
  std::string error;  // curl's error buffer
  long http_status = 0;
  std::string content_type;
  std::string body;
  size_t max_body = 0;          // HttpsTransportOptions::max_reply_bytes
  bool body_too_large = false;  // the transfer was cut off there
  int64_t retry_after_s = 0;
  bool session_unknown = false;  // a 401 saying the server forgot our session
  bool revoked = false;          // a 403 showing the CA's revocation list (the body)
};

// Collects a reply's body, up to its limit: a hostile server could otherwise
// make the client hold any number of bytes before a frame is decoded.
size_t AppendBody(char* data, size_t size, size_t count, void* out) {
  auto* a = static_cast<Attempt*>(out);
  size_t n = size * count;
  if (a->body.size() + n > a->max_body) {
    a->body_too_large = true;
    return 0;  // curl stops the transfer (CURLE_WRITE_ERROR)
  }
  a->body.append(data, n);
  return n;
}

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// --- Server identity pinning -------------------------------------------------
// Node certificates name a node, not a host, so curl's host-name check is off
// and this verify callback checks the server's CN instead. It runs inside
// the handshake: nothing is sent to a server that fails it.

struct ServerPin {
  std::string expected;  // the node the server must be; "" accepts any (until learnt)
  std::string seen;      // the CN of the last server certificate that chained to our CA
};

int PinIndex() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

int VerifyServer(int preverify_ok, X509_STORE_CTX* store_ctx) {
  if (!preverify_ok || X509_STORE_CTX_get_error_depth(store_ctx) != 0) return preverify_ok;
  auto* ssl = static_cast<SSL*>(
      X509_STORE_CTX_get_ex_data(store_ctx, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* pin = static_cast<ServerPin*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), PinIndex()));
  if (pin == nullptr) return 1;
  pin->seen = sync::ossl::CommonName(X509_STORE_CTX_get_current_cert(store_ctx));
  if (pin->expected.empty() || pin->seen == pin->expected) return 1;
  X509_STORE_CTX_set_error(store_ctx, X509_V_ERR_APPLICATION_VERIFICATION);
  return 0;
}

CURLcode ConfigureSslCtx(CURL*, void* ssl_ctx, void* pin) {
  auto* ctx = static_cast<SSL_CTX*>(ssl_ctx);
  SSL_CTX_set_ex_data(ctx, PinIndex(), pin);
  // curl has set VERIFY_PEER already (CURLOPT_SSL_VERIFYPEER); keep it.
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, &VerifyServer);
  return CURLE_OK;
}

bool IsTransient(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
      return true;
    default:
      return false;
  }
}

// The server answering our handshake with an alert (unknown CA, certificate
// required, revoked...) is a refusal, not a network fault: retrying will not
// change its mind. With TLS 1.3 it surfaces as a send/receive error.
bool IsTlsRefusal(const Attempt& a) {
  return (a.curl == CURLE_SSL_CONNECT_ERROR || a.curl == CURLE_RECV_ERROR ||
          a.curl == CURLE_SEND_ERROR) &&
         a.error.find("alert") != std::string::npos;
}

// A reply header of the last transfer, "" when absent.
std::string ReplyHeader(CURL* curl, const char* name) {
  curl_header* header = nullptr;
  if (curl_easy_header(curl, name, 0, CURLH_HEADER, -1, &header) != CURLHE_OK ||
      header == nullptr) {
    return "";
  }
  return header->value;
}

}  // namespace

struct HttpsTransport::Impl {
  HttpsTransportOptions options;
  sync::NodeSigner signer;
  std::string cert_b64;  // X-Accord-Cert, the same on every request
  ServerPin pin;
  CURL* curl = nullptr;
  char error[CURL_ERROR_SIZE] = {};
  uint64_t sent = 0, received = 0, attempts = 0, rehellos = 0;
  // The session the server's last hello reply opened, and the last request
  // number used in it (retries included: each attempt takes the next).
  std::string session = net::kNoSession;
  uint64_t sequence = 0;
  // The engine's last hello that opened a session, to say again if the
  // server forgets it.
  std::string last_hello;
  std::optional<int64_t> skew_ms;
  std::string revocation_statement;  // what a 403 certificate-revoked showed

  Impl(HttpsTransportOptions o, sync::NodeSigner s) : options(std::move(o)), signer(std::move(s)) {
    cert_b64 = sync::Base64Encode(signer.cert_pem());
    pin.expected = options.expected_server_node;
  }
  ~Impl() {
    if (curl != nullptr) curl_easy_cleanup(curl);
  }

  Status Init();
  int64_t NowMs() const;
  Attempt LearnServerNode();
  Attempt Perform(std::string_view op, const std::string& request);
  void ReadReplyHeaders(std::string_view op, const std::string& request, int64_t sent_at,
                        Attempt& a);
  Status Classify(const Attempt& a, const std::string& url) const;
  // Perform with retries of transient failures; the body, or why not.
  Result<std::string> Send(std::string_view op, const std::string& request, bool* session_unknown);
};

Status HttpsTransport::Impl::Init() {
  GlobalInit();
  curl = curl_easy_init();
  if (curl == nullptr) return Internal("curl_easy_init failed");
  const long connect_ms = static_cast<long>(options.connect_timeout.count());
  bool ok = curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error) == CURLE_OK &&
            curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
            // Only our CA: Debian's libcurl would otherwise also trust /etc/ssl/certs.
            curl_easy_setopt(curl, CURLOPT_CAINFO, options.ca_path.c_str()) == CURLE_OK &&
            curl_easy_setopt(curl, CURLOPT_CAPATH, nullptr) == CURLE_OK &&
            curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK &&
            curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L) == CURLE_OK &&  // see VerifyServer
            curl_easy_setopt(curl, CURLOPT_SSL_CTX_FUNCTION, &ConfigureSslCtx) == CURLE_OK &&
            curl_easy_setopt(curl, CURLOPT_SSL_CTX_DATA, &pin) == CURLE_OK &&
            curl_easy_setopt(curl, CURLOPT_SSLCERT, options.cert_path.c_str()) == CURLE_OK &&
            curl_easy_setopt(curl, CURLOPT_SSLKEY, options.key_path.c_str()) == CURLE_OK &&
            curl_easy_setopt(curl, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2) == CURLE_OK &&
            curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https") == CURLE_OK &&
            curl_easy_setopt(curl, CURLOPT_PROXY, options.proxy.c_str()) == CURLE_OK &&
            curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, connect_ms) == CURLE_OK &&
            curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L) == CURLE_OK &&
            curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME,
                             static_cast<long>(options.stall_timeout.count())) == CURLE_OK &&
            curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L) == CURLE_OK &&
            curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &AppendBody) == CURLE_OK;
  if (!ok) return Internal(std::string("configuring libcurl: ") + error);
  return Status::Ok();
}

int64_t HttpsTransport::Impl::NowMs() const {
  if (options.clock_ms) return options.clock_ms();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A request names the server node it is for inside its signature, but curl
// sends the headers of a request right after the handshake of its
// connection, and offers no documented way to change them in between. So,
// when no node is pinned, a handshake alone (no request) comes first, once
// per transport: the verify callback sees which deployment node answers, and
// that node is pinned from then on, so every later connection of this
// transport must reach it too.
Attempt HttpsTransport::Impl::LearnServerNode() {
  Attempt a;
  std::string url = options.base_url + "/";
  error[0] = '\0';
  pin.seen.clear();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CONNECT_ONLY, 1L);
  // The connection of a handshake alone is never reused for a request:
  // close it rather than leave it idle at the server.
  curl_easy_setopt(curl, CURLOPT_FORBID_REUSE, 1L);
  a.curl = curl_easy_perform(curl);
  a.error = error[0] != '\0' ? error : curl_easy_strerror(a.curl);
  curl_easy_setopt(curl, CURLOPT_CONNECT_ONLY, 0L);
  curl_easy_setopt(curl, CURLOPT_FORBID_REUSE, 0L);
  if (a.curl == CURLE_OK && pin.seen.empty()) {
    a.curl = CURLE_PEER_FAILED_VERIFICATION;
    a.error = "the server's certificate named no node";
  }
  if (a.curl != CURLE_OK) {
    ++attempts;  // the request's attempt ended here
    return a;
  }
  pin.expected = pin.seen;
  return a;
}

Attempt HttpsTransport::Impl::Perform(std::string_view op, const std::string& request) {
  if (pin.expected.empty()) {
    Attempt learnt = LearnServerNode();
    if (learnt.curl != CURLE_OK) return learnt;
  }
  Attempt a;
  // Signed per attempt: a retry takes the next number of the session, since
  // the server may have accepted (and will refuse again) the one before.
  bool hello = op == sync::kOpHello;
  if (!hello) ++sequence;
  net::RequestBinding binding{op, signer.node_id(), pin.expected,
                              hello ? std::string_view(net::kNoSession) : session,
                              hello ? 0 : sequence};
  auto input = net::RequestSigningInput(binding, request);
  auto signature = input.ok() ? signer.Sign(*input) : Result<std::string>(input.status());
  if (!signature.ok()) {
    a.curl = CURLE_ABORTED_BY_CALLBACK;
    a.error = signature.status().ToString();
    return a;
  }
  const std::vector<std::string> lines = {
      std::string("Content-Type: ") + kProtobuf,
      std::string("Expect:"),  // cpprestsdk never answers 100-continue
      std::string(net::kHeaderNode) + ": " + signer.node_id(),
      std::string(net::kHeaderServer) + ": " + pin.expected,
      std::string(net::kHeaderSession) + ": " + std::string(binding.session),
      std::string(net::kHeaderSequence) + ": " + std::to_string(binding.sequence),
      std::string(net::kHeaderCert) + ": " + cert_b64,
      std::string(net::kHeaderSignature) + ": " + sync::Base64Encode(*signature),
  };
  curl_slist* headers = nullptr;
  for (const std::string& h : lines) headers = curl_slist_append(headers, h.c_str());
  if (options.on_send) options.on_send(net::SyncPath(op), lines, request);
  std::string url = options.base_url + net::SyncPath(op);
  error[0] = '\0';
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.size()));
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.data());
  a.max_body = options.max_reply_bytes;
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &a);
  int64_t sent_at = NowMs();
  a.curl = curl_easy_perform(curl);
  a.error = error[0] != '\0' ? error : curl_easy_strerror(a.curl);

  curl_off_t up = 0, down = 0, retry_after = 0;
  char* type = nullptr;
  curl_easy_getinfo(curl, CURLINFO_SIZE_UPLOAD_T, &up);
  curl_easy_getinfo(curl, CURLINFO_SIZE_DOWNLOAD_T, &down);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &a.http_status);
  curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type);
  curl_easy_getinfo(curl, CURLINFO_RETRY_AFTER, &retry_after);
  if (type != nullptr) a.content_type = type;
  // A server refusing an upload replies early and closes; curl may then fail
  // the send although the refusal (e.g. 413) arrived. The refusal is the
  // news, not the broken pipe.
  if ((a.curl == CURLE_SEND_ERROR || a.curl == CURLE_RECV_ERROR) && a.http_status >= 400 &&
      a.http_status < 500) {
    a.curl = CURLE_OK;
  }
  a.retry_after_s = retry_after;
  if (a.curl == CURLE_OK) ReadReplyHeaders(op, request, sent_at, a);
  sent += static_cast<uint64_t>(up);
  received += static_cast<uint64_t>(down);
  ++attempts;
  // The handle keeps pointers to these; clear them before they go away.
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, nullptr);
  curl_slist_free_all(headers);
  return a;
}

void HttpsTransport::Impl::ReadReplyHeaders(std::string_view op, const std::string& request,
                                            int64_t sent_at, Attempt& a) {
  if (auto server_ms = net::ParseDecimal(ReplyHeader(curl, net::kHeaderServerTime))) {
    // The server read its clock somewhere between our send and our receipt:
    // take the middle, off by at most half the round trip.
    int64_t received_at = NowMs();
    skew_ms = *server_ms - (sent_at + (received_at - sent_at) / 2);
  }
  a.revoked = a.http_status == 403 &&
              ReplyHeader(curl, net::kHeaderRefusal) == std::string(net::kRefusalRevoked);
  std::string reply_session = ReplyHeader(curl, net::kHeaderSession);
  if (op == sync::kOpHello && a.http_status >= 200 && a.http_status < 300 &&
      net::IsSessionId(reply_session)) {
    session = reply_session;
    sequence = 0;
    last_hello = request;
  } else if (a.http_status == 401 && reply_session == net::kNoSession) {
    a.session_unknown = true;
    session = net::kNoSession;
  }
}

// Maps a final (not retried) attempt to a Status. OK means: return the body.
Status HttpsTransport::Impl::Classify(const Attempt& a, const std::string& url) const {
  if (a.body_too_large) {
    return Corruption(url + ": the reply exceeds " + std::to_string(a.max_body) +
                      " bytes, more than any sync frame may hold; not read further");
  }
  if (a.curl != CURLE_OK) {
    if (IsTlsRefusal(a)) {
      return PermissionDenied(url + ": the server refused our certificate (" + a.error + ")");
    }
    if (a.curl == CURLE_PEER_FAILED_VERIFICATION) {
      std::string who = options.expected_server_node.empty()
                            ? "a node of this deployment"
                            : "node " + options.expected_server_node;
      return PermissionDenied(url + ": the server is not " + who + " (" + a.error + ")");
    }
    if (a.curl == CURLE_SSL_CERTPROBLEM || a.curl == CURLE_SSL_CACERT_BADFILE ||
        a.curl == CURLE_ABORTED_BY_CALLBACK) {
      return InvalidArgument(url + ": our TLS files are unusable: " + a.error);
    }
    return Unavailable(url + ": " + a.error);
  }
  if (a.http_status >= 200 && a.http_status < 300) return Status::Ok();
  if (a.revoked) {
    return PermissionDenied(url +
                            ": the server refused this node: it says this node's certificate is "
                            "on the deployment CA's revocation list");
  }
  bool busy = a.http_status == 502 || a.http_status == 503 || a.http_status == 504;
  // A frame from the peer's engine (often an ErrorReply): the engine decodes it.
  if (!busy && a.content_type.rfind(kProtobuf, 0) == 0) return Status::Ok();
  bool text = a.content_type.rfind("text/", 0) == 0;
  std::string what = url + ": HTTP " + std::to_string(a.http_status) +
                     (text && !a.body.empty() ? ": " + a.body.substr(0, 500) : "");
  switch (a.http_status) {
    case 401:
    case 403:
      return PermissionDenied(what);
    case 404:
      return NotFound(what);
    case 502:
    case 503:
    case 504:
      return Unavailable(what);
    default:
      return a.http_status < 500 ? InvalidArgument(what) : Internal(what);
  }
}

HttpsTransport::HttpsTransport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpsTransport::~HttpsTransport() = default;

Result<std::unique_ptr<HttpsTransport>> HttpsTransport::Create(HttpsTransportOptions options) {
  if (options.base_url.rfind("https://", 0) != 0) {
    return InvalidArgument("peer URL must start with https:// (got " + options.base_url + ")");
  }
  while (!options.base_url.empty() && options.base_url.back() == '/') options.base_url.pop_back();
  if (options.max_attempts < 1) options.max_attempts = 1;
  auto signer = sync::NodeSigner::Load(options.cert_path, options.key_path);
  if (!signer.ok()) return signer.status();
  auto impl = std::make_unique<Impl>(std::move(options), std::move(signer).value());
  RETURN_IF_ERROR(impl->Init());
  return std::unique_ptr<HttpsTransport>(new HttpsTransport(std::move(impl)));
}

Result<std::string> HttpsTransport::Impl::Send(std::string_view op, const std::string& request,
                                               bool* session_unknown) {
  std::string url = options.base_url + net::SyncPath(op);
  std::chrono::milliseconds backoff = options.first_backoff;
  for (int attempt = 1;; ++attempt) {
    Attempt a = Perform(op, request);
    *session_unknown = a.session_unknown;
    bool transient = a.curl != CURLE_OK
                         ? IsTransient(a.curl) && !IsTlsRefusal(a)
                         : a.http_status == 502 || a.http_status == 503 || a.http_status == 504;
    if (!transient || attempt >= options.max_attempts) {
      if (a.revoked) revocation_statement = a.body;
      Status st = Classify(a, url);
      if (!st.ok()) {
        if (transient && attempt > 1) {
          return st.WithContext("after " + std::to_string(attempt) + " attempts: ");
        }
        return st;
      }
      return std::move(a.body);
    }
    std::chrono::milliseconds wait =
        std::max(backoff, std::chrono::milliseconds(a.retry_after_s * 1000));
    wait = std::min(wait, options.max_backoff);
    if (options.sleep) {
      options.sleep(wait);
    } else {
      std::this_thread::sleep_for(wait);
    }
    backoff = std::min(backoff * 2, options.max_backoff);
  }
}

Result<std::string> HttpsTransport::RoundTrip(std::string_view op, const std::string& request) {
  bool session_unknown = false;
  auto reply = impl_->Send(op, request, &session_unknown);
  if (!session_unknown || op == sync::kOpHello || impl_->last_hello.empty()) return reply;
  // The server forgot our session (it restarted, or the session idled out or
  // was replaced). A hello changes nothing there, so say the engine's last
  // one again and retry once; the engine never learns of it.
  ++impl_->rehellos;
  std::string hello = impl_->last_hello;
  auto again = impl_->Send(sync::kOpHello, hello, &session_unknown);
  if (!again.ok()) return again.status().WithContext("saying hello again: ");
  if (impl_->session == net::kNoSession) {
    return reply.status().WithContext("saying hello again opened no session: ");
  }
  return impl_->Send(op, request, &session_unknown);
}

const std::string& HttpsTransport::node_id() const {
  return impl_->signer.node_id();
}
const std::string& HttpsTransport::server_node() const {
  return impl_->pin.expected;
}
std::optional<int64_t> HttpsTransport::clock_skew_ms() const {
  return impl_->skew_ms;
}
uint64_t HttpsTransport::rehellos() const {
  return impl_->rehellos;
}
uint64_t HttpsTransport::bytes_sent() const {
  return impl_->sent;
}
uint64_t HttpsTransport::bytes_received() const {
  return impl_->received;
}
uint64_t HttpsTransport::attempts() const {
  return impl_->attempts;
}
const std::string& HttpsTransport::revocation_statement() const {
  return impl_->revocation_statement;
}

}  // namespace accord::client
