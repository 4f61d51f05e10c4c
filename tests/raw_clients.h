// Clients no office would be, for the connection governor's tests: bare TCP
// connections from any loopback address (127.0.0.0/8), and a blocking
// mutual-TLS client that can send a request a byte at a time. 127.0.0.1 only
// as the destination: nothing leaves the machine.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

namespace accord::testing {

// A TCP connection from `source` to 127.0.0.1:port, or -1.
inline int ConnectFrom(const std::string& source, int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in from{};
  from.sin_family = AF_INET;
  inet_pton(AF_INET, source.c_str(), &from.sin_addr);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof(from)) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

inline bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Waits up to `timeout` for the server to close `fd` (end of stream or
// reset), appending what it sent meanwhile to `*reply`.
inline bool ClosedWithin(int fd, std::chrono::milliseconds timeout, std::string* reply = nullptr) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) return true;
    if (reply != nullptr) reply->append(buf, static_cast<size_t>(n));
  }
}

// Still open from the server's side: nothing to read, no end of stream.
inline bool StillOpen(int fd) {
  char byte;
  ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

// Lets this process open enough sockets for a flood and its server.
inline size_t RaiseDescriptorLimit() {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  getrlimit(RLIMIT_NOFILE, &limit);
  return static_cast<size_t>(limit.rlim_cur);
}

// "VmRSS" or "VmHWM" of this process (client and server alike), in MiB.
inline double ProcessMiB(const std::string& key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) == 0) return std::stod(line.substr(key.size() + 1)) / 1024.0;
  }
  return 0;
}

// Mutual TLS with blocking reads bounded by a receive timeout.
class TlsClient {
 public:
  static std::unique_ptr<TlsClient> Connect(int port, const std::string& ca,
                                            const std::string& cert, const std::string& key) {
    auto c = std::unique_ptr<TlsClient>(new TlsClient());
    c->fd_ = ConnectFrom("127.0.0.1", port);
    c->ctx_ = SSL_CTX_new(TLS_client_method());
    if (c->fd_ < 0 || c->ctx_ == nullptr ||
        SSL_CTX_load_verify_locations(c->ctx_, ca.c_str(), nullptr) != 1 ||
        SSL_CTX_use_certificate_chain_file(c->ctx_, cert.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(c->ctx_, key.c_str(), SSL_FILETYPE_PEM) != 1) {
      return nullptr;
    }
    SSL_CTX_set_verify(c->ctx_, SSL_VERIFY_PEER, nullptr);
    c->ssl_ = SSL_new(c->ctx_);
    SSL_set_fd(c->ssl_, c->fd_);
    timeval tv{5, 0};
    setsockopt(c->fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (SSL_connect(c->ssl_) != 1) return nullptr;
    return c;
  }
  ~TlsClient() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (ctx_ != nullptr) SSL_CTX_free(ctx_);
    if (fd_ >= 0) ::close(fd_);
    ERR_clear_error();
  }

  bool Write(std::string_view data) {
    return data.empty() || SSL_write(ssl_, data.data(), static_cast<int>(data.size())) > 0;
  }
  // Reads until the server closes (true) or `timeout` passes (false).
  bool ReadUntilClosed(std::chrono::milliseconds timeout, std::string* reply) {
    timeval tv{static_cast<time_t>(timeout.count() / 1000),
               static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[4096];
    while (std::chrono::steady_clock::now() < deadline) {
      int n = SSL_read(ssl_, buf, sizeof(buf));
      if (n > 0) {
        reply->append(buf, static_cast<size_t>(n));
        continue;
      }
      int err = SSL_get_error(ssl_, n);
      bool timed_out = err == SSL_ERROR_WANT_READ ||
                       (err == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK));
      ERR_clear_error();
      return !timed_out;
    }
    return false;
  }
  // Reads until `reply` holds a whole head and `body_bytes` after it.
  std::string ReadReply(size_t body_bytes) {
    std::string reply;
    char buf[4096];
    for (;;) {
      size_t head_end = reply.find("\r\n\r\n");
      if (head_end != std::string::npos && reply.size() >= head_end + 4 + body_bytes) break;
      int n = SSL_read(ssl_, buf, sizeof(buf));
      if (n <= 0) break;
      reply.append(buf, static_cast<size_t>(n));
    }
    ERR_clear_error();
    return reply;
  }

 private:
  TlsClient() = default;
  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
};

}  // namespace accord::testing
