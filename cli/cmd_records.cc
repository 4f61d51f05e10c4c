// Record commands: init, put, get, list, delete, history, schema, status, dump, load.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "cli/cli_context.h"
#include "core/json_codec.h"
#include "core/node_id.h"
#include "core/protected_paths.h"
#include "core/record_id.h"
#include "core/record_label.h"
#include "core/schema_fit.h"
#include "core/signed_content.h"
#include "core/time_format.h"
#include "core/write_check.h"
#include "sync/identity.h"
#include "sync/signed_changes.h"

namespace accord::cli {

namespace {

using nlohmann::json;

Result<FieldWrite> ParseAssignment(const std::string& text) {
  size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    return InvalidArgument("'" + text + "' is not FIELD=VALUE");
  }
  FieldWrite fw;
  fw.field = text.substr(0, eq);
  std::string value = text.substr(eq + 1);
  if (!value.empty()) fw.value = std::move(value);  // FIELD= clears the field
  return fw;
}

std::string Shown(const std::optional<std::string>& value) {
  return value ? *value : "(empty)";
}

void PrintRecord(const RecordView& record) {
  SchemaFit fit = FitToSchema(record);
  std::cout << record.type << " " << record.id;
  if (!fit.known_type) std::cout << "  [unknown type: from a newer accord; kept and passed on]";
  if (record.delete_conflict)
    std::cout << "  [deleted on one node, edited on another: see `accord conflicts`]";
  std::cout << "\n";
  auto print = [&](const std::string& name, const char* marker) {
    auto it = record.fields.find(name);
    if (it == record.fields.end() || !it->second.value) return;
    std::cout << "  " << name << ": " << *it->second.value << marker;
    if (record.conflicts.count(name)) std::cout << "   [CONFLICT: see `accord conflicts`]";
    std::cout << "\n";
  };
  auto listed = [](const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  // Declared fields in the schema's order, then what only a newer node knows.
  if (const TypeSpec* type = Schema::Get().FindType(record.type)) {
    for (const FieldSpec& field : type->fields) {
      print(field.name, listed(fit.unknown_values, field.name) ? "   [unknown value]" : "");
    }
  }
  for (const auto& name : fit.unknown_fields) print(name, "   [unknown field]");
}

int RunInit(const Context& ctx, const std::string& node_id, bool encrypt) {
  if (!IsValidNodeId(node_id)) {
    return UsageError(InvalidArgument("node id '" + node_id +
                                      "' is not valid: use letters, digits and '-', at most 32 "
                                      "characters"));
  }
  std::error_code ec;
  std::filesystem::create_directories(ctx.TlsDir(), ec);
  if (ec) return Fail(IoError("cannot create " + ctx.TlsDir() + ": " + ec.message()));
  RestrictToOwner(ctx.dir);
  // The database appears whole or not at all (Store::Create), so a killed
  // init leaves a directory that opens or that init can run in again.
  StoreOptions options;
  if (encrypt) {
    std::error_code exists_ec;
    if (std::filesystem::exists(ctx.DatabasePath(), exists_ec)) {
      return Fail(FailedPrecondition("a node database already exists at " + ctx.DatabasePath()));
    }
    auto key = MakeWrappedKey(ctx);
    if (!key.ok()) return Fail(key.status());
    options.data_key = std::move(key).value();
  }
  auto store = Store::Create(ctx.DatabasePath(), node_id, std::move(options));
  if (!store.ok()) {
    // A key that wraps nothing would only confuse the next init.
    if (encrypt) std::filesystem::remove(ctx.WrappedKeyPath(), ec);
    return Fail(store.status());
  }
  if (ctx.json) {
    PrintJson({{"node_id", node_id}, {"dir", ctx.dir}});
  } else {
    std::cout << "initialised node " << node_id << " in " << ctx.dir << "\n";
  }
  return kExitOk;
}

int RunPut(const Context& ctx, const std::string& type, const std::string& id,
           const std::vector<std::string>& assignments) {
  RecordWrite write;
  write.type = type;
  if (!id.empty()) write.id = id;
  for (const auto& a : assignments) {
    auto fw = ParseAssignment(a);
    if (!fw.ok()) return UsageError(fw.status());
    write.writes.push_back(std::move(fw).value());
  }
  if (write.writes.empty())
    return UsageError(InvalidArgument("put needs at least one FIELD=VALUE"));
  // What the schema alone can refuse is a usage error; what the store finds
  // (a reference to nothing, a deleted record) is a failure, as from `load`.
  auto fits = CheckRecordWrite(write);
  if (!fits.ok()) return UsageError(fits.status());
  auto store = ctx.OpenStoreAs();
  if (!store.ok()) return Fail(store.status());
  auto written = (*store)->Put(write);
  if (!written.ok()) return Fail(written.status());
  if (ctx.json) {
    auto record = (*store)->Get(*written);
    if (!record.ok()) return Fail(record.status());
    PrintJson(RecordJson(*record));
  } else {
    std::cout << *written << "\n";
  }
  return kExitOk;
}

Status CheckRecordId(const std::string& id) {
  if (IsValidRecordId(id)) return Status::Ok();
  return InvalidArgument("'" + id + "' is not a record id");
}

// "may go to" and, as far as this node knows, who holds the record.
void PrintSharing(const RecordSharing& sharing) {
  std::cout << "may go to: ";
  if (sharing.scope.everyone) {
    std::cout << "every node";
  } else {
    std::string sep;
    for (const auto& p : sharing.scope.parties) std::cout << sep << p, sep = ", ";
    if (sharing.scope.parties.empty()) std::cout << "no party known";
  }
  std::cout << " (" << sharing.scope.reason << ")\n";
  for (const NodeHolding& n : sharing.nodes) {
    std::cout << "  " << n.node << " ("
              << (n.party ? (n.party->empty() ? "no party" : *n.party) : "party unknown")
              << "): " << (n.may_hold ? "may hold it" : "held back") << ", holds "
              << (n.holds == NodeHolding::Holds::kCurrent ? "its current values"
                  : n.holds == NodeHolding::Holds::kSome  ? "some of its values"
                  : n.last_contact_ms                     ? "none of it"
                                                          : "nothing known (never synced)")
              << "\n";
  }
}

int RunGet(const Context& ctx, const std::string& id) {
  if (Status st = CheckRecordId(id); !st.ok()) return UsageError(st);
  auto store = ctx.OpenStore();
  if (!store.ok()) return Fail(store.status());
  auto record = (*store)->Get(id);
  if (!record.ok()) return Fail(record.status());
  auto sharing = (*store)->SharingOf(id);
  if (!sharing.ok()) return Fail(sharing.status());
  if (ctx.json) {
    json out = RecordJson(*record);
    out["sharing"] = RecordSharingJson(*sharing);
    PrintJson(out);
  } else {
    PrintRecord(*record);
    if (record->deleted) std::cout << "  (deleted)\n";
    if (!record->deleted && (record->type == "meeting" || record->type == "plan")) {
      // The signed document is the authority: say whether it still matches.
      auto signatures = CheckSignatures(**store, id);
      if (!signatures.ok()) return Fail(signatures.status());
      for (const SignatureCheck& check : *signatures) {
        const auto* who = check.signature.Value("signatory");
        const auto* on = check.signature.Value("signed_on");
        std::cout << "signed by " << (who && *who ? **who : "?")
                  << (on && *on ? " on " + **on : std::string()) << ": "
                  << (check.intact() ? "intact"
                                     : "AMENDED since (" + std::to_string(check.amended.size()) +
                                           " record(s): accord signatures " + id + ")")
                  << "\n";
      }
    }
    PrintSharing(*sharing);
  }
  return kExitOk;
}

int RunList(const Context& ctx, const std::string& type, const std::string& where_text) {
  const TypeSpec* spec = Schema::Get().FindType(type);
  if (!spec) return UsageError(InvalidArgument("unknown record type '" + type + "'"));
  std::optional<FieldWrite> where;
  if (!where_text.empty()) {
    auto fw = ParseAssignment(where_text);
    if (!fw.ok()) return UsageError(fw.status());
    if (!spec->FindField(fw->field)) {
      return UsageError(InvalidArgument("type " + type + " has no field '" + fw->field + "'"));
    }
    where = std::move(fw).value();
  }
  auto store = ctx.OpenStore();
  if (!store.ok()) return Fail(store.status());
  auto records = (*store)->List(type, where);
  if (!records.ok()) return Fail(records.status());
  if (ctx.json) {
    json out = json::array();
    for (const auto& r : *records) out.push_back(RecordJson(r));
    PrintJson(out);
  } else {
    for (const auto& r : *records) {
      std::cout << r.id << "  " << RecordLabelValues(r)
                << (r.conflicts.empty() && !r.delete_conflict ? "" : "  [conflict]") << "\n";
    }
    std::cerr << records->size() << " " << type << " record(s)\n";
  }
  return kExitOk;
}

int RunDelete(const Context& ctx, const std::string& id) {
  if (Status st = CheckRecordId(id); !st.ok()) return UsageError(st);
  auto store = ctx.OpenStoreAs();
  if (!store.ok()) return Fail(store.status());
  Status st = (*store)->Delete(id);
  if (!st.ok()) return Fail(st);
  if (ctx.json) {
    PrintJson({{"deleted", id}});
  } else {
    std::cout << "deleted " << id << "\n";
  }
  return kExitOk;
}

// What proves a version's origin, checked again now against the deployment
// CA: "verified", or why not.
std::string ProofOf(Store& store, const sync::PeerVerifier* verifier, const StoredVersion& v) {
  if (v.pruned_at_ms != 0) return "value pruned under the retention setting: nothing to verify";
  if (v.version.wire.empty()) {
    return v.version.origin == store.node_id() ? "not sealed yet (sealed when it first leaves)"
                                               : "no proof held (from before writes were signed)";
  }
  if (!verifier) return "sealed; not checked (no deployment CA here)";
  Status proof = sync::VerifyStoredProof(store, *verifier, v.version);
  return proof.ok() ? "verified: signed by " + v.version.origin : "FAILED: " + proof.message();
}

int RunHistory(const Context& ctx, const std::string& id, const std::string& field,
               const std::string& ca) {
  if (Status st = CheckRecordId(id); !st.ok()) return UsageError(st);
  auto store = ctx.OpenStore();
  if (!store.ok()) return Fail(store.status());
  std::optional<std::string> only;
  if (!field.empty()) only = field;
  auto history = (*store)->History(id, only);
  if (!history.ok()) return Fail(history.status());
  auto verifier =
      sync::PeerVerifier::Load(ca.empty() ? ctx.TlsDir() + "/ca.pem" : ca,
                               ctx.TlsDir() + "/revoked.txt", ctx.TlsDir() + "/revoked.crl");
  const sync::PeerVerifier* trust = verifier.ok() ? &*verifier : nullptr;
  if (ctx.json) {
    json out = json::array();
    for (const auto& v : *history) {
      json entry = HistoryEntryJson(v);
      entry["proof"] = ProofOf(**store, trust, v);
      out.push_back(std::move(entry));
    }
    PrintJson(out);
    return kExitOk;
  }
  // Values pruned under the retention setting are told once per field: how
  // many, written up to when, and when they were pruned.
  std::optional<int> kept_days;
  if (auto policy = (*store)->CurrentPolicy(); policy.ok() && !history->empty()) {
    const auto& days = policy->policy.superseded_days;
    if (auto it = days.find(history->front().version.record_type); it != days.end()) {
      kept_days = it->second;
    }
  }
  struct Pruned {
    int count = 0;
    int64_t written_from = 0, written_to = 0, pruned_at = 0;
  };
  std::map<std::string, Pruned> pruned;
  for (const auto& v : *history) {
    if (v.pruned_at_ms == 0) continue;
    Pruned& p = pruned[v.version.field];
    if (p.count++ == 0) p.written_from = v.version.origin_time_ms;
    p.written_from = std::min(p.written_from, v.version.origin_time_ms);
    p.written_to = std::max(p.written_to, v.version.origin_time_ms);
    p.pruned_at = std::max(p.pruned_at, v.pruned_at_ms);
  }
  for (const auto& v : *history) {
    if (v.pruned_at_ms != 0) {
      auto told = pruned.find(v.version.field);
      if (told == pruned.end()) continue;
      const Pruned& p = told->second;
      std::cout << FormatUtcMs(p.written_from) << "  " << v.version.field << ": " << p.count
                << " older value(s) pruned under the retention setting";
      if (kept_days) {
        std::cout << " (superseded values kept " << *kept_days << " days)";
      }
      std::cout << "\n    written " << FormatUtcMs(p.written_from);
      if (p.written_to != p.written_from) std::cout << " up to " << FormatUtcMs(p.written_to);
      std::cout << "; pruned " << FormatUtcMs(p.pruned_at) << "\n";
      pruned.erase(told);
      continue;
    }
    std::cout << FormatUtcMs(v.version.origin_time_ms) << "  " << v.version.field << " = "
              << Shown(v.version.value) << "\n    by " << WrittenBy(v.version) << "  version "
              << v.version.version.ToText() << "  "
              << (!v.live    ? "superseded"
                  : v.winner ? "current"
                             : "concurrent");
    if (!v.received_from.empty()) std::cout << "  (received from " << v.received_from << ")";
    if (!v.version.note.empty()) std::cout << "\n    note: " << v.version.note;
    std::cout << "\n    origin: " << ProofOf(**store, trust, v) << "\n";
  }
  return kExitOk;
}

int RunSchema(const Context& ctx) {
  json out = json::array();
  for (const TypeSpec& type : Schema::Get().types()) {
    json fields = json::array();
    for (const FieldSpec& f : type.fields) {
      json field = {{"name", f.name},
                    {"kind", FieldKindName(f.kind)},
                    {"required", f.required},
                    {"help", f.help}};
      if (f.kind == FieldKind::kEnum) field["values"] = f.enum_values;
      if (f.kind == FieldKind::kRef) field["ref"] = f.ref_type;
      fields.push_back(std::move(field));
    }
    out.push_back(
        {{"type", type.name}, {"view", type.view}, {"help", type.help}, {"fields", fields}});
  }
  if (ctx.json) {
    PrintJson(out);
    return kExitOk;
  }
  for (const TypeSpec& type : Schema::Get().types()) {
    std::cout << type.name << " — " << type.help << " (SQL view: " << type.view << ")\n";
    for (const FieldSpec& f : type.fields) {
      std::cout << "  " << f.name << "  " << FieldKindName(f.kind);
      if (f.kind == FieldKind::kRef) std::cout << " -> " << f.ref_type;
      if (f.required) std::cout << "  required";
      if (f.kind == FieldKind::kEnum) {
        std::cout << "  {";
        for (size_t i = 0; i < f.enum_values.size(); ++i)
          std::cout << (i ? "|" : "") << f.enum_values[i];
        std::cout << "}";
      }
      std::cout << "\n";
    }
  }
  return kExitOk;
}

int RunStatus(const Context& ctx) {
  auto store = ctx.OpenStore();
  if (!store.ok()) return Fail(store.status());
  auto status = (*store)->GetStatus();
  if (!status.ok()) return Fail(status.status());
  // States that did not go in, either way: the writer can fix the value.
  auto refusals = (*store)->RecentRefusals(20);
  if (!refusals.ok()) return Fail(refusals.status());
  // Cases' scopes are judged from their (sealed) consent: a locked node
  // shows the rest of its status and says why that part is missing.
  const auto& revoked = (*store)->revocation_lock();
  const char* personal = revoked                  ? "locked: this node's certificate was revoked"
                         : !(*store)->encrypted() ? "clear"
                         : (*store)->unlocked()   ? "encrypted"
                                                  : "encrypted, locked";
  auto held_back = (*store)->HeldBackPerPeer();
  const bool held_back_locked = !held_back.ok() && (*store)->encrypted() && !(*store)->unlocked() &&
                                held_back.status().code() == Code::kFailedPrecondition;
  if (!held_back.ok() && !held_back_locked) return Fail(held_back.status());
  if (held_back_locked) held_back = std::vector<HeldBackFromPeer>();
  if (ctx.json) {
    json out = NodeStatusJson(*status);
    out["personal_data"] = personal;
    if (revoked) {
      out["revocation_lock"] = {{"serial", revoked->serial_hex},
                                {"revoked_at", FormatUtcMs(revoked->revoked_at_ms)},
                                {"issuer", revoked->issuer},
                                {"learned_from", revoked->learned_from},
                                {"learned_at", FormatUtcMs(revoked->learned_at_ms)},
                                {"personal_data_destroyed", revoked->destroyed},
                                {"message", RevocationLockMessage(*revoked)}};
    }
    json peers = json::array();
    for (const auto& p : *held_back) {
      peers.push_back({{"peer", p.peer_id},
                       {"party", p.party ? json(*p.party) : json(nullptr)},
                       {"records_held_back", p.records_held_back}});
    }
    out["held_back_per_peer"] = std::move(peers);
    json list = json::array();
    for (const auto& r : *refusals) {
      json entry = RefusedStateJson(r.state);
      entry["at"] = FormatUtcMs(r.at_ms);
      entry["peer"] = r.peer;
      entry["refused_by"] = r.sent ? r.peer : status->node_id;
      list.push_back(std::move(entry));
    }
    out["recent_refusals"] = std::move(list);
    PrintJson(out);
    return kExitOk;
  }
  std::cout << "node            " << status->node_id << "\n"
            << "version vector  " << status->knowledge.ToText() << "\n"
            << "last change     " << status->last_seq << "\n"
            << "open conflicts  " << status->open_conflicts
            << (status->open_conflicts ? "   (review with `accord conflicts`)" : "") << "\n"
            << "personal data   " << personal << "\n";
  if (revoked) std::cout << "  " << RevocationLockMessage(*revoked) << "\n";
  std::cout << "records\n";
  for (const auto& [type, n] : status->records_per_type)
    std::cout << "  " << type << "  " << n << "\n";
  if (status->deleted_records) std::cout << "  (deleted: " << status->deleted_records << ")\n";
  if (held_back_locked) {
    std::cout << "held back by the sharing policy: not judged (personal data is locked)\n";
  }
  if (!held_back->empty()) {
    std::cout << "held back by the sharing policy (records each peer's party may not hold)\n";
    for (const auto& p : *held_back) {
      std::cout << "  " << p.peer_id << " ("
                << (p.party ? (p.party->empty() ? "no party" : *p.party) : "party unknown") << ")  "
                << p.records_held_back << "\n";
    }
  }
  if (!refusals->empty()) {
    std::cout << "refused states (latest first)\n";
    for (const auto& r : *refusals) {
      std::cout << "  " << FormatUtcMs(r.at_ms) << "  "
                << (r.sent ? "refused by " + r.peer : "refused here, from " + r.peer) << ": record "
                << r.state.record_id << " field " << r.state.field << " by " << r.state.origin
                << ": " << r.state.reason << "\n";
    }
  }
  return kExitOk;
}

int RunDump(const Context& ctx) {
  auto store = ctx.OpenStore();
  if (!store.ok()) return Fail(store.status());
  std::set<std::pair<std::string, std::string>> seen;
  Status st = (*store)->Dump(std::cout, &seen);
  if (!st.ok()) return Fail(st);
  // The dump itself is the same on every node holding the same data, whatever
  // its schema; what this node does not know is said beside it.
  std::set<std::string> unknown;
  for (const auto& [type_name, field] : seen) {
    const TypeSpec* type = Schema::Get().FindType(type_name);
    if (!type) {
      unknown.insert("type " + type_name);
    } else if (field != kDeletedField && !type->FindField(field)) {
      unknown.insert(type_name + "." + field);
    }
  }
  if (!unknown.empty()) {
    std::cerr << "accord: unknown to this node's schema (from a newer accord; kept and passed on):";
    for (const auto& u : unknown) std::cerr << " " << u;
    std::cerr << "\n";
  }
  return kExitOk;
}

int RunLoad(const Context& ctx, const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Fail(NotFound("cannot read " + file));
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto writes = ParseLoadDocument(buffer.str());
  if (!writes.ok()) return Fail(writes.status().WithContext(file + ": "));
  // Checked before anything is written: a missing file loads nothing.
  auto attachments =
      ParseLoadAttachments(buffer.str(), std::filesystem::path(file).parent_path().string());
  if (!attachments.ok()) return Fail(attachments.status().WithContext(file + ": "));
  for (const NewAttachment& a : *attachments) {
    Status own = CheckNotProtectedSource(a.path, ctx.OwnFiles());
    if (!own.ok()) {
      return Fail(
          own.WithContext(file + ": attachment for record " + a.owner_id + ": nothing loaded: "));
    }
  }
  auto store = ctx.OpenStoreAs();
  if (!store.ok()) return Fail(store.status());
  auto ids = (*store)->PutMany(*writes);
  // Errors in the file's content are failures of the load (1), not of usage.
  if (!ids.ok()) return Fail(ids.status().WithContext(file + ": nothing loaded: "));
  // Files after the records they hang off; each is its own write.
  for (const NewAttachment& a : *attachments) {
    auto attached = (*store)->Attach(a, ctx.OwnFiles());
    if (!attached.ok()) {
      return Fail(attached.status().WithContext(file + ": the records are loaded, but " + a.path +
                                                " was not attached: "));
    }
  }
  if (ctx.json) {
    PrintJson({{"loaded", ids->size()}, {"attached", attachments->size()}, {"file", file}});
  } else {
    std::cout << "loaded " << ids->size() << " records from " << file;
    if (!attachments->empty()) std::cout << ", attached " << attachments->size() << " files";
    std::cout << "\n";
  }
  return kExitOk;
}

}  // namespace

struct RecordArgs {
  std::string node_id, type, id, field, where, file, ca;
  std::vector<std::string> assignments;
};

void AddRecordCommands(CLI::App& app, Context& ctx, Runner& run) {
  auto args = std::make_shared<RecordArgs>();

  auto* init = app.add_subcommand("init", "Create a node in --dir");
  init->add_option("--node-id", args->node_id, "This office's node id, e.g. KH-POIPET")->required();
  auto encrypt = std::make_shared<bool>(false);
  init->add_flag("--encrypt", *encrypt,
                 "Encrypt personal data at rest from the start, under a key wrapped by the "
                 "office's passphrase (ACCORD_PASSPHRASE, --passphrase-file, or typed)");
  AddJsonFlag(init, ctx);
  OnRun(init, run, [&ctx, args, encrypt] { return RunInit(ctx, args->node_id, *encrypt); });

  auto* put = app.add_subcommand("put", "Create or update a record; prints its id");
  put->add_option("type", args->type, "Record type (see `accord schema`)")->required();
  put->add_option("--id", args->id, "Update this record (or create it with this id)");
  put->add_option("fields", args->assignments, "FIELD=VALUE ... (FIELD= clears a field)");
  AddActingUserOptions(put, ctx);
  AddJsonFlag(put, ctx);
  OnRun(put, run, [&ctx, args] { return RunPut(ctx, args->type, args->id, args->assignments); });

  auto* get = app.add_subcommand("get", "Show a record");
  get->add_option("id", args->id, "Record id")->required();
  AddJsonFlag(get, ctx);
  OnRun(get, run, [&ctx, args] { return RunGet(ctx, args->id); });

  auto* list = app.add_subcommand("list", "List records of a type");
  list->add_option("type", args->type, "Record type")->required();
  list->add_option("--where", args->where, "Only records whose FIELD=VALUE");
  AddJsonFlag(list, ctx);
  OnRun(list, run, [&ctx, args] { return RunList(ctx, args->type, args->where); });

  auto* del = app.add_subcommand("delete", "Delete a record (a tombstone that syncs)");
  del->add_option("id", args->id, "Record id")->required();
  AddActingUserOptions(del, ctx);
  AddJsonFlag(del, ctx);
  OnRun(del, run, [&ctx, args] { return RunDelete(ctx, args->id); });

  auto* history = app.add_subcommand("history", "Every value a record's fields have had");
  history->add_option("id", args->id, "Record id")->required();
  history->add_option("field", args->field, "Only this field");
  history->add_option("--ca", args->ca,
                      "Deployment CA to check each version's origin against "
                      "(default: DIR/tls/ca.pem)");
  AddJsonFlag(history, ctx);
  OnRun(history, run, [&ctx, args] { return RunHistory(ctx, args->id, args->field, args->ca); });

  auto* schema = app.add_subcommand("schema", "The record types and their fields");
  AddJsonFlag(schema, ctx);
  OnRun(schema, run, [&ctx] { return RunSchema(ctx); });

  auto* status = app.add_subcommand("status", "Node id, version vector, counts, conflicts");
  AddJsonFlag(status, ctx);
  OnRun(status, run, [&ctx] { return RunStatus(ctx); });

  auto* dump = app.add_subcommand("dump", "Canonical JSON dump of every record (deterministic)");
  AddJsonFlag(dump, ctx);
  OnRun(dump, run, [&ctx] { return RunDump(ctx); });

  auto* load = app.add_subcommand("load", "Load records from a JSON file, all or nothing");
  load->add_option("file", args->file, "FILE.json")->required();
  AddActingUserOptions(load, ctx);
  AddJsonFlag(load, ctx);
  OnRun(load, run, [&ctx, args] { return RunLoad(ctx, args->file); });
}

}  // namespace accord::cli
