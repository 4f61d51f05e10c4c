// Signed origins: how the node that makes a write signs it, and how every
// hop checks it (docs/protocol.md, "Signed origins").
//
// A local write transaction of node N takes one counter c. When N first
// sends its writes, it serialises each field state once (FieldState, with a
// random salt and its place in a unit) and groups its unsealed states, in
// counter order and across writes, into units of at most kMaxUnitSize. A
// unit is named (N, c, i): c is the counter of its last member (a member of
// an earlier write carries c as unit_counter), i its index among the units
// ending at c. N signs each unit: that key, its size and the SHA-256 of each
// member's bytes. A relay forwards the exact bytes and the
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
// hashes (at most 63 x 32 bytes), large enough that one ECDSA verification
// (56 us here) covers 64 states whether they were written in bulk or one
// record at a time.
inline constexpr uint32_t kMaxUnitSize = 64;
inline constexpr size_t kSaltBytes = 16;

UnitKey KeyOf(const wire::UnitSeal& seal);
// The unit a sealed state belongs to.
UnitKey KeyOf(const FieldVersion& state);

// The bytes an origin signs for a unit: "accord-unit-v1\n<origin>\n<counter>\n
// <unit>\n<size>\n" followed by the `size` raw 32-byte member hashes in order.
// REQUIRES: hashes.size() == size, each 32 bytes.
std::string UnitSigningInput(const UnitKey& key, const std::vector<std::string>& member_hashes);

}  // namespace accord::sync
