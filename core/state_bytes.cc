#include "core/state_bytes.h"

namespace accord {

void FillFieldState(const FieldVersion& v, wire::FieldState* out) {
  out->set_record_id(v.record_id);
  out->set_record_type(v.record_type);
  out->set_field(v.field);
  out->set_has_value(v.value.has_value());
  if (v.value) out->set_value(*v.value);
  for (const auto& [node, counter] : v.version.entries()) {
    auto* entry = out->add_version();
    entry->set_node(node);
    entry->set_counter(counter);
  }
  out->set_origin(v.origin);
  out->set_origin_time_ms(v.origin_time_ms);
  if (!v.note.empty()) out->set_note(v.note);
  if (!v.author.empty()) out->set_author(v.author);
}

std::string SignedStateBytes(const FieldVersion& v) {
  wire::FieldState state;
  FillFieldState(v, &state);
  state.set_salt(v.salt);
  state.set_unit(v.unit);
  state.set_unit_position(v.unit_position);
  state.set_unit_counter(v.unit_counter);
  return state.SerializeAsString();
}

void RestoreSignedBytes(FieldVersion& v) {
  if (v.wire.empty() && !v.salt.empty()) v.wire = SignedStateBytes(v);
}

bool SignedBytesAreCanonical(const FieldVersion& v) {
  return !v.salt.empty() && v.wire == SignedStateBytes(v);
}

}  // namespace accord
