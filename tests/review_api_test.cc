// The review page's JSON API (server/review_api.h), called without a socket.
#include "server/review_api.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "server/store_pool.h"
#include "tests/test_support.h"

namespace accord::server {
namespace {

// Found by fuzz/review_api_fuzz.cc: a path or conflict id that is not valid
// UTF-8 is quoted in the error, and nlohmann::json::dump() threw on it, so
// the handler threw instead of answering (the server turned it into a 500).
TEST(ReviewApiTest, InvalidUtf8InThePathIsAnsweredNotThrown) {
  testing::TempDir dir;
  testing::NewStore(dir, "KH-NCCT");
  StorePool stores(dir.File("KH-NCCT.db"));
  struct Case {
    std::string method, path;
    int status;
  };
  for (const Case& c : std::vector<Case>{
           {"POST", "/api/co\x94nflicts", 404},
           {"GET", "/api/conflicts/\xff\xfe", 404},
           {"POST", "/api/conflicts/\xc3/resolve", 404},
           {"GET", "/nowhere\x80", 404},
       }) {
    HttpRequest request;
    request.method = c.method;
    request.path = c.path;
    request.body = R"({"take": "KH-NCCT"})";
    HttpResponse response;
    ASSERT_NO_THROW(response = HandleReviewRequest(stores, request)) << c.path;
    EXPECT_EQ(response.status, c.status) << c.path;
    auto body = nlohmann::json::parse(response.body, nullptr, false);
    ASSERT_FALSE(body.is_discarded()) << response.body;
    EXPECT_NE(body["error"].get<std::string>().find("\xef\xbf\xbd"), std::string::npos)
        << "invalid bytes are shown as U+FFFD: " << response.body;
  }
}

}  // namespace
}  // namespace accord::server
