// The hop from the connection governor to cpprestsdk's listeners on
// 127.0.0.1. Any local process can connect to those ports, so each request
// the governor forwards carries a per-server random secret, and what only
// the governor knows (the TLS-proven node, the real peer address) travels in
// headers of one reserved namespace that the governor strips from whatever
// a client sends.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace accord::server {

// Lowercase prefix of every internal header name.
inline constexpr char kHopHeaderPrefix[] = "x-accord-internal-";
inline constexpr char kHopSecretHeader[] = "X-Accord-Internal-Secret";
// The CN of the client certificate of the connection (nodes' port only).
inline constexpr char kHopNodeHeader[] = "X-Accord-Internal-Node";
// The client's IP address as the governor saw it.
inline constexpr char kHopPeerHeader[] = "X-Accord-Internal-Peer";

// 32 random bytes from OpenSSL's CSPRNG, as 64 hex digits. kInternal if the
// CSPRNG fails: then the server must not serve (its internal ports would be
// open to every local process).
Result<std::string> NewHopSecret();

// Whether `name` is in the internal namespace, in any letter case.
bool IsHopHeader(std::string_view name);

// Compares in time independent of where they differ.
bool HopSecretMatches(std::string_view expected, std::string_view presented);

}  // namespace accord::server
