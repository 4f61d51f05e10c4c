// Signed sync requests over HTTPS (request signing v2): the header names and
// the bytes both sides sign. Mutual TLS already proves which node holds the
// connection; the signature also binds each request to its body, to the one
// server it is meant for, and to one place in a session that server issued,
// so a captured request is refused if sent again, or sent elsewhere, without
// either side trusting a clock. Changing any of this is a protocol change
// (docs/protocol.md, "Identity").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace accord::net {

// Request headers.
inline constexpr char kHeaderNode[] = "X-Accord-Node";            // the client node
inline constexpr char kHeaderServer[] = "X-Accord-Server";        // the server node it is meant for
inline constexpr char kHeaderSession[] = "X-Accord-Session";      // also in the reply, see below
inline constexpr char kHeaderSequence[] = "X-Accord-Sequence";    // decimal
inline constexpr char kHeaderCert[] = "X-Accord-Cert";            // base64 of the PEM
inline constexpr char kHeaderSignature[] = "X-Accord-Signature";  // base64
// Reply headers. X-Accord-Session on a hello's 2xx reply is the new session;
// on a 401 it is kNoSession: the session is unknown to the server (expired,
// evicted, or the server restarted), so say hello again.
// X-Accord-Server-Time is on every reply to a sync request: the server's
// clock (ms since the Unix epoch), only ever used to tell a node its clock
// looks wrong, never to accept or refuse anything.
inline constexpr char kHeaderServerTime[] = "X-Accord-Server-Time";
// On a 403 to a node whose certificate the deployment CA's signed revocation
// list names: X-Accord-Refusal: certificate-revoked, and the list (PEM) as
// the body, for the node to check and lock itself (docs/protocol.md,
// "Revoked nodes").
inline constexpr char kHeaderRefusal[] = "X-Accord-Refusal";
inline constexpr char kRefusalRevoked[] = "certificate-revoked";

// The session of a hello, which opens one, and its sequence.
inline constexpr char kNoSession[] = "-";
// Sessions are 128 random bits, as 32 lowercase hex digits.
inline constexpr size_t kSessionIdHexDigits = 32;

// Sync operations (sync/transport.h) are served at kSyncPathPrefix + op.
inline constexpr char kSyncPathPrefix[] = "/sync/v1/";
std::string SyncPath(std::string_view op);

// What a signature binds a request to besides its body.
struct RequestBinding {
  std::string_view op;
  std::string_view client_node;
  std::string_view server_node;
  std::string_view session;  // kNoSession for hello
  uint64_t sequence = 0;     // 0 for hello; then 1, 2, ... within the session
};

// "accord-req-v2\n<op>\n<client node>\n<server node>\n<session>\n<sequence>\n
// <lowercase hex sha256(body)>": the bytes both sides sign and verify. No
// field may contain a newline (node ids, ops and sessions cannot).
Result<std::string> RequestSigningInput(const RequestBinding& binding, std::string_view body);

// True for 32 lowercase hex digits.
bool IsSessionId(std::string_view text);

// A decimal number as sequences and server times are sent: digits only, no
// sign, no leading zero (so each value has one spelling), fits in int64.
std::optional<int64_t> ParseDecimal(std::string_view text);

// The first 8 digits of a session and an ellipsis, for messages and logs.
std::string ShortSession(std::string_view session);

}  // namespace accord::net
