#include "net/request_signing.h"

#include "sync/identity.h"

namespace accord::net {

std::string SyncPath(std::string_view op) {
  return kSyncPathPrefix + std::string(op);
}

std::string RequestSigningInput(std::string_view op, std::string_view node_id, int64_t timestamp_ms,
                                std::string_view body) {
  std::string input = "accord-req-v1\n";
  input.append(op).append("\n");
  input.append(node_id).append("\n");
  input.append(std::to_string(timestamp_ms)).append("\n");
  input.append(sync::Sha256Hex(body));
  return input;
}

}  // namespace accord::net
