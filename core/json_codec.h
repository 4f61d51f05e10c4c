// JSON forms of records and versions: the canonical dump, `--json` output, and
// the `accord load` input format (docs/schema.md).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/conflicts.h"
#include "core/field_version.h"
#include "core/status.h"
#include "core/store.h"

namespace accord {

nlohmann::json VersionVectorJson(const VersionVector& vv);
// A version as every node sees it: value, vector, origin, time (no local detail).
nlohmann::json FieldVersionJson(const FieldVersion& v);
// A record's current values ({"field": value}) plus conflicts and flags.
nlohmann::json RecordJson(const RecordView& record);
nlohmann::json HistoryEntryJson(const StoredVersion& v);
// A refused state: record, field, origin, counter and the reason.
nlohmann::json RefusedStateJson(const RefusedState& r);
// A node's status: `accord status --json`, GET /status and the review API.
nlohmann::json NodeStatusJson(const NodeStatus& status);
// Where a record may go and which known nodes hold it: `accord get --json`
// and the review page.
nlohmann::json RecordSharingJson(const RecordSharing& sharing);
// "holds the current values", "holds some values", "holds none" as words.
const char* HoldsText(NodeHolding::Holds holds);
// A conflict as `accord conflicts --json` and the review page's API show it.
nlohmann::json ConflictJson(const Conflict& c, bool with_details);

// Parses an `accord load` document: {"records": [{"type": T, "id": I, field: value...}]}.
// Errors name the record's position and the offending field.
Result<std::vector<RecordWrite>> ParseLoadDocument(const std::string& text);
// The files the same document attaches, checked to exist: {"attachments":
// [{"record": ID, "file": PATH relative to `base_dir`, "caption": TEXT,
// "file_name": NAME}]} (none when absent). `accord load` attaches them after
// the records (docs/attachments.md).
Result<std::vector<NewAttachment>> ParseLoadAttachments(const std::string& text,
                                                        const std::string& base_dir);

}  // namespace accord
