// The serving side of sync, free of any transport: decodes a request frame,
// reads or applies the change log, and encodes the reply. The HTTPS server
// calls it after authenticating the peer; tests call it directly.
#pragma once

#include <string>
#include <string_view>

#include "core/store.h"
#include "sync/transport.h"

namespace accord::sync {

struct ServiceOptions {
  size_t max_page_states = 2000;  // caps what a peer may ask for in one page
};

class SyncService {
 public:
  SyncService(Store& store, ServiceOptions options = {}) : store_(store), options_(options) {}

  // `authenticated_node` is the node id the transport proved (certificate and
  // signature); the envelope must claim the same one.
  ServiceReply Handle(std::string_view op, std::string_view body,
                      const std::string& authenticated_node);

 private:
  Store& store_;
  ServiceOptions options_;
};

}  // namespace accord::sync
