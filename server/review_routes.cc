// InstallReviewRoutes, apart from review_api.cc: the handlers need no
// server, so the fuzz targets link them without the HTTPS front.
#include "server/review_api.h"

namespace accord::server {

void InstallReviewRoutes(HttpsServer& server, StorePool& stores) {
  auto handler = [&stores](const HttpRequest& request) {
    return HandleReviewRequest(stores, request);
  };
  server.AddRoute("GET", "/", handler);
  server.AddRoute("POST", "/api/", handler);
}

}  // namespace accord::server
