#include "core/state_bytes.h"

#include <string_view>

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

namespace {

// Protocol buffers' encoding, written directly: a state is serialised for
// every sealing, every state sent (RestoreSignedBytes) and every state taken
// (SignedBytesAreCanonical), and building a wire::FieldState for it costs
// more than the bytes.
void PutVarint(std::string& out, uint64_t n) {
  while (n >= 0x80) {
    out.push_back(static_cast<char>((n & 0x7f) | 0x80));
    n >>= 7;
  }
  out.push_back(static_cast<char>(n));
}

size_t VarintSize(uint64_t n) {
  size_t size = 1;
  while (n >= 0x80) {
    n >>= 7;
    ++size;
  }
  return size;
}

// Field numbers here are below 16: a tag is one byte.
void PutTag(std::string& out, uint32_t field, uint32_t wire_type) {
  out.push_back(static_cast<char>((field << 3) | wire_type));
}

// proto3 leaves a field at its default (empty, zero, false) out.
void PutBytes(std::string& out, uint32_t field, std::string_view bytes) {
  if (bytes.empty()) return;
  PutTag(out, field, 2);
  PutVarint(out, bytes.size());
  out.append(bytes);
}

void PutNumber(std::string& out, uint32_t field, uint64_t n) {
  if (n == 0) return;
  PutTag(out, field, 0);
  PutVarint(out, n);
}

size_t BytesFieldSize(std::string_view bytes) {
  return bytes.empty() ? 0 : 1 + VarintSize(bytes.size()) + bytes.size();
}

}  // namespace

std::string SignedStateBytes(const FieldVersion& v) {
  // Byte for byte what wire::FieldState::SerializeAsString writes for the
  // same state (fields in number order, defaults left out): the origin signs
  // these bytes and a relay must rebuild them exactly. A test compares the
  // two over many states (StateBytesTest).
  std::string out;
  out.reserve(64 + v.record_id.size() + v.field.size() + (v.value ? v.value->size() : 0) +
              v.note.size() + v.salt.size() + 24 * v.version.entries().size());
  PutBytes(out, 1, v.record_id);
  PutBytes(out, 2, v.record_type);
  PutBytes(out, 3, v.field);
  if (v.value) {
    PutNumber(out, 4, 1);  // has_value
    PutBytes(out, 5, *v.value);
  }
  for (const auto& [node, counter] : v.version.entries()) {
    PutTag(out, 6, 2);
    PutVarint(out, BytesFieldSize(node) + (counter == 0 ? 0 : 1 + VarintSize(counter)));
    PutBytes(out, 1, node);
    PutNumber(out, 2, counter);
  }
  PutBytes(out, 7, v.origin);
  PutNumber(out, 8, static_cast<uint64_t>(v.origin_time_ms));
  PutBytes(out, 9, v.note);
  PutBytes(out, 10, v.salt);
  PutNumber(out, 11, v.unit);
  PutNumber(out, 12, v.unit_position);
  PutNumber(out, 13, v.unit_counter);
  PutBytes(out, 14, v.author);
  return out;
}

void RestoreSignedBytes(FieldVersion& v) {
  if (v.wire.empty() && !v.salt.empty()) v.wire = SignedStateBytes(v);
}

bool SignedBytesAreCanonical(const FieldVersion& v) {
  return !v.salt.empty() && v.wire == SignedStateBytes(v);
}

}  // namespace accord
