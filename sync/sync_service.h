// The serving side of sync, free of any transport: decodes a request frame,
// reads or applies the change log, and encodes the reply. The HTTPS server
// calls it after authenticating the peer; tests call it directly.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "core/store.h"
#include "sync/signed_changes.h"
#include "sync/transport.h"

namespace accord::sync {

struct ServiceOptions {
  size_t max_page_states = 2000;  // caps what a peer may ask for in one page
  // Where the service says what it refused (a state, a claim); the server
  // passes its log. Null: nowhere.
  std::function<void(std::string_view line)> log;
};

class SyncService {
 public:
  // REQUIRES: credentials.signer (to seal this node's writes before serving
  // them) and credentials.verifier (to check what peers push) are set and
  // outlive the service.
  SyncService(Store& store, Credentials credentials, ServiceOptions options = {})
      : store_(store), credentials_(credentials), options_(std::move(options)) {}

  // `authenticated_node` is the node id the transport proved (certificate and
  // signature); the envelope must claim the same one.
  ServiceReply Handle(std::string_view op, std::string_view body,
                      const std::string& authenticated_node);

 private:
  ServiceReply Hello(const wire::Envelope& request, const std::string& peer);
  ServiceReply Pull(const wire::Envelope& request, const std::string& peer);
  ServiceReply Push(const wire::Envelope& request, const std::string& peer);
  // Attachments' files (sync/file_service.cc, docs/attachments.md).
  ServiceReply FileRequest(const wire::Envelope& request, const std::string& peer);
  ServiceReply FileOffer(const wire::Envelope& request, const std::string& peer);
  ServiceReply FilePush(const wire::Envelope& request, const std::string& peer);
  // Takes the sharing policy a hello brought when this node does not hold
  // that version (docs/sharing.md, "Replacing the policy"), records the
  // version the peer announced, and returns the policy this node now holds.
  Result<HeldPolicy> TakePeerPolicy(const wire::HelloRequest& hello, const std::string& peer);
  void Log(const std::string& line) const;

  Store& store_;
  Credentials credentials_;
  ServiceOptions options_;
};

}  // namespace accord::sync
