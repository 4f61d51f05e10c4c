// The schema registry: every record type the offices keep, declared once.
//
// The types come from the documents in shared/seeds (plans of action, bilateral
// meeting minutes, case management of repatriation). Everything that needs to
// know about types — validation, SQL views, `accord schema`, sync — reads it here.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace accord {

enum class FieldKind {
  kText,      // a short line of text
  kLongText,  // paragraphs (minutes, descriptions, notes): conflict review offers 3-way merges
  kInteger,   // a signed 64-bit integer written in decimal
  kDate,      // YYYY-MM-DD, a real calendar date
  kEnum,      // one of a fixed list of values
  kRef,       // the id of a record of another type
};

const char* FieldKindName(FieldKind kind);

struct FieldSpec {
  std::string name;
  FieldKind kind = FieldKind::kText;
  bool required = false;
  std::vector<std::string> enum_values;  // kEnum only
  std::string ref_type;                  // kRef only
  std::string help;
};

struct TypeSpec {
  std::string name;  // e.g. "activity"
  std::string view;  // the SQL view of current values, e.g. "activities"
  std::string help;
  std::vector<std::string> label_fields;  // fields that make a human label, e.g. number
  std::vector<FieldSpec> fields;
  // Personal data (cases and what hangs off them): stored encrypted on a
  // node whose data is encrypted (core/cell_cipher.h, docs/encryption.md).
  bool personal = false;

  const FieldSpec* FindField(std::string_view field) const;
};

// A field name reserved for the record's tombstone: "1" deleted, "0" restored.
inline constexpr std::string_view kDeletedField = "_deleted";

class Schema {
 public:
  // The one registry of this build.
  static const Schema& Get();

  const std::vector<TypeSpec>& types() const { return types_; }
  const TypeSpec* FindType(std::string_view type) const;

  // Version of the registry: bump kSchemaVersion when types or fields change
  // so that nodes regenerate their SQL views (and peers are told, in hello).
  // 1: the first registry. 2: minute.follows_up and decision.follows_up (the
  // action item reviewed), the progress_assessment type. 3: signature.digest
  // and signature.covers (what a signature froze, core/signed_content.h).
  // 4: the attachment and case_attachment types (docs/attachments.md).
  static constexpr int kSchemaVersion = 4;
  int version() const { return version_; }

  // Checks `value` against the field's kind (not references: the store checks those).
  // Errors name the type, field and value.
  static Status ValidateValue(const TypeSpec& type, const FieldSpec& field, std::string_view value);

 private:
  Schema();
  std::vector<TypeSpec> types_;
  int version_;
};

bool IsValidDate(std::string_view text);

}  // namespace accord
