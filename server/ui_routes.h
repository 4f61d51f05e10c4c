// The staff pages' routing and the checks that keep them loopback-only.
// No client certificate protects them, so the listener is bound to
// 127.0.0.1 and each request must also look like it came from a browser
// on this machine, for this page (not a rebinding or cross-site trick).
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "server/https_server.h"

namespace accord::server {

class RouteTable {
 public:
  void Add(std::string method, std::string path_prefix, RouteHandler handler);

  // The handler for the longest prefix of `path` registered for `method`.
  // kNotFound if no prefix matches at all, kFailedPrecondition (405) if
  // prefixes match only under other methods; `allowed` lists those.
  Result<RouteHandler> Find(const std::string& method, const std::string& path,
                            std::string* allowed) const;

 private:
  struct Route {
    std::string method;
    std::string prefix;
    RouteHandler handler;
  };
  mutable std::mutex mu_;
  std::vector<Route> routes_;
};

// kPermissionDenied unless the request came from a loopback address, names
// this listener in Host (defeats DNS rebinding), and, if it changes state,
// comes from our own origin (defeats cross-site form posts).
Status CheckLocalRequest(const HttpRequest& request, int port);

}  // namespace accord::server
