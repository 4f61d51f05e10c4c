// How `accord sync` and `accord bundle apply` report records purged because
// they left this office's scope, and notices of that not acted on
// (docs/sharing.md, "Leaving a scope").
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/store.h"

namespace accord::cli {

// {"purged": [{record_id, type, notice_from, reason}], "notices_ignored": [...],
//  "warnings": [...]}, merged into a command's JSON output.
void AddScopeExitsJson(const std::vector<PurgedRecord>& purged,
                       const std::vector<std::string>& ignored,
                       const std::vector<std::string>& warnings, nlohmann::json& out);
// One line per purged record, ignored notice and warning, from that JSON.
void PrintScopeExits(const nlohmann::json& out);

}  // namespace accord::cli
