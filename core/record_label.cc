#include "core/record_label.h"

namespace accord {

std::string RecordLabelValues(const RecordView& record) {
  const TypeSpec* type = Schema::Get().FindType(record.type);
  if (!type) return "";
  std::string label;
  for (const auto& name : type->label_fields) {
    const auto* value = record.Value(name);
    if (value && *value) label += (label.empty() ? "" : " ") + **value;
  }
  return label;
}

std::string RecordLabel(const RecordView& record) {
  std::string values = RecordLabelValues(record);
  return record.type + " " + (values.empty() ? record.id : values);
}

}  // namespace accord
