// What a signature freezes (issue 13.5, docs/signatures.md). The authoritative
// record of a meeting is the signed, initialled minutes; of a plan, the signed
// plan. A `signature` record keeps a digest of what it signs as it stood at
// signing, and the digest of each record in it, so that an edit made after
// signing shows as an amendment, naming what changed, on every node.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/store.h"

namespace accord {

// One record of the signed content and the digest of its current values.
struct SignedPart {
  std::string type;
  std::string id;
  std::string digest_hex;  // SHA-256 of the record's canonical content
};

struct SignedContent {
  std::string root_type;  // "meeting" or "plan"
  std::string root_id;
  std::vector<SignedPart> parts;  // by type, then id
  std::string digest;             // "sha256:" + hex over every part's line

  // The `covers` field of a signature: one line per part, "TYPE ID HEX".
  std::string CoversText() const;
  // "meeting, 12 minutes, 3 decisions, 5 action items".
  std::string Summary() const;
};

// The content a signature on `root_id` covers, as it is now:
//  - a meeting: the meeting, its agenda items, minutes, decisions and
//    action items;
//  - a plan: the plan, its objectives and their activities.
// Deleted records are not part of it. The same data gives the same digest
// on every node: current values are the provisional winners every node
// shows, fields are taken in name order, and every value is length-prefixed.
// kInvalidArgument when the record is neither a meeting nor a plan.
Result<SignedContent> ReadSignedContent(Store& store, std::string_view root_id);

// The meeting or plan whose signed content holds `record` (as
// ReadSignedContent gathers it): the record itself for a meeting or plan, the
// meeting of an agenda item, minute, decision or action item, the plan of an
// objective or of an activity's objective, and what a signature signs.
// nullopt for any other record, or when the parent is not held here.
Result<std::optional<std::string>> SignedRootOf(Store& store, const RecordView& record);

// What changed in signed content since a signature's `covers`.
struct Amendment {
  enum class Kind { kChanged, kAdded, kRemoved };
  Kind kind;
  std::string type;
  std::string id;
};
std::vector<Amendment> AmendmentsSince(const SignedContent& now, std::string_view covers);
std::string_view AmendmentWord(Amendment::Kind kind);

// A signature as it stands against the content now.
struct SignatureCheck {
  RecordView signature;
  std::string signed_digest;       // its `digest`
  std::vector<Amendment> amended;  // empty: what it signed is unchanged
  bool intact() const { return amended.empty(); }
};
// Every live signature on `root_id`, oldest record id first.
Result<std::vector<SignatureCheck>> CheckSignatures(Store& store, std::string_view root_id);

}  // namespace accord
