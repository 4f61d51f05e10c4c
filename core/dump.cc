// The canonical dump: every record, every live version, sorted, with nothing
// node-local (no sequence numbers, no receipt times), so converged nodes print
// byte-identical output. Streams record by record: memory does not grow with
// the database.
#include <ostream>

#include "core/json_codec.h"
#include "core/store.h"

namespace accord {

Status Store::Dump(std::ostream& out, std::set<std::pair<std::string, std::string>>* fields_seen) {
  ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_, Transaction::Mode::kRead));
  ASSIGN_OR_RETURN(Statement * records,
                   db_->Prepare("SELECT id, type, deleted FROM records ORDER BY id"));
  // A second statement walks the versions in the same order, merged by id.
  ASSIGN_OR_RETURN(
      Statement * versions,
      db_->Prepare("SELECT record_id, field, value, vv, origin, origin_time, note, "
                   "author FROM versions WHERE state > 0 ORDER BY record_id, field, vv"));
  out << "{\"format\":\"accord-dump-1\",\"records\":[";
  bool first = true;
  ASSIGN_OR_RETURN(bool has_version, versions->Step());
  while (true) {
    ASSIGN_OR_RETURN(bool row, records->Step());
    if (!row) break;
    std::string id = records->Text(0);
    nlohmann::json record;
    record["id"] = id;
    record["type"] = records->Text(1);
    record["deleted"] = records->Int(2) != 0;
    nlohmann::json fields = nlohmann::json::object();
    while (has_version && versions->Text(0) == id) {
      FieldVersion v;
      std::string field = versions->Text(1);
      std::string vv_text = versions->Text(3);
      CellRow cell{id, field, vv_text};
      ASSIGN_OR_RETURN(v.value, cipher_.ReadValue(*versions, 2, cell));
      auto vv = VersionVector::FromText(vv_text);
      if (!vv.ok()) return vv.status();
      v.version = std::move(vv).value();
      v.origin = versions->Text(4);
      v.origin_time_ms = versions->Int(5);
      ASSIGN_OR_RETURN(v.note, cipher_.ReadNote(*versions, 6, cell));
      v.author = versions->Text(7);
      if (fields_seen) fields_seen->emplace(record["type"].get<std::string>(), field);
      fields[field].push_back(FieldVersionJson(v));
      ASSIGN_OR_RETURN(has_version, versions->Step());
    }
    record["fields"] = std::move(fields);
    // Stored text follows the text rule; bytes that do not (written by an
    // older version) show as U+FFFD rather than stop the dump half way.
    out << (first ? "\n" : ",\n")
        << record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    first = false;
  }
  records->Reset();
  versions->Reset();
  out << "\n]}\n";
  if (!out) return IoError("writing the dump failed");
  return Status::Ok();
}

}  // namespace accord
