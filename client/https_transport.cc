#include "client/https_transport.h"

#include <curl/curl.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <mutex>
#include <thread>

#include "net/request_signing.h"
#include "sync/openssl_util.h"

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
  int64_t retry_after_s = 0;
};

size_t AppendBody(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// --- Server identity pinning -------------------------------------------------
// Node certificates name a node, not a host, so curl's host-name check is off
// and this verify callback checks the server's CN instead. It runs inside
// the handshake: nothing is sent to a server that fails it.

int PinIndex() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

int VerifyServer(int preverify_ok, X509_STORE_CTX* store_ctx) {
  if (!preverify_ok || X509_STORE_CTX_get_error_depth(store_ctx) != 0) return preverify_ok;
  auto* ssl = static_cast<SSL*>(
      X509_STORE_CTX_get_ex_data(store_ctx, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* expected =
      static_cast<const std::string*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), PinIndex()));
  if (expected == nullptr || expected->empty()) return 1;
  if (sync::ossl::CommonName(X509_STORE_CTX_get_current_cert(store_ctx)) == *expected) return 1;
  X509_STORE_CTX_set_error(store_ctx, X509_V_ERR_APPLICATION_VERIFICATION);
  return 0;
}

CURLcode ConfigureSslCtx(CURL*, void* ssl_ctx, void* expected_node) {
  auto* ctx = static_cast<SSL_CTX*>(ssl_ctx);
  SSL_CTX_set_ex_data(ctx, PinIndex(), expected_node);
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

}  // namespace

struct HttpsTransport::Impl {
  HttpsTransportOptions options;
  sync::NodeSigner signer;
  std::string cert_b64;  // X-Accord-Cert, the same on every request
  CURL* curl = nullptr;
  char error[CURL_ERROR_SIZE] = {};
  uint64_t sent = 0, received = 0, attempts = 0;

  Impl(HttpsTransportOptions o, sync::NodeSigner s) : options(std::move(o)), signer(std::move(s)) {
    cert_b64 = sync::Base64Encode(signer.cert_pem());
  }
  ~Impl() {
    if (curl != nullptr) curl_easy_cleanup(curl);
  }

  Status Init();
  Attempt Perform(std::string_view op, const std::string& request);
  Status Classify(const Attempt& a, const std::string& url) const;
};

Status HttpsTransport::Impl::Init() {
  GlobalInit();
  curl = curl_easy_init();
  if (curl == nullptr) return Internal("curl_easy_init failed");
  const long connect_ms = static_cast<long>(options.connect_timeout.count());
  bool ok =
      curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error) == CURLE_OK &&
      curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
      // Only our CA: Debian's libcurl would otherwise also trust /etc/ssl/certs.
      curl_easy_setopt(curl, CURLOPT_CAINFO, options.ca_path.c_str()) == CURLE_OK &&
      curl_easy_setopt(curl, CURLOPT_CAPATH, nullptr) == CURLE_OK &&
      curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK &&
      curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L) == CURLE_OK &&  // see VerifyServer
      curl_easy_setopt(curl, CURLOPT_SSL_CTX_FUNCTION, &ConfigureSslCtx) == CURLE_OK &&
      curl_easy_setopt(curl, CURLOPT_SSL_CTX_DATA, &options.expected_server_node) == CURLE_OK &&
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

Attempt HttpsTransport::Impl::Perform(std::string_view op, const std::string& request) {
  Attempt a;
  int64_t now = options.clock_ms ? options.clock_ms()
                                 : std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count();
  // Signed per attempt, so a retry carries a fresh timestamp.
  auto input = net::RequestSigningInput(op, signer.node_id(), now, request);
  auto signature = input.ok() ? signer.Sign(*input) : Result<std::string>(input.status());
  if (!signature.ok()) {
    a.curl = CURLE_ABORTED_BY_CALLBACK;
    a.error = signature.status().ToString();
    return a;
  }
  curl_slist* headers = nullptr;
  for (const std::string& h : {
           std::string("Content-Type: ") + kProtobuf,
           std::string("Expect:"),  // cpprestsdk never answers 100-continue
           std::string(net::kHeaderNode) + ": " + signer.node_id(),
           std::string(net::kHeaderTimestamp) + ": " + std::to_string(now),
           std::string(net::kHeaderCert) + ": " + cert_b64,
           std::string(net::kHeaderSignature) + ": " + sync::Base64Encode(*signature),
       }) {
    headers = curl_slist_append(headers, h.c_str());
  }
  std::string url = options.base_url + net::SyncPath(op);
  error[0] = '\0';
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.size()));
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.data());
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &a.body);
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
  sent += static_cast<uint64_t>(up);
  received += static_cast<uint64_t>(down);
  ++attempts;
  // The handle keeps pointers to these; clear them before they go away.
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, nullptr);
  curl_slist_free_all(headers);
  return a;
}

// Maps a final (not retried) attempt to a Status. OK means: return the body.
Status HttpsTransport::Impl::Classify(const Attempt& a, const std::string& url) const {
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

Result<std::string> HttpsTransport::RoundTrip(std::string_view op, const std::string& request) {
  const HttpsTransportOptions& o = impl_->options;
  std::string url = o.base_url + "/sync/v1/" + std::string(op);
  std::chrono::milliseconds backoff = o.first_backoff;
  for (int attempt = 1;; ++attempt) {
    Attempt a = impl_->Perform(op, request);
    bool transient = a.curl != CURLE_OK
                         ? IsTransient(a.curl) && !IsTlsRefusal(a)
                         : a.http_status == 502 || a.http_status == 503 || a.http_status == 504;
    if (!transient || attempt >= o.max_attempts) {
      Status st = impl_->Classify(a, url);
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
    wait = std::min(wait, o.max_backoff);
    if (o.sleep) {
      o.sleep(wait);
    } else {
      std::this_thread::sleep_for(wait);
    }
    backoff = std::min(backoff * 2, o.max_backoff);
  }
}

const std::string& HttpsTransport::node_id() const {
  return impl_->signer.node_id();
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

}  // namespace accord::client
