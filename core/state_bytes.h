// The bytes an origin signs for one field state (a serialised FieldState,
// sync/unit_seal.h). A version whose stored columns re-serialise to exactly
// those bytes keeps no second copy of them (versions.wire is NULL): about
// half of each row, on every node, for every version.
#pragma once

#include <string>

#include "accord_sync.pb.h"
#include "core/field_version.h"

namespace accord {

// The record, field, value, vector, origin, time and note of `v`.
// A field added to FieldState must be added here, to SignedStateBytes (which
// writes the same bytes directly), to StateBytesTest's random states, and to
// the reader of received states (sync/state_reader.cc, StateReaderTest).
void FillFieldState(const FieldVersion& v, wire::FieldState* out);
// All of `v` that its origin signs: the above, its salt and its place in a unit.
std::string SignedStateBytes(const FieldVersion& v);
// For a sealed version read without a stored copy (salt set, wire empty):
// sets `wire` to the bytes its columns re-serialise to.
void RestoreSignedBytes(FieldVersion& v);
// Whether `v.wire` is exactly what its columns re-serialise to, so that it
// need not be stored. False for bytes with fields this build does not know.
bool SignedBytesAreCanonical(const FieldVersion& v);

}  // namespace accord
