// One value of one field of one record, as one node wrote it, with its vector.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/version_vector.h"

namespace accord {

struct FieldVersion {
  std::string record_id;
  std::string record_type;
  std::string field;
  std::optional<std::string> value;  // nullopt: the field was cleared
  VersionVector version;
  std::string origin;          // node that wrote the value
  int64_t origin_time_ms = 0;  // its clock when it wrote it
  std::string note;            // e.g. what a resolution replaced

  // The write's own event: (origin, version[origin]). Unique per write.
  uint64_t OriginCounter() const { return version.Get(origin); }
};

// Local bookkeeping of a stored version (never leaves the node).
struct StoredVersion {
  FieldVersion version;
  int64_t seq = 0;      // position in this node's change log
  bool live = false;    // not superseded by a newer version
  bool winner = false;  // the provisional value shown while in conflict
  int64_t received_at_ms = 0;
  std::string received_from;  // peer it came from; "" for a local write
};

// The deterministic provisional-winner rule, the same on every node: the later
// origin time wins, ties go to the greater origin id, then the greater vector text.
bool WinsOver(const FieldVersion& a, const FieldVersion& b);

}  // namespace accord
