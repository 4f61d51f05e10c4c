#include "core/signed_content.h"

#include <algorithm>
#include <map>
#include <sstream>

#include "core/sha256.h"

namespace accord {

namespace {

// The record's current values, canonically: its type and id, then each set
// field as name and value, every item length-prefixed so that no value can
// imitate a boundary.
std::string CanonicalContent(const RecordView& record) {
  std::string out;
  auto item = [&out](std::string_view text) {
    out += std::to_string(text.size());
    out += ':';
    out.append(text);
  };
  item(record.type);
  item(record.id);
  for (const auto& [name, version] : record.fields) {
    if (!version.value) continue;
    item(name);
    item(*version.value);
  }
  return out;
}

Status AddParts(Store& store, const std::string& type, const std::string& ref_field,
                const std::string& parent, std::vector<SignedPart>& parts,
                std::vector<std::string>* ids = nullptr) {
  ASSIGN_OR_RETURN(std::vector<RecordView> records,
                   store.List(type, FieldWrite{ref_field, parent}));
  for (const RecordView& record : records) {
    if (record.deleted) continue;
    ASSIGN_OR_RETURN(std::string hex, Sha256Hex(CanonicalContent(record)));
    parts.push_back({record.type, record.id, std::move(hex)});
    if (ids) ids->push_back(record.id);
  }
  return Status::Ok();
}

std::string Plural(const std::string& type, size_t n) {
  std::string words = type;
  std::replace(words.begin(), words.end(), '_', ' ');
  if (n == 1) return "1 " + words;
  if (words.back() == 'y')
    return std::to_string(n) + " " + words.substr(0, words.size() - 1) + "ies";
  return std::to_string(n) + " " + words + "s";
}

}  // namespace

std::string SignedContent::CoversText() const {
  std::string out;
  for (const SignedPart& part : parts)
    out += part.type + " " + part.id + " " + part.digest_hex + "\n";
  return out;
}

std::string SignedContent::Summary() const {
  std::map<std::string, size_t> counts;
  for (const SignedPart& part : parts) {
    if (part.id != root_id) ++counts[part.type];
  }
  std::string out = root_type;
  for (const auto& [type, n] : counts) out += ", " + Plural(type, n);
  return out;
}

Result<SignedContent> ReadSignedContent(Store& store, std::string_view root_id) {
  ASSIGN_OR_RETURN(RecordView root, store.Get(root_id));
  if (root.type != "meeting" && root.type != "plan") {
    return InvalidArgument(root.type + " " + root.id +
                           " cannot be signed: a signature covers a meeting or a plan");
  }
  if (root.deleted) return FailedPrecondition(root.type + " " + root.id + " is deleted");
  SignedContent content;
  content.root_type = root.type;
  content.root_id = root.id;
  ASSIGN_OR_RETURN(std::string root_hex, Sha256Hex(CanonicalContent(root)));
  content.parts.push_back({root.type, root.id, root_hex});
  if (root.type == "meeting") {
    for (const char* type : {"agenda_item", "minute", "decision", "action_item"}) {
      RETURN_IF_ERROR(AddParts(store, type, "meeting", root.id, content.parts));
    }
  } else {
    std::vector<std::string> objectives;
    RETURN_IF_ERROR(AddParts(store, "objective", "plan", root.id, content.parts, &objectives));
    for (const std::string& objective : objectives) {
      RETURN_IF_ERROR(AddParts(store, "activity", "objective", objective, content.parts));
    }
  }
  std::sort(content.parts.begin(), content.parts.end(), [](const auto& a, const auto& b) {
    return std::tie(a.type, a.id) < std::tie(b.type, b.id);
  });
  ASSIGN_OR_RETURN(std::string hex, Sha256Hex(content.CoversText()));
  content.digest = "sha256:" + hex;
  return content;
}

Result<std::optional<std::string>> SignedRootOf(Store& store, const RecordView& record) {
  using Root = std::optional<std::string>;
  auto parent = [&record](const char* field) -> Root {
    const auto* value = record.Value(field);
    if (!value || !*value || (*value)->empty()) return std::nullopt;
    return **value;
  };
  if (record.type == "meeting" || record.type == "plan")
    return std::optional<std::string>(record.id);
  if (record.type == "agenda_item" || record.type == "minute" || record.type == "decision" ||
      record.type == "action_item") {
    return parent("meeting");
  }
  if (record.type == "signature") {
    auto meeting = parent("meeting");
    return meeting ? meeting : parent("plan");
  }
  if (record.type == "objective") return parent("plan");
  if (record.type != "activity") return Root();
  auto objective_id = parent("objective");
  if (!objective_id) return Root();
  auto objective = store.Get(*objective_id);
  if (objective.status().code() == Code::kNotFound) return Root();
  if (!objective.ok()) return objective.status();
  return SignedRootOf(store, *objective);
}

std::vector<Amendment> AmendmentsSince(const SignedContent& now, std::string_view covers) {
  // (type, id) -> digest, as signed.
  std::map<std::pair<std::string, std::string>, std::string> signed_parts;
  std::istringstream lines{std::string(covers)};
  std::string type, id, hex;
  while (lines >> type >> id >> hex) signed_parts[{type, id}] = hex;
  std::vector<Amendment> out;
  for (const SignedPart& part : now.parts) {
    auto it = signed_parts.find({part.type, part.id});
    if (it == signed_parts.end()) {
      out.push_back({Amendment::Kind::kAdded, part.type, part.id});
    } else {
      if (it->second != part.digest_hex) {
        out.push_back({Amendment::Kind::kChanged, part.type, part.id});
      }
      signed_parts.erase(it);
    }
  }
  for (const auto& [key, digest] : signed_parts) {
    out.push_back({Amendment::Kind::kRemoved, key.first, key.second});
  }
  return out;
}

std::string_view AmendmentWord(Amendment::Kind kind) {
  switch (kind) {
    case Amendment::Kind::kChanged:
      return "changed";
    case Amendment::Kind::kAdded:
      return "added";
    case Amendment::Kind::kRemoved:
      return "removed";
  }
  return "changed";
}

Result<std::vector<SignatureCheck>> CheckSignatures(Store& store, std::string_view root_id) {
  ASSIGN_OR_RETURN(SignedContent now, ReadSignedContent(store, root_id));
  ASSIGN_OR_RETURN(std::vector<RecordView> signatures,
                   store.List("signature", FieldWrite{now.root_type, now.root_id}));
  std::vector<SignatureCheck> out;
  for (RecordView& signature : signatures) {
    if (signature.deleted) continue;
    SignatureCheck check;
    const auto* digest = signature.Value("digest");
    const auto* covers = signature.Value("covers");
    check.signed_digest = digest && *digest ? **digest : "";
    if (check.signed_digest != now.digest) {
      check.amended = AmendmentsSince(now, covers && *covers ? **covers : "");
      if (check.amended.empty()) {
        // The digest differs but no part does: the covers were edited, or
        // the signature predates digests. Say so rather than call it intact.
        check.amended.push_back({Amendment::Kind::kChanged, "signature", signature.id});
      }
    }
    check.signature = std::move(signature);
    out.push_back(std::move(check));
  }
  return out;
}

}  // namespace accord
