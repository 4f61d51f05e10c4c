// Signed sync requests over HTTPS: the header names and the bytes both sides
// sign. The TLS layer (cpprestsdk) cannot tell a handler which certificate a
// connection presented, so each request carries its own proof of origin.
// Changing any of this is a protocol change (docs/protocol.md).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace accord::net {

inline constexpr char kHeaderNode[] = "X-Accord-Node";
inline constexpr char kHeaderTimestamp[] = "X-Accord-Timestamp";  // ms since the Unix epoch
inline constexpr char kHeaderCert[] = "X-Accord-Cert";            // base64 of the PEM
inline constexpr char kHeaderSignature[] = "X-Accord-Signature";  // base64

// Sync operations (sync/transport.h) are served at kSyncPathPrefix + op.
inline constexpr char kSyncPathPrefix[] = "/sync/v1/";
std::string SyncPath(std::string_view op);

// "accord-req-v1\n<op>\n<node>\n<ts>\n<lowercase hex sha256(body)>": the bytes
// both sides sign and verify.
Result<std::string> RequestSigningInput(std::string_view op, std::string_view node_id,
                                        int64_t timestamp_ms, std::string_view body);

}  // namespace accord::net
