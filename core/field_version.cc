#include "core/field_version.h"

namespace accord {

bool WinsOver(const FieldVersion& a, const FieldVersion& b) {
  if (a.origin_time_ms != b.origin_time_ms) return a.origin_time_ms > b.origin_time_ms;
  if (a.origin != b.origin) return a.origin > b.origin;
  return a.version.ToText() > b.version.ToText();
}

}  // namespace accord
