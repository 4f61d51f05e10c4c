#include "server/exchange.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "server/log.h"

namespace accord::server {

namespace {
// Large enough to amortise a continuation per chunk, small enough that a
// connection never holds much more than this beyond the body we keep.
constexpr size_t kChunkBytes = size_t{64} << 10;
}  // namespace

struct Exchange::Reader {
  size_t limit = 0;
  std::function<void(BodyOutcome)> done;
  std::vector<uint8_t> chunk = std::vector<uint8_t>(kChunkBytes);
};

Exchange::Exchange(web::http::http_request request, size_t drain_budget,
                   std::function<void()> on_finish)
    : request_(std::move(request)), drain_budget_(drain_budget), on_finish_(std::move(on_finish)) {
  method_ = request_.method();
  path_ = request_.request_uri().path();
  peer_ = request_.remote_address();
  if (peer_.empty()) peer_ = "?";
  uint64_t length = 0;
  const auto& headers = request_.headers();
  bool chunked = headers.has(web::http::header_names::transfer_encoding);
  if (!chunked) {
    content_length_ = headers.match(web::http::header_names::content_length, length) ? length : 0;
  }
  if (content_length_ == 0u) body_consumed_ = true;
}

Exchange::~Exchange() {
  if (!replied_) {
    // Only reached if a continuation threw before replying; the client
    // must not hang until the connection is closed.
    try {
      Send(500, "text/plain; charset=utf-8", "internal error", "no reply was produced", {}, true);
    } catch (...) {
    }
  }
  if (on_finish_) on_finish_();
}

std::string Exchange::Header(const std::string& name) const {
  auto it = request_.headers().find(name);
  return it == request_.headers().end() ? "" : it->second;
}

void Exchange::ReadBody(size_t limit, std::function<void(BodyOutcome)> done) {
  if (content_length_ && *content_length_ > limit + drain_budget_) {
    // Refuse without reading: draining this much would only waste the link.
    AbortBody();
    done(BodyOutcome::kAborted);
    return;
  }
  if (content_length_ && *content_length_ <= limit) body_.reserve(*content_length_);
  auto reader = std::make_shared<Reader>();
  reader->limit = limit;
  reader->done = std::move(done);
  ReadChunk(std::move(reader));
}

void Exchange::ReadChunk(std::shared_ptr<Reader> reader) {
  auto self = shared_from_this();
  // With a Content-Length, stop at it instead of waiting for end-of-stream:
  // one continuation (a hop between pool threads) less per request.
  size_t want = reader->chunk.size();
  if (content_length_) {
    if (bytes_in_ >= *content_length_) {
      body_consumed_ = true;
      reader->done(bytes_in_ > reader->limit ? BodyOutcome::kTooLarge : BodyOutcome::kComplete);
      return;
    }
    want = static_cast<size_t>(std::min<uint64_t>(want, *content_length_ - bytes_in_));
  }
  auto buf = request_.body().streambuf();
  // getn completes when `want` bytes are buffered or the body has ended.
  buf.getn(reader->chunk.data(), want)
      .then([self, reader](pplx::task<size_t> task) {
        size_t n = 0;
        try {
          n = task.get();
        } catch (...) {
          self->body_consumed_ = true;
          self->must_close_ = true;
          reader->done(BodyOutcome::kBroken);
          return;
        }
        if (n == 0) {
          self->body_consumed_ = true;
          bool over = self->bytes_in_ > reader->limit;
          reader->done(over ? BodyOutcome::kTooLarge : BodyOutcome::kComplete);
          return;
        }
        self->bytes_in_ += n;
        if (self->bytes_in_ <= reader->limit) {
          self->body_.append(reinterpret_cast<const char*>(reader->chunk.data()), n);
        } else {
          std::string().swap(self->body_);  // keep nothing of a refused body
          if (self->bytes_in_ > reader->limit + self->drain_budget_) {
            self->AbortBody();
            reader->done(BodyOutcome::kAborted);
            return;
          }
        }
        self->ReadChunk(reader);
      })
      .then([self](pplx::task<void> task) {
        // A throwing `done` must not become an unobserved task exception,
        // which terminates the process.
        try {
          task.get();
        } catch (const std::exception& e) {
          Log(std::string("internal error while reading a request: ") + e.what());
        }
      });
}

void Exchange::AbortBody() {
  // Closing the buffer with an error makes cpprestsdk's next write into it
  // fail: it stops reading the socket and sends our reply at once.
  body_consumed_ = true;
  must_close_ = true;
  auto error = std::make_exception_ptr(std::runtime_error("request body refused"));
  request_.body()
      .streambuf()
      .close(std::ios_base::in | std::ios_base::out, error)
      .then([](pplx::task<void> t) {
        try {
          t.get();
        } catch (...) {
        }
      });
}

void Exchange::Reply(int status, std::string content_type, std::string body, std::string note,
                     Headers headers) {
  if (body_consumed_) {
    Send(status, content_type, std::move(body), std::move(note), std::move(headers), false);
    return;
  }
  // Drain what the client is still sending so the connection stays usable.
  auto self = shared_from_this();
  ReadBody(0, [self, status, content_type, body = std::move(body), note = std::move(note),
               headers = std::move(headers)](BodyOutcome outcome) mutable {
    (void)outcome;  // Send closes the connection if draining had to give up
    self->Send(status, content_type, std::move(body), std::move(note), std::move(headers), false);
  });
}

void Exchange::Send(int status, const std::string& content_type, std::string body, std::string note,
                    Headers headers, bool close) {
  if (replied_) return;
  replied_ = true;
  close = close || must_close_;
  web::http::http_response response(static_cast<web::http::status_code>(status));
  size_t out = body.size();
  if (out > 0) {
    // Not bytestream::open_istream(std::string): it views a char buffer as
    // an unsigned char one, which UBSan rightly reports. The copy is brief:
    // the string is freed at once.
    std::vector<unsigned char> bytes(body.begin(), body.end());
    std::string().swap(body);
    response.set_body(std::move(bytes));
    response.headers().set_content_type(content_type);
  }
  for (auto& [name, value] : headers) response.headers().add(name, value);
  if (close) response.headers().add(web::http::header_names::connection, "close");
  try {
    pplx::task<void> written = request_.reply(response);
    // The request stays in flight until the reply is on the wire, so that
    // Stop() does not close a connection under a reply being written.
    written.then([finish = std::move(on_finish_)](pplx::task<void> t) {
      try {
        t.get();
      } catch (...) {  // the client went away; nothing to tell it
      }
      if (finish) finish();
    });
    on_finish_ = nullptr;  // moved into the continuation; make that explicit
  } catch (const std::exception& e) {
    note += std::string(note.empty() ? "" : "; ") + "reply failed: " + e.what();
  }

  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_).count();
  char numbers[96];
  std::snprintf(numbers, sizeof(numbers), " -> %d in=%llu out=%zu ms=%.2f", status,
                static_cast<unsigned long long>(bytes_in_), out, ms);
  std::string line = peer_ + " " + node_ + " " + method_ + " " + path_ + numbers;
  if (close) line += " (connection closed)";
  if (!note.empty()) line += " " + note;
  Log(line);
}

}  // namespace accord::server
