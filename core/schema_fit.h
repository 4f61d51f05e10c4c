// What of a record this node's schema does not know. A newer node may add
// fields, enum values and record types; an older one keeps them, passes them
// on and shows them as unknown, never validating them against its schema.
#pragma once

#include <string>
#include <vector>

#include "core/store.h"

namespace accord {

struct SchemaFit {
  bool known_type = true;
  std::vector<std::string> unknown_fields;  // fields the type does not declare
  std::vector<std::string> unknown_values;  // declared fields whose value does not fit the kind
};

SchemaFit FitToSchema(const RecordView& record);

}  // namespace accord
