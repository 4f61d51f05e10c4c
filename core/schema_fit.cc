#include "core/schema_fit.h"

namespace accord {

SchemaFit FitToSchema(const RecordView& record) {
  SchemaFit fit;
  const TypeSpec* type = Schema::Get().FindType(record.type);
  fit.known_type = type != nullptr;
  for (const auto& [name, version] : record.fields) {
    const FieldSpec* field = type ? type->FindField(name) : nullptr;
    if (!field) {
      fit.unknown_fields.push_back(name);
    } else if (version.value && !Schema::ValidateValue(*type, *field, *version.value).ok()) {
      fit.unknown_values.push_back(name);
    }
  }
  return fit;
}

}  // namespace accord
