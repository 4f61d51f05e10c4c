// ReviewRoutes, apart from review_api.cc: the handlers need no
// server, so the fuzz targets link them without the HTTPS front.
#include "server/review_api.h"

#include <memory>

namespace accord::server {

std::vector<UiRoute> ReviewRoutes(StorePool& stores) {
  // Sign-ins live as long as the routes (the server).
  auto sessions = std::make_shared<ReviewSessions>();
  RouteHandler handler = [&stores, sessions](const HttpRequest& request) {
    return HandleReviewRequest(stores, *sessions, request);
  };
  return {{"GET", "/", handler}, {"POST", "/api/", handler}};
}

}  // namespace accord::server
