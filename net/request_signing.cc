#include "net/request_signing.h"

#include <charconv>

#include "core/sha256.h"

namespace accord::net {

std::string SyncPath(std::string_view op) {
  return kSyncPathPrefix + std::string(op);
}

Result<std::string> RequestSigningInput(const RequestBinding& binding, std::string_view body) {
  ASSIGN_OR_RETURN(std::string body_digest, Sha256Hex(body));
  std::string input = "accord-req-v2\n";
  for (std::string_view part :
       {binding.op, binding.client_node, binding.server_node, binding.session}) {
    if (part.find('\n') != std::string_view::npos) {
      return InvalidArgument("a signed request field contains a newline");
    }
    input.append(part).append("\n");
  }
  input.append(std::to_string(binding.sequence)).append("\n");
  input.append(body_digest);
  return input;
}

bool IsSessionId(std::string_view text) {
  if (text.size() != kSessionIdHexDigits) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::optional<int64_t> ParseDecimal(std::string_view text) {
  if (text.empty() || (text.size() > 1 && text[0] == '0') || text[0] < '0' || text[0] > '9') {
    return std::nullopt;
  }
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string ShortSession(std::string_view session) {
  if (session.size() <= 8) return std::string(session);
  return std::string(session.substr(0, 8)) + "\u2026";
}

}  // namespace accord::net
