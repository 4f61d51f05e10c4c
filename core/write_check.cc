#include "core/write_check.h"

#include <set>

#include "core/record_id.h"
#include "core/schema.h"
#include "core/text_rule.h"

namespace accord {

Result<RecordWrite> CheckRecordWrite(RecordWrite write) {
  const TypeSpec* type = Schema::Get().FindType(write.type);
  if (!type)
    return InvalidArgument("unknown record type '" + write.type + "' (see `accord schema`)");
  if (write.id && !IsValidRecordId(*write.id)) {
    return InvalidArgument("'" + *write.id +
                           "' is not a valid record id: letters, digits, '.', '_' and '-', "
                           "starting with a letter or digit, at most 64 characters");
  }
  std::set<std::string> seen;
  for (FieldWrite& fw : write.writes) {
    const FieldSpec* field = type->FindField(fw.field);
    if (!field) {
      return InvalidArgument("type " + type->name + " has no field '" + fw.field +
                             "' (see `accord schema`)");
    }
    if (!seen.insert(fw.field).second) {
      return InvalidArgument("field " + type->name + "." + fw.field + " is given twice");
    }
    if (fw.value) {
      auto normalized = NormalizeText(*fw.value, field->kind == FieldKind::kLongText);
      if (!normalized.ok()) {
        return InvalidArgument(type->name + "." + field->name + ": the value " +
                               normalized.status().message());
      }
      fw.value = std::move(normalized).value();
      RETURN_IF_ERROR(Schema::ValidateValue(*type, *field, *fw.value));
    } else if (field->required) {
      return InvalidArgument(type->name + "." + field->name + " is required and cannot be cleared");
    }
  }
  return write;
}

}  // namespace accord
