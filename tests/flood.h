// Strangers flooding a server from many loopback addresses (127.0.0.0/8),
// as an attacker's hosts would: connections that send a byte now and then
// and come back when dropped. Bounded: each pass reconnects at most 100, and
// the flood ends when the object does. Destination 127.0.0.1 only.
#pragma once

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tests/raw_clients.h"

namespace accord::testing {

// The first bytes of a TLS record announcing a 512-byte handshake message:
// a server waits for the rest, which never comes.
constexpr char kSlowHello[] = {0x16, 0x03, 0x01, 0x02, 0x00};

inline std::string Source(size_t i) {
  return "127.0." + std::to_string(1 + i / 200) + "." + std::to_string(2 + i % 200);
}

// Strangers holding connections open, each sending a byte now and then, and
// reconnecting when the server drops them, until stopped.
class Flood {
 public:
  Flood(std::vector<int> ports, size_t connections, size_t per_address) {
    for (size_t i = 0; i < connections; ++i) {
      targets_.push_back({Source(i / per_address), ports[i % ports.size()], -1, 0});
      Open(targets_.back());
    }
    thread_ = std::thread([this] { Trickle(); });
  }
  ~Flood() {
    stop_ = true;
    thread_.join();
    for (auto& t : targets_) {
      if (t.fd >= 0) ::close(t.fd);
    }
  }
  size_t open() const { return open_; }
  size_t reconnects() const { return reconnects_; }

 private:
  struct Target {
    std::string source;
    int port;
    int fd;
    size_t sent;
  };
  void Open(Target& t) {
    t.fd = ConnectFrom(t.source, t.port);
    t.sent = 0;
  }
  void Trickle() {
    while (!stop_) {
      size_t open = 0, reopened = 0;
      for (auto& t : targets_) {
        if (stop_) return;
        if (t.fd >= 0 && !StillOpen(t.fd)) {
          ::close(t.fd);
          t.fd = -1;
        }
        if (t.fd < 0 && reopened < 100) {  // bounded: a pass stays short
          Open(t);
          ++reopened;
          ++reconnects_;
        }
        if (t.fd < 0) continue;
        ++open;
        char byte = t.sent < sizeof(kSlowHello) ? kSlowHello[t.sent] : 0;
        if (::send(t.fd, &byte, 1, MSG_NOSIGNAL | MSG_DONTWAIT) == 1) ++t.sent;
      }
      open_ = open;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }

  std::vector<Target> targets_;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> open_{0}, reconnects_{0};
  std::thread thread_;
};

}  // namespace accord::testing
