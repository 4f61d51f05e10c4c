// Checking a record write against the schema alone, with no database: what the
// command line can refuse while it parses arguments, before opening a store.
#pragma once

#include "core/status.h"
#include "core/store.h"

namespace accord {

// The type exists, the id (if given) is well formed, each field exists and is
// given once, each value follows the text rule (core/text_rule.h) and fits
// its field's kind, and no required field is cleared. Returns the write with
// its values normalised (NFC, line breaks), as it will be stored;
// kInvalidArgument naming the type and field otherwise. What needs the
// database (the record's existing type, references, the required fields of a
// new record) is the store's to check. The store runs this on every local
// write; the command line runs it while parsing arguments.
Result<RecordWrite> CheckRecordWrite(RecordWrite write);

}  // namespace accord
