#include "core/sharing_policy.h"

#include <nlohmann/json.hpp>

namespace accord {

using json = nlohmann::json;

// Fitted to the seeds: joint work goes to the parties of its plan (seed 002,
// 004); meetings and what is recorded at them follow their plan; case data
// stays with the party of the office that opened it and goes to the other
// country only with consent (seed 001 Art 4.11-4.12, 002 IV.3-IV.5, 004
// §3.1.2). A party's own progress assessment is plan data: it goes where its
// activity goes, to both parties (an older node that does not know the type
// finds the same, by the type's first ref field by name, `activity`).
const char kDefaultSharingPolicyJson[] = R"json({
  "version": 1,
  "everyone": ["party", "office"],
  "roots": {
    "plan": {"parties_field": "parties", "separators": ",; ", "unstated": "everyone"},
    "meeting": {"parties_field": "", "separators": "", "unstated": "everyone"},
    "case": {
      "parties_field": "direction", "separators": "-,; ",
      "consent_field": "consent", "shared_when": ["given", "overridden"],
      "override_value": "overridden", "override_reason_field": "consent_override_reason",
      "unstated": "owner"
    }
  },
  "follow": {
    "objective": ["plan"],
    "activity": ["objective"],
    "progress_assessment": ["activity"],
    "meeting": ["related_plan"],
    "participant": ["meeting"],
    "agenda_item": ["meeting"],
    "minute": ["meeting"],
    "decision": ["meeting"],
    "action_item": ["meeting"],
    "signature": ["meeting", "plan"],
    "family_tracing": ["case"],
    "case_review": ["case", "meeting"],
    "attachment": ["meeting", "plan", "activity", "action_item"],
    "case_attachment": ["case"]
  }
})json";

const SharingPolicy& SharingPolicy::Default() {
  static const SharingPolicy policy = [] {
    auto parsed = Parse(kDefaultSharingPolicyJson);
    // The built-in text is part of the program: a parse failure is a bug.
    if (!parsed.ok()) std::abort();
    return std::move(parsed).value();
  }();
  return policy;
}

Result<SharingPolicy> SharingPolicy::Parse(std::string_view text) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return InvalidArgument("policy: not a JSON object");
  SharingPolicy policy;
  try {
    policy.version = doc.at("version").get<int>();
    // (No json::value(key, default) with a container default: GCC 12 warns
    // inside nlohmann on the temporary.)
    if (doc.contains("everyone")) {
      policy.everyone = doc.at("everyone").get<std::set<std::string>>();
    }
    if (doc.contains("roots")) {
      for (const auto& [type, rule] : doc.at("roots").items()) {
        RootRule r;
        r.parties_field = rule.value("parties_field", "");
        r.separators = rule.value("separators", ",");
        r.consent_field = rule.value("consent_field", "");
        if (rule.contains("shared_when")) {
          r.shared_when = rule.at("shared_when").get<std::set<std::string>>();
        }
        r.override_value = rule.value("override_value", "");
        r.override_reason_field = rule.value("override_reason_field", "");
        std::string unstated = rule.value("unstated", "owner");
        if (unstated != "owner" && unstated != "everyone") {
          return InvalidArgument("policy: roots." + type + ".unstated must be owner or everyone");
        }
        r.unstated_goes_everywhere = unstated == "everyone";
        policy.roots[type] = std::move(r);
      }
    }
    if (doc.contains("follow")) {
      policy.follow = doc.at("follow").get<std::map<std::string, std::vector<std::string>>>();
    }
    if (doc.contains("retention")) {
      const json& retention = doc.at("retention");
      if (!retention.is_object()) return InvalidArgument("policy: retention must be an object");
      if (retention.contains("superseded_days")) {
        for (const auto& [type, days] : retention.at("superseded_days").items()) {
          if (!days.is_number_integer() || days.get<int64_t>() < kMinRetentionDays ||
              days.get<int64_t>() > kMaxRetentionDays) {
            return InvalidArgument("policy: retention.superseded_days." + type +
                                   " must be a whole number of days from " +
                                   std::to_string(kMinRetentionDays) + " to " +
                                   std::to_string(kMaxRetentionDays));
          }
          policy.superseded_days[type] = days.get<int>();
        }
      }
    }
  } catch (const json::exception& e) {
    return InvalidArgument(std::string("policy: ") + e.what());
  }
  if (policy.version < 1) return InvalidArgument("policy: version must be at least 1");
  if (policy.version > 1'000'000) return InvalidArgument("policy: version must be at most 1000000");
  return policy;
}

std::string SharingPolicy::ToJson() const {
  json doc;
  doc["version"] = version;
  doc["everyone"] = everyone;
  json roots_json = json::object();
  for (const auto& [type, r] : roots) {
    json rule = {{"parties_field", r.parties_field},
                 {"separators", r.separators},
                 {"unstated", r.unstated_goes_everywhere ? "everyone" : "owner"}};
    if (!r.consent_field.empty()) {
      rule["consent_field"] = r.consent_field;
      rule["shared_when"] = r.shared_when;
      rule["override_value"] = r.override_value;
      rule["override_reason_field"] = r.override_reason_field;
    }
    roots_json[type] = rule;
  }
  doc["roots"] = roots_json;
  doc["follow"] = follow;
  // Written only when set: the text of a policy without retention stays what
  // builds before retention wrote.
  if (!superseded_days.empty()) doc["retention"] = {{"superseded_days", superseded_days}};
  return doc.dump(2);
}

Result<std::string> PolicyTextOfSigned(std::string_view signed_document) {
  json doc = json::parse(signed_document, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("policy") ||
      !doc.at("policy").is_string()) {
    return InvalidArgument("not a signed sharing policy document");
  }
  return doc.at("policy").get<std::string>();
}

namespace {

std::set<std::string> SplitParties(const std::string& text, const std::string& separators) {
  std::set<std::string> parties;
  std::string current;
  auto flush = [&] {
    if (!current.empty()) parties.insert(current);
    current.clear();
  };
  for (char c : text) {
    if (separators.find(c) != std::string::npos) {
      flush();
    } else {
      current += c;
    }
  }
  flush();
  return parties;
}

}  // namespace

Result<RecordScope> ApplyRootRule(const RootRule* rule, const std::string& owner_party,
                                  const RootValues& values) {
  RecordScope scope;
  scope.owner_party = owner_party;
  if (!owner_party.empty()) scope.parties.insert(owner_party);
  std::string owner =
      owner_party.empty() ? "an office of unknown party" : "the " + owner_party + " office";
  if (!rule) {
    scope.reason = "stays with the party of the office that opened it (" + owner + ")";
    return scope;
  }
  bool shared = true;
  if (!rule->consent_field.empty()) {
    // Fail closed: every live value of the consent field must allow sharing,
    // so a conflict between "given" and "refused" keeps the case at home.
    ASSIGN_OR_RETURN(std::vector<std::string> live, values.live(rule->consent_field));
    if (live.empty()) shared = false;
    for (const std::string& value : live) {
      if (!rule->shared_when.count(value)) shared = false;
    }
    if (shared && !rule->override_value.empty()) {
      ASSIGN_OR_RETURN(std::string consent, values.winner(rule->consent_field));
      if (consent == rule->override_value) {
        ASSIGN_OR_RETURN(std::string reason, values.winner(rule->override_reason_field));
        if (reason.empty()) shared = false;
      }
    }
  }
  if (!shared) {
    scope.reason = "no " + rule->consent_field + " to share: stays with " + owner;
    return scope;
  }
  std::string listed;
  if (!rule->parties_field.empty()) {
    ASSIGN_OR_RETURN(listed, values.winner(rule->parties_field));
  }
  std::set<std::string> named = SplitParties(listed, rule->separators);
  if (named.empty()) {
    if (rule->unstated_goes_everywhere) {
      scope.everyone = true;
      scope.reason = "no parties recorded: joint work goes to every node";
    } else {
      scope.reason = "no parties recorded: stays with " + owner;
    }
    return scope;
  }
  scope.parties.insert(named.begin(), named.end());
  scope.reason = "goes to the parties in its " + rule->parties_field + " (" + listed + ") and " +
                 owner + (rule->consent_field.empty() ? "" : ", with " + rule->consent_field);
  return scope;
}

bool SharingPolicy::IsScopeField(std::string_view type, std::string_view field) const {
  if (auto it = roots.find(std::string(type)); it != roots.end()) {
    const RootRule& r = it->second;
    if (field == r.parties_field || field == r.consent_field || field == r.override_reason_field) {
      return !field.empty();
    }
  }
  if (auto it = follow.find(std::string(type)); it != follow.end()) {
    for (const auto& ref : it->second) {
      if (field == ref) return true;
    }
  }
  return false;
}

}  // namespace accord
