#include "net/request_signing.h"

#include "core/sha256.h"

namespace accord::net {

std::string SyncPath(std::string_view op) {
  return kSyncPathPrefix + std::string(op);
}

Result<std::string> RequestSigningInput(std::string_view op, std::string_view node_id,
                                        int64_t timestamp_ms, std::string_view body) {
  ASSIGN_OR_RETURN(std::string body_digest, Sha256Hex(body));
  std::string input = "accord-req-v1\n";
  input.append(op).append("\n");
  input.append(node_id).append("\n");
  input.append(std::to_string(timestamp_ms)).append("\n");
  input.append(body_digest);
  return input;
}

}  // namespace accord::net
