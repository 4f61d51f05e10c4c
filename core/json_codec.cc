#include "core/json_codec.h"

#include <filesystem>

#include "core/schema_fit.h"

#include "core/time_format.h"

namespace accord {

using nlohmann::json;

json VersionVectorJson(const VersionVector& vv) {
  json out = json::object();
  for (const auto& [node, counter] : vv.entries()) out[node] = counter;
  return out;
}

json FieldVersionJson(const FieldVersion& v) {
  json out;
  out["value"] = v.value ? json(*v.value) : json(nullptr);
  out["version"] = VersionVectorJson(v.version);
  out["origin"] = v.origin;
  if (!v.author.empty()) out["author"] = v.author;  // the user, signed by the origin
  out["written_at"] = FormatUtcMs(v.origin_time_ms);
  if (!v.note.empty()) out["note"] = v.note;
  return out;
}

json RecordJson(const RecordView& record) {
  json out;
  out["id"] = record.id;
  out["type"] = record.type;
  json fields = json::object();
  for (const auto& [name, v] : record.fields) {
    fields[name] = v.value ? json(*v.value) : json(nullptr);
  }
  out["fields"] = std::move(fields);
  if (record.deleted) out["deleted"] = true;
  if (record.delete_conflict) out["delete_conflict"] = true;
  // Kept and passed on, but not known to this node's schema (a newer node's).
  SchemaFit fit = FitToSchema(record);
  if (!fit.known_type) out["unknown_type"] = true;
  if (!fit.unknown_fields.empty()) out["unknown_fields"] = fit.unknown_fields;
  if (!fit.unknown_values.empty()) out["unknown_values"] = fit.unknown_values;
  if (!record.conflicts.empty()) {
    json conflicts = json::object();
    for (const auto& [name, versions] : record.conflicts) {
      json list = json::array();
      for (const auto& v : versions) list.push_back(FieldVersionJson(v));
      conflicts[name] = std::move(list);
    }
    out["conflicts"] = std::move(conflicts);
  }
  return out;
}

json HistoryEntryJson(const StoredVersion& v) {
  json out = FieldVersionJson(v.version);
  out["field"] = v.version.field;
  out["seq"] = v.seq;
  out["state"] = !v.live ? "superseded" : (v.winner ? "current" : "concurrent");
  out["received_from"] = v.received_from.empty() ? json(nullptr) : json(v.received_from);
  // Pruned under the retention setting: no value, note or signed bytes left.
  if (v.pruned_at_ms != 0) out["pruned_at"] = FormatUtcMs(v.pruned_at_ms);
  return out;
}

json RefusedStateJson(const RefusedState& r) {
  return {{"record_id", r.record_id},
          {"field", r.field},
          {"origin", r.origin},
          {"counter", r.counter},
          {"reason", r.reason}};
}

const char* HoldsText(NodeHolding::Holds holds) {
  switch (holds) {
    case NodeHolding::Holds::kCurrent:
      return "current";
    case NodeHolding::Holds::kSome:
      return "some";
    case NodeHolding::Holds::kNone:
      break;
  }
  return "none";
}

json RecordSharingJson(const RecordSharing& sharing) {
  json nodes = json::array();
  for (const NodeHolding& n : sharing.nodes) {
    nodes.push_back({{"node", n.node},
                     {"party", n.party ? json(*n.party) : json(nullptr)},
                     {"may_hold", n.may_hold},
                     {"holds", HoldsText(n.holds)},
                     {"last_contact",
                      n.last_contact_ms ? json(FormatUtcMs(n.last_contact_ms)) : json(nullptr)}});
  }
  return {{"everyone", sharing.scope.everyone},
          {"parties", sharing.scope.parties},
          {"owner_party", sharing.scope.owner_party},
          {"reason", sharing.scope.reason},
          {"nodes", std::move(nodes)}};
}

json NodeStatusJson(const NodeStatus& status) {
  json counts = json::object();
  for (const auto& [type, n] : status.records_per_type) counts[type] = n;
  return {{"node_id", status.node_id},
          {"version_vector", VersionVectorJson(status.knowledge)},
          {"records", counts},
          {"deleted_records", status.deleted_records},
          {"last_change_seq", status.last_seq},
          {"open_conflicts", status.open_conflicts}};
}

json ConflictJson(const Conflict& c, bool with_details) {
  json out;
  out["id"] = c.id;
  out["record_id"] = c.record_id;
  out["record_type"] = c.record_type;
  out["record"] = c.record_label;
  out["field"] = c.field;
  out["kind"] = c.field == kDeletedField ? "delete_vs_edit" : "concurrent_values";
  out["detected_at"] = FormatUtcMs(c.detected_at_ms);
  json values = json::array();
  for (const auto& v : c.values) {
    json value = FieldVersionJson(v.version);
    value["field"] = v.version.field;
    value["provisional"] = v.provisional;
    value["summary"] = v.summary;
    if (with_details && !v.diff_from_ancestor.empty()) {
      json diff = json::array();
      for (const auto& line : v.diff_from_ancestor)
        diff.push_back(std::string(1, line.op) + line.text);
      value["diff_from_ancestor"] = std::move(diff);
    }
    values.push_back(std::move(value));
  }
  out["values"] = std::move(values);
  if (with_details) {
    out["ancestor"] = c.ancestor ? FieldVersionJson(*c.ancestor) : json(nullptr);
    out["suggested_merge"] = c.suggested_merge ? json(*c.suggested_merge) : json(nullptr);
    json context = json::object();
    for (const auto& [name, value] : c.context)
      context[name] = value ? json(*value) : json(nullptr);
    out["context"] = std::move(context);
  }
  return out;
}

Result<std::vector<RecordWrite>> ParseLoadDocument(const std::string& text) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {
    // A syntax error (e.what() names its byte position) or a number out of
    // range (1e400): not only parse_error, or `accord load` aborts.
    return InvalidArgument(std::string("not valid JSON: ") + e.what());
  }
  const json* records = nullptr;
  if (doc.is_object() && doc.contains("records")) {
    records = &doc["records"];
  } else if (doc.is_array()) {
    records = &doc;
  }
  if (!records || !records->is_array()) {
    return InvalidArgument("expected {\"records\": [...]} or a JSON array of records");
  }
  std::vector<RecordWrite> writes;
  writes.reserve(records->size());
  for (size_t i = 0; i < records->size(); ++i) {
    const json& r = (*records)[i];
    std::string where = "record #" + std::to_string(i + 1) + ": ";
    if (!r.is_object()) return InvalidArgument(where + "is not a JSON object");
    RecordWrite write;
    auto type = r.find("type");
    if (type == r.end() || !type->is_string()) {
      return InvalidArgument(where + "needs a \"type\" string");
    }
    write.type = type->get<std::string>();
    auto id = r.find("id");
    if (id != r.end()) {
      if (!id->is_string()) return InvalidArgument(where + "\"id\" must be a string");
      write.id = id->get<std::string>();
      where = "record #" + std::to_string(i + 1) + " (id " + *write.id + "): ";
    }
    for (auto it = r.begin(); it != r.end(); ++it) {
      if (it.key() == "type" || it.key() == "id") continue;
      FieldWrite fw;
      fw.field = it.key();
      const json& value = it.value();
      if (value.is_string()) {
        fw.value = value.get<std::string>();
      } else if (value.is_number_integer()) {
        fw.value = std::to_string(value.get<int64_t>());
      } else if (value.is_null()) {
        fw.value = std::nullopt;
      } else {
        return InvalidArgument(where + "field \"" + fw.field +
                               "\" must be a string, an integer or null");
      }
      write.writes.push_back(std::move(fw));
    }
    writes.push_back(std::move(write));
  }
  return writes;
}

namespace {

// A load file comes from elsewhere (mail, a USB stick): were it free to name
// any path, `accord load` would copy the node's own key or database, or any
// file of the account, into an attachment that sync then ships to other
// offices. Its files are its own folder's, as docs/attachments.md says.
Status CheckInsideDocumentFolder(const std::string& given, const std::filesystem::path& base) {
  std::filesystem::path path(given);
  if (given.empty()) return InvalidArgument("\"file\" is empty");
  if (path.is_absolute()) {
    return InvalidArgument("file \"" + given +
                           "\" is an absolute path; a load file names its attachments "
                           "relative to its own folder (" +
                           (base.empty() ? std::string(".") : base.string()) + ")");
  }
  for (const auto& part : path.lexically_normal()) {
    if (part == "..") {
      return InvalidArgument("file \"" + given + "\" climbs out of the load file's folder (" +
                             (base.empty() ? std::string(".") : base.string()) +
                             "); a load file names only files inside it");
    }
  }
  return Status::Ok();
}

// The same once symbolic links are followed: a link in the folder that
// points out of it is refused as well.
Status CheckResolvesInside(const std::string& given, const std::string& path,
                           const std::filesystem::path& base) {
  std::error_code ec;
  auto folder = std::filesystem::canonical(base.empty() ? "." : base, ec);
  if (ec) return NotFound("cannot resolve the load file's folder: " + ec.message());
  auto file = std::filesystem::canonical(path, ec);
  if (ec) return NotFound("cannot resolve " + path + ": " + ec.message());
  auto rel = file.lexically_relative(folder);
  if (rel.empty() || *rel.begin() == "..") {
    return InvalidArgument("file \"" + given + "\" leads out of the load file's folder (to " +
                           file.string() +
                           ", through a symbolic link); a load file names only "
                           "files inside it");
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<NewAttachment>> ParseLoadAttachments(const std::string& text,
                                                        const std::string& base_dir) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  std::vector<NewAttachment> out;
  if (!doc.is_object() || !doc.contains("attachments")) return out;
  const json& list = doc["attachments"];
  if (!list.is_array()) return InvalidArgument("\"attachments\" must be an array");
  std::filesystem::path base(base_dir);
  for (size_t i = 0; i < list.size(); ++i) {
    const json& a = list[i];
    std::string where = "attachment #" + std::to_string(i + 1) + ": ";
    if (!a.is_object() || !a.contains("record") || !a["record"].is_string() ||
        !a.contains("file") || !a["file"].is_string()) {
      return InvalidArgument(where + "needs \"record\" and \"file\" strings");
    }
    NewAttachment n;
    n.owner_id = a["record"].get<std::string>();
    where = "attachment #" + std::to_string(i + 1) + " (record " + n.owner_id + "): ";
    const std::string given = a["file"].get<std::string>();
    RETURN_IF_ERROR(CheckInsideDocumentFolder(given, base).WithContext(where));
    n.path = (base / given).string();
    if (a.contains("caption") && a["caption"].is_string()) n.caption = a["caption"];
    if (a.contains("file_name") && a["file_name"].is_string()) n.file_name = a["file_name"];
    std::error_code ec;
    if (!std::filesystem::is_regular_file(n.path, ec)) {
      return NotFound(where + "no file " + n.path);
    }
    RETURN_IF_ERROR(CheckResolvesInside(given, n.path, base).WithContext(where));
    out.push_back(std::move(n));
  }
  return out;
}

}  // namespace accord
