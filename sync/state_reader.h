// Reading one FieldState's bytes (a state from a peer or a bundle) straight
// into a FieldVersion, without building a protobuf message.
//
// It accepts exactly the bytes protobuf 3.21's generated parser accepts
// (tests/state_reader_test.cc compares the two over random and mutated
// states): unknown fields and groups are skipped, a known field sent with
// another wire type is an unknown field, the last of a repeated singular field
// wins, proto3 strings must be valid UTF-8, nesting stops at 100. A field
// added to FieldState or VersionEntry must be added here too.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/field_version.h"
#include "core/status.h"

namespace accord::sync {

struct ReadStateCounts {
  size_t version_entries = 0;  // field-6 tags of any wire type, as CountAtPath counts them
  size_t fields = 0;           // every tag, in version entries and groups too
};

// The state's structure and its counts, without allocating; false when the
// bytes are not a FieldState protobuf would parse.
bool ScanFieldState(std::string_view bytes, ReadStateCounts& counts);

// The state's fields (call after ScanFieldState said it is well-formed).
// `version` holds the entries as they came: VectorFromEntries' checks are the
// caller's. Strings point into `bytes`.
struct ReadState {
  std::string_view record_id, record_type, field, value, origin, note, salt, author;
  bool has_value = false;
  int64_t origin_time_ms = 0;
  uint32_t unit = 0, unit_position = 0;
  uint64_t unit_counter = 0;
};
struct ReadEntry {
  std::string_view node_id;
  uint64_t count = 0;
  // As protobuf's VersionEntry reads, for VectorFromEntries (sync/wire_codec.h).
  std::string_view node() const { return node_id; }
  uint64_t counter() const { return count; }
};
bool ReadFieldState(std::string_view bytes, ReadState& state, std::vector<ReadEntry>& version);

}  // namespace accord::sync
