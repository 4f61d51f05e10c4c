#include "cli/scope_exit_output.h"

#include <iostream>

namespace accord::cli {

void AddScopeExitsJson(const std::vector<PurgedRecord>& purged,
                       const std::vector<std::string>& ignored,
                       const std::vector<std::string>& warnings, nlohmann::json& out) {
  nlohmann::json list = nlohmann::json::array();
  for (const PurgedRecord& p : purged) {
    list.push_back({{"record_id", p.record_id},
                    {"type", p.type},
                    {"notice_from", p.notice_from},
                    {"reason", p.reason}});
  }
  out["purged"] = std::move(list);
  out["notices_ignored"] = ignored;
  out["warnings"] = warnings;
}

void PrintScopeExits(const nlohmann::json& out) {
  for (const auto& p : out["purged"]) {
    std::cout << "purged " << p["type"].get<std::string>() << " "
              << p["record_id"].get<std::string>() << " (" << p["reason"].get<std::string>()
              << "; told by " << p["notice_from"].get<std::string>() << ")\n";
  }
  for (const auto& line : out["notices_ignored"]) {
    std::cout << "notice ignored: " << line.get<std::string>() << "\n";
  }
  for (const auto& line : out["warnings"]) {
    std::cout << "warning: " << line.get<std::string>() << "\n";
  }
}

}  // namespace accord::cli
