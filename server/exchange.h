// One HTTP request from arrival to reply, on top of cpprestsdk: reading the
// body within a limit, replying, and the request log line. Included only by
// server .cc files (it pulls in cpprestsdk).
//
// Everything here is asynchronous: handlers run on cpprestsdk's small pool,
// where blocking on another pool task can deadlock, so each step is a
// continuation holding a shared_ptr to the Exchange.
#pragma once

#include <cpprest/http_listener.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace accord::server {

using Headers = std::vector<std::pair<std::string, std::string>>;

class Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  // `on_finish` runs once the reply has been written (or failed), or when
  // the Exchange is destroyed without one: the server counts requests in
  // flight with it.
  Exchange(web::http::http_request request, size_t drain_budget, std::function<void()> on_finish);
  ~Exchange();
  Exchange(const Exchange&) = delete;
  Exchange& operator=(const Exchange&) = delete;

  enum class BodyOutcome {
    kComplete,  // body() holds it
    kTooLarge,  // over the limit; the rest was read and dropped, connection reusable
    kAborted,   // over the limit and the drain budget: stream cut, connection must close
    kBroken,    // the connection failed while reading
  };
  // Reads the body chunk by chunk (cpprestsdk would otherwise buffer all of
  // it, at ~3x its size), keeping at most `limit` bytes.
  void ReadBody(size_t limit, std::function<void(BodyOutcome)> done);

  // Replies once. If the body has not been read, it is first drained (within
  // the budget, so the connection stays usable) or cut off, closing the
  // connection: cpprestsdk sends no reply before the whole body arrived.
  void Reply(int status, std::string content_type, std::string body, std::string note = "",
             Headers headers = {});

  web::http::http_request& request() { return request_; }
  const std::string& method() const { return method_; }
  const std::string& path() const { return path_; }
  const std::string& peer() const { return peer_; }
  std::string& body() { return body_; }
  std::string Header(const std::string& name) const;
  void set_node(std::string node) { node_ = std::move(node); }
  // The client's address when cpprestsdk only sees the governor's.
  void set_peer(std::string peer) { peer_ = std::move(peer); }

 private:
  struct Reader;
  void ReadChunk(std::shared_ptr<Reader> reader);
  void AbortBody();
  void Send(int status, const std::string& content_type, std::string body, std::string note,
            Headers headers, bool close);

  web::http::http_request request_;
  size_t drain_budget_;
  std::function<void()> on_finish_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::string method_, path_, peer_;
  std::string node_ = "-";
  std::optional<uint64_t> content_length_;  // absent when chunked
  bool body_consumed_ = false;
  bool must_close_ = false;  // the body was cut off: the stream is out of sync
  bool replied_ = false;
  uint64_t bytes_in_ = 0;
  std::string body_;
};

}  // namespace accord::server
