// One value of one field of one record, as one node wrote it, with its vector.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
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
  // The office user who made it on the origin (docs/users.md), "" when the
  // origin has no users; signed with the rest, kept exactly as signed.
  std::string author;

  // Signed origins (sync/signed_changes.h). The origin seals a write once,
  // before it first leaves the node: a random salt, its place in a signing
  // unit, and the serialised bytes that it signs and every hop forwards.
  std::string salt;
  uint64_t unit_counter = 0;  // the counter naming its unit; 0: its own counter
  uint32_t unit = 0;
  uint32_t unit_position = 0;
  std::string wire;  // "" until sealed

  // The write's own event: (origin, version[origin]). Unique per write.
  uint64_t OriginCounter() const { return version.Get(origin); }
  // The counter that names the state's signing unit: that of the unit's last
  // member, which is this state's own counter or a later one.
  uint64_t UnitCounter() const { return unit_counter ? unit_counter : OriginCounter(); }
};

// Names one signing unit: up to 64 consecutive states of one origin's writes,
// by the counter of its last member and an index among the units that end
// at that counter (a write of more than 64 states needs several).
struct UnitKey {
  std::string origin;
  uint64_t counter = 0;
  uint32_t unit = 0;
  bool operator<(const UnitKey& o) const;
  bool operator==(const UnitKey& o) const;
  std::string ToString() const;  // "KH-NCCT:12#0"
};

// An origin's signature over a unit, and the SHA-256 of each member's bytes
// in order: what proves the unit's states, kept so a relay can prove them on.
struct ProvenUnit {
  UnitKey key;
  std::string key_id;     // SHA-256 of the signing certificate's public key
  std::string signature;  // over the unit signing input (sync/unit_seal.h)
  std::vector<std::string> member_hashes;
};

// A certificate that signed units, as a node keeps it to prove them on.
struct OriginCertificate {
  std::string node_id;
  std::string key_id;
  std::string certificate_pem;
  std::string party;  // what the certificate names, once verified ("" none)
};

// A state a node would not take, and why: reported to the node's log, and
// to the peer that sent it (its `accord sync` summary and `accord status`).
struct RefusedState {
  std::string record_id;
  std::string field;
  std::string origin;
  uint64_t counter = 0;
  std::string reason;
  // A state of a record a purge order erased (docs/security.md, "Purge
  // orders"): refused, but it does not cap knowledge: the write is gone
  // everywhere on purpose, and nobody is to be asked for it again.
  bool purged = false;
};

// Local bookkeeping of a stored version (never leaves the node).
struct StoredVersion {
  FieldVersion version;
  int64_t seq = 0;      // position in this node's change log
  bool live = false;    // not superseded by a newer version
  bool winner = false;  // the provisional value shown while in conflict
  int64_t received_at_ms = 0;
  std::string received_from;  // peer it came from; "" for a local write
  // When its value was pruned under the retention setting (local time), 0
  // when not: the value, note and signed bytes are gone, the rest stays
  // (Store::PruneSuperseded). Filled by History only.
  int64_t pruned_at_ms = 0;
};

// The provisional winner among concurrent live versions of a field: the same
// on every node holding the same versions, and chosen by something no node
// controls. Not the write time (a node whose clock ran ahead won every
// conflict), not the origin id (the same office would always win): each
// version's score is SHA-256(seed || its vector), where the seed is the
// SHA-256 of every live vector, sorted. A writer cannot know the other
// side's vector when it writes, so it cannot aim for a win. The lowest
// score wins. Returns the winner's index in `live`.
Result<size_t> ProvisionalWinner(const std::vector<const FieldVersion*>& live);

}  // namespace accord
