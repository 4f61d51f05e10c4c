// The review page's API: server::HandleReviewRequest on requests with any
// method, path, query and body, against a store with open conflicts (a
// title, a long text with a suggested merge, a delete versus an edit), plus
// the loopback checks (CheckLocalRequest) and the routing the UI listener
// does first.
//
// Input: an HTTP request as text: "METHOD TARGET", header lines
// "name: value" up to an empty line, then the body. "@1", "@2", ... in the
// target stand for the ids of the store's first, second, ... conflict (ids
// are digests of vectors, so seeds name them this way).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/conflicts.h"
#include "fuzz/fuzz_support.h"
#include "server/review_api.h"
#include "server/store_pool.h"
#include "server/ui_routes.h"

namespace accord::fuzz {
namespace {

constexpr int kUiPort = 8080;

struct Harness {
  ScratchDir scratch{"accord-fuzz-review"};
  std::vector<std::string> conflict_ids;
  std::unique_ptr<StoreTemplate> base;
  std::unique_ptr<server::StorePool> pool;
  server::RouteTable routes;

  Harness() {
    base = std::make_unique<StoreTemplate>("KH-NCCT", [this](Store& kh) {
      MakeConflicts(kh, scratch.path());
      auto conflicts = ListConflicts(kh);
      Require(conflicts.status(), "list conflicts");
      Require(conflicts->size() >= 3, "the scenario makes conflicts");
      for (const Conflict& c : *conflicts) conflict_ids.push_back(c.id);
    });
    Reset();
    // As ReviewRoutes lists them; only which route matches
    // matters here.
    routes.Add("GET", "/", nullptr);
    routes.Add("POST", "/api/", nullptr);
  }
  void Reset() {
    pool.reset();  // closes its stores
    base->ResetFile();
    pool = std::make_unique<server::StorePool>(base->path());
  }
};

server::HttpRequest ParseRequest(std::string_view text, const std::vector<std::string>& ids) {
  server::HttpRequest request;
  request.remote = "127.0.0.1";
  size_t nl = text.find('\n');
  std::string_view line = text.substr(0, nl);
  text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  size_t space = line.find(' ');
  request.method = std::string(line.substr(0, space));
  std::string target(space == std::string_view::npos ? "" : line.substr(space + 1));
  for (size_t at = target.find('@'); at != std::string::npos; at = target.find('@', at)) {
    size_t n = at + 1 < target.size() ? static_cast<size_t>(target[at + 1] - '0') : 0;
    if (n >= 1 && n <= ids.size()) {
      target.replace(at, 2, ids[n - 1]);
      at += ids[n - 1].size();
    } else {
      ++at;
    }
  }
  size_t q = target.find('?');
  request.path = target.substr(0, q);
  if (q != std::string::npos) request.query = target.substr(q + 1);
  while (!text.empty()) {
    nl = text.find('\n');
    line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.empty()) break;
    size_t colon = line.find(':');
    std::string name(line.substr(0, colon));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    request.headers[name] = std::string(value);
  }
  request.body = std::string(text);
  return request;
}

}  // namespace
}  // namespace accord::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace accord;
  using namespace accord::fuzz;
  static Harness* harness = new Harness();
  server::HttpRequest request = ParseRequest(
      std::string_view(reinterpret_cast<const char*>(data), size), harness->conflict_ids);
  (void)server::CheckLocalRequest(request, kUiPort);
  std::string allowed;
  auto route = harness->routes.Find(request.method, request.path, &allowed);
  if (!route.ok()) return 0;
  static server::ReviewSessions* sessions = new server::ReviewSessions();
  server::HttpResponse response = server::HandleReviewRequest(*harness->pool, *sessions, request);
  Note("review_api", request.method + " " + request.path + ": " + std::to_string(response.status) +
                         " " + response.body.substr(0, 120));
  // A resolution wrote to the store: the next input meets the same store.
  if (request.method == "POST" && response.status == 200) harness->Reset();
  return 0;
}
