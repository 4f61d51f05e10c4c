// Transports for the sync benchmark. Both carry real frames: RunSync encodes
// each request, SyncService::Handle decodes it and encodes the reply, RunSync
// decodes that. Nothing touches a network.
//  - InProcessTransport calls the peer's SyncService directly (one process).
//  - SocketTransport sends frames over a socketpair to ServeSocket running in
//    another process, so each side's memory can be measured on its own.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "bench/bench_credentials.h"
#include "core/store.h"
#include "sync/sync_service.h"
#include "sync/transport.h"
#include "sync/wire_codec.h"

namespace accord::bench {

// Frames and round trips, both directions, as a transport sees them.
struct WireCounts {
  long round_trips = 0;
  long request_bytes = 0;
  long reply_bytes = 0;
  long raw_bytes = 0;  // the same frames' protobuf size before zstd (when measured)
  long bytes() const { return request_bytes + reply_bytes; }
};

class InProcessTransport : public sync::Transport {
 public:
  InProcessTransport(Store& peer, std::string client_node)
      : service_(peer, CredentialsFor(peer)), client_node_(std::move(client_node)) {}

  Result<std::string> RoundTrip(std::string_view op, const std::string& request) override {
    counts.round_trips++;
    counts.request_bytes += static_cast<long>(request.size());
    sync::ServiceReply reply = service_.Handle(op, request, client_node_);
    counts.reply_bytes += static_cast<long>(reply.body.size());
    if (measure_raw) counts.raw_bytes += RawSize(request) + RawSize(reply.body);
    return std::move(reply.body);
  }

  WireCounts counts;
  // Decodes every frame once more to count raw_bytes: slower, so not in timed runs.
  bool measure_raw = false;

 private:
  static long RawSize(std::string_view frame) {
    auto envelope = sync::DecodeFrame(frame);
    return envelope.ok() ? static_cast<long>(envelope->ByteSizeLong()) : 0;
  }

  sync::SyncService service_;
  std::string client_node_;
};

// Length-prefixed messages on a stream socket: [u32 size][bytes].
inline bool WriteAll(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}
inline bool ReadAll(int fd, void* data, size_t size) {
  char* p = static_cast<char*>(data);
  while (size > 0) {
    ssize_t n = ::read(fd, p, size);
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}
inline bool SendMessage(int fd, std::string_view bytes) {
  uint32_t size = static_cast<uint32_t>(bytes.size());
  return WriteAll(fd, &size, sizeof size) && WriteAll(fd, bytes.data(), bytes.size());
}
inline bool ReceiveMessage(int fd, std::string* bytes) {
  uint32_t size = 0;
  if (!ReadAll(fd, &size, sizeof size)) return false;
  bytes->resize(size);
  return ReadAll(fd, bytes->data(), size);
}

class SocketTransport : public sync::Transport {
 public:
  explicit SocketTransport(int fd) : fd_(fd) {}

  Result<std::string> RoundTrip(std::string_view op, const std::string& request) override {
    counts.round_trips++;
    counts.request_bytes += static_cast<long>(request.size());
    if (!SendMessage(fd_, op) || !SendMessage(fd_, request))
      return Unavailable("serving process gone");
    std::string reply;
    if (!ReceiveMessage(fd_, &reply)) return Unavailable("serving process gone");
    counts.reply_bytes += static_cast<long>(reply.size());
    return reply;
  }

  WireCounts counts;

 private:
  int fd_;
};

// Answers SocketTransport requests for `client_node` until the other end closes.
inline void ServeSocket(Store& store, int fd, const std::string& client_node) {
  sync::SyncService service(store, CredentialsFor(store));
  std::string op, request;
  while (ReceiveMessage(fd, &op) && ReceiveMessage(fd, &request)) {
    sync::ServiceReply reply = service.Handle(op, request, client_node);
    if (!SendMessage(fd, reply.body)) return;
  }
}

}  // namespace accord::bench
