// Encoding sync messages for the wire and for bundles: FieldVersion <->
// protobuf FieldState, and envelopes <-> compressed frames.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "accord_sync.pb.h"
#include "core/field_version.h"
#include "core/node_id.h"
#include "core/status.h"
#include "sync/wire_limits.h"

namespace accord::sync {

// The protocol version this build speaks (docs/protocol.md keeps the changelog).
inline constexpr uint32_t kProtocolVersion = 3;
// The oldest protocol this build accepts: 1 carried states unsigned by their
// origin, which this build will not take; 2 cannot take a unit that spans
// writes (docs/protocol.md, changelog).
inline constexpr uint32_t kMinProtocolVersion = 3;

// A version vector from its entries as they came (protobuf's VersionEntry, or
// the direct reader's ReadEntry): counters above 0, node ids valid, nodes
// strictly in order.
template <typename Entries>
Result<VersionVector> VectorFromEntries(const Entries& entries) {
  VersionVector vv;
  std::string_view previous;
  for (const auto& entry : entries) {
    const std::string_view node = entry.node();
    const uint64_t counter = entry.counter();
    if (counter == 0) {
      return Corruption("version entry for " + std::string(node) + " has counter 0");
    }
    if (!previous.empty() && !(previous < node)) {
      return Corruption("version entries are not sorted by node (" + std::string(previous) + ", " +
                        std::string(node) + ")");
    }
    if (!IsValidNodeId(node)) {
      return Corruption("version vector entry '" + std::string(node) + ":" +
                        std::to_string(counter) + "' has a bad node id");
    }
    vv.Set(node, counter);
    previous = node;
  }
  return vv;
}

void ToWire(const FieldVersion& v, wire::FieldState* out);
// Checks structure only (the store checks meaning against the schema).
Result<FieldVersion> FromWire(const wire::FieldState& state);
void ToWire(const VersionVector& vv, wire::Knowledge* out);
Result<VersionVector> FromWire(const wire::Knowledge& knowledge);

// Serialises and compresses an envelope stamped with this node's id and version.
Result<std::string> EncodeFrame(wire::Envelope& envelope, std::string_view node_id);
// Decompresses (within kMaxFrameBytes), checks the counts of what it holds
// against sync/wire_limits.h without parsing, then parses a frame; rejects a
// protocol version above ours with a message naming both.
Result<wire::Envelope> DecodeFrame(std::string_view frame);

// An ErrorReply frame carrying `status`.
Result<std::string> EncodeError(const Status& status, std::string_view node_id,
                                uint64_t cursor = 0);
// The Status an ErrorReply carries.
Status StatusFromError(const wire::ErrorReply& error, std::string_view peer);

// zstd, exposed for bundles.
Result<std::string> Compress(std::string_view data, int level = 3);
// Refuses at once a frame that declares more than `max_bytes`, and stops one
// that does not declare its size as soon as it grows past it.
Result<std::string> Decompress(std::string_view data, size_t max_bytes);

// The counts of a decoded (decompressed) envelope, or of a bundle chunk's
// SignedChanges, checked against sync/wire_limits.h without parsing them.
Status CheckEnvelopeBounds(std::string_view envelope_bytes);
Status CheckChangesBounds(std::string_view changes_bytes);

}  // namespace accord::sync
