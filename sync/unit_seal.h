// Signed origins: how the node that makes a write signs it, and how every
// hop checks it (docs/protocol.md, "Signed origins").
//
// A local write transaction of node N takes one counter c. Its field states
// are serialised once (FieldState, with a random salt and their place in a
// unit) and grouped in order into units of at most kMaxUnitSize states. N
// signs each unit: the unit's key (N, c, unit index), its size and the
// SHA-256 of each member's bytes. A relay forwards the exact bytes and the
// seal; it cannot alter, invent or renumber a state without breaking the
// signature, and a receiver checks one signature per unit, not per state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "accord_sync.pb.h"
#include "core/field_version.h"
#include "core/status.h"

namespace accord::sync {

// Small enough that a page proving a few members of a unit sends few absent
// hashes (at most 63 x 32 bytes), large enough that a bulk load costs one
// ECDSA verification per 64 states.
inline constexpr uint32_t kMaxUnitSize = 64;
inline constexpr size_t kSaltBytes = 16;

UnitKey KeyOf(const wire::UnitSeal& seal);

// The bytes an origin signs for a unit: "accord-unit-v1\n<origin>\n<counter>\n
// <unit>\n<size>\n" followed by the `size` raw 32-byte member hashes in order.
// REQUIRES: hashes.size() == size, each 32 bytes.
std::string UnitSigningInput(const UnitKey& key, const std::vector<std::string>& member_hashes);

}  // namespace accord::sync
