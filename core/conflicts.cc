#include "core/conflicts.h"

#include <algorithm>

#include "core/record_label.h"
#include "core/text_rule.h"

namespace accord {

namespace {

std::string Shown(const std::optional<std::string>& value) {
  return value ? "'" + *value + "'" : "(empty)";
}

// The newest earlier value that every concurrent value had seen.
std::optional<FieldVersion> FindAncestor(const std::vector<StoredVersion>& history,
                                         const std::vector<ConflictValue>& values) {
  for (auto it = history.rbegin(); it != history.rend(); ++it) {
    bool seen_by_all = true;
    for (const auto& v : values) {
      if (it->version.version.Compare(v.version.version) != Order::kBefore) seen_by_all = false;
    }
    if (seen_by_all) return it->version;
  }
  return std::nullopt;
}

Result<Conflict> BuildConflict(Store& store, const ConflictRef& ref) {
  const std::string& record_id = ref.record_id;
  const std::string& field = ref.field;
  ASSIGN_OR_RETURN(RecordView record, store.Get(record_id));
  Conflict c;
  c.id = ref.id;
  c.record_id = record_id;
  c.record_type = record.type;
  c.record_label = RecordLabel(record);
  c.field = field;
  c.detected_at_ms = ref.detected_at_ms;
  for (const auto& [name, v] : record.fields) {
    if (name != field) c.context[name] = v.value;
  }
  if (field == kDeletedField) {
    // Delete versus edit: the tombstones, and each edit they had not seen.
    ASSIGN_OR_RETURN(auto tombs, store.History(record_id, std::string(kDeletedField)));
    VersionVector tomb_vector;
    for (const auto& t : tombs) {
      if (!t.live) continue;
      tomb_vector.MergeFrom(t.version.version);
      c.values.push_back({t.version,
                          false,
                          t.version.value == "1" ? "deleted the record" : "restored the record",
                          {}});
    }
    ASSIGN_OR_RETURN(auto all, store.History(record_id, std::nullopt));
    for (const auto& v : all) {
      if (!v.live || v.version.field == kDeletedField) continue;
      if (v.version.version.DominatedByOrEqual(tomb_vector)) continue;
      c.values.push_back(
          {v.version, false, "edited " + v.version.field + " to " + Shown(v.version.value), {}});
    }
    // Provisionally the record stays visible: the edits win until someone decides.
    for (auto& v : c.values) v.provisional = v.version.field != kDeletedField;
    return c;
  }
  ASSIGN_OR_RETURN(auto history, store.History(record_id, field));
  for (const auto& v : history) {
    if (v.live) c.values.push_back({v.version, v.winner, Shown(v.version.value), {}});
  }
  c.ancestor = FindAncestor(history, c.values);
  const TypeSpec* type = Schema::Get().FindType(c.record_type);
  const FieldSpec* spec = type ? type->FindField(field) : nullptr;
  if (c.ancestor && c.ancestor->value && spec && spec->kind == FieldKind::kLongText) {
    for (auto& v : c.values) {
      if (v.version.value) v.diff_from_ancestor = DiffLines(*c.ancestor->value, *v.version.value);
    }
    if (c.values.size() == 2 && c.values[0].version.value && c.values[1].version.value) {
      TextMerge merge =
          MergeText(*c.ancestor->value, *c.values[0].version.value, *c.values[1].version.value);
      if (merge.clean) c.suggested_merge = merge.merged;
    }
  }
  return c;
}

}  // namespace

Result<std::vector<Conflict>> ListConflicts(Store& store, const std::string& type) {
  ASSIGN_OR_RETURN(ConflictPage all, ListConflictPage(store, {type, 0, std::nullopt}));
  return std::move(all.conflicts);
}

Result<ConflictPage> ListConflictPage(Store& store, const ConflictQuery& query) {
  ASSIGN_OR_RETURN(ConflictList open, store.ListConflicts(query));
  ConflictPage page;
  page.total = open.total;
  page.conflicts.reserve(open.conflicts.size());
  for (const ConflictRef& ref : open.conflicts) {
    ASSIGN_OR_RETURN(Conflict c, BuildConflict(store, ref));
    page.conflicts.push_back(std::move(c));
  }
  return page;
}

Result<Conflict> GetConflict(Store& store, const std::string& id) {
  ASSIGN_OR_RETURN(std::optional<ConflictRef> ref, store.FindConflict(id));
  if (!ref) {
    return NotFound("no open conflict " + id +
                    " (already resolved, or a sync changed it: run `accord conflicts` again)");
  }
  return BuildConflict(store, *ref);
}

Result<std::optional<std::string>> ResolveConflict(Store& store, const std::string& id,
                                                   const ResolutionChoice& choice) {
  int ways = (choice.take_node ? 1 : 0) + (choice.value ? 1 : 0) + (choice.clear ? 1 : 0);
  if (ways != 1) return InvalidArgument("resolve with exactly one of --take NODE or --value TEXT");
  // The name goes into the resolution's note, which is signed and synced as
  // text (a proto3 string): bytes that are not UTF-8 would have every other
  // node refuse the resolution.
  auto reviewer = NormalizeText(choice.resolved_by, /*long_text=*/false);
  if (!reviewer.ok()) {
    return InvalidArgument("the reviewer's name " + reviewer.status().message());
  }
  ASSIGN_OR_RETURN(Conflict c, GetConflict(store, id));
  std::optional<std::string> value;
  std::string how;
  if (choice.take_node) {
    const ConflictValue* taken = nullptr;
    std::string writers;
    for (const auto& v : c.values) {
      writers += (writers.empty() ? "" : ", ") + v.version.origin;
      if (v.version.origin == *choice.take_node) taken = &v;
    }
    if (!taken) {
      return InvalidArgument(*choice.take_node + " wrote none of the values of conflict " + id +
                             " (they were written by " + writers + ")");
    }
    if (c.field == kDeletedField) {
      value = taken->version.field == kDeletedField ? taken->version.value
                                                    : std::optional<std::string>("0");
    } else {
      value = taken->version.value;
    }
    how = "took " + *choice.take_node + "'s value";
  } else {
    if (c.field == kDeletedField) {
      return InvalidArgument("a delete-versus-edit conflict is resolved with --take NODE");
    }
    value = choice.clear ? std::nullopt : choice.value;
    how = "set a merged value";
  }
  // On a node with users the resolver is the acting user (the write's
  // author, signed); a free-text name is only for nodes without users.
  std::string by = !store.acting_user().empty() ? store.acting_user()
                   : reviewer->empty()          ? "a reviewer"
                                                : *reviewer;
  std::string note = "resolved conflict " + id + " by " + by + " at " + store.node_id() + ": " +
                     how + "; replaced";
  for (const auto& v : c.values) {
    note += " " + v.version.origin + "=" +
            (c.field == kDeletedField ? v.summary : Shown(v.version.value)) + " [" +
            v.version.version.ToText() + "]";
  }
  RETURN_IF_ERROR(store.WriteResolution(c.record_id, c.field, value, note, c.id));
  return value;
}

}  // namespace accord
