// What a person calls a record: the values of its type's label fields
// (TypeSpec::label_fields), e.g. "1.3" for an activity, "2023-01-18 Siem Reap"
// for a meeting. The one place a label is built: conflict review and
// `accord list` show the same words.
#pragma once

#include <string>

#include "core/store.h"

namespace accord {

// The label fields' values that are set, joined by spaces; "" when none is.
std::string RecordLabelValues(const RecordView& record);

// The type and the label, or the type and the id when no label field is set:
// "activity 1.3", "case KH-2023-014", "family_tracing 01HQ...".
std::string RecordLabel(const RecordView& record);

}  // namespace accord
