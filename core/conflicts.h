// Conflict review: what a reviewer sees of each open conflict, and resolving it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/store.h"
#include "core/text_merge.h"

namespace accord {

struct ConflictValue {
  FieldVersion version;
  bool provisional = false;                  // the value every node shows until someone resolves
  std::string summary;                       // e.g. "deleted the record" or the value itself
  std::vector<DiffLine> diff_from_ancestor;  // long text with a known ancestor
};

struct Conflict {
  std::string id;  // the same on every node holding the same versions
  std::string record_id;
  std::string record_type;
  std::string record_label;  // e.g. "activity 1.3", "case KH-2023-014"
  std::string field;         // "_deleted" for delete versus edit
  int64_t detected_at_ms = 0;
  std::vector<ConflictValue> values;
  std::optional<FieldVersion> ancestor;        // the last value every side had seen
  std::optional<std::string> suggested_merge;  // three-way merge of long text, when clean
  std::map<std::string, std::optional<std::string>> context;  // the record's other fields
};

// Open conflicts, oldest first; `type` filters by record type when not empty.
Result<std::vector<Conflict>> ListConflicts(Store& store, const std::string& type = "");

struct ConflictPage {
  std::vector<Conflict> conflicts;
  uint64_t total = 0;  // open conflicts of the type, all pages
};
// One page of ListConflicts (paged in SQL: only the page's conflicts are built).
Result<ConflictPage> ListConflictPage(Store& store, const ConflictQuery& query);

// One conflict by id (an index lookup; the conflict is built, not the others).
Result<Conflict> GetConflict(Store& store, const std::string& id);

struct ResolutionChoice {
  std::optional<std::string> take_node;  // keep the value this node wrote
  std::optional<std::string> value;  // or a merged value (empty optional with clear=true clears)
  bool clear = false;
  std::string resolved_by;  // the person, recorded in history
};

// Writes the resolution (a write dominating every value) and returns the value written.
Result<std::optional<std::string>> ResolveConflict(Store& store, const std::string& id,
                                                   const ResolutionChoice& choice);

}  // namespace accord
