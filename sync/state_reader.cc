#include "sync/state_reader.h"

#include <climits>

namespace accord::sync {

namespace {

// Protobuf's default recursion limit: nested messages and groups.
constexpr int kMaxNesting = 100;

struct Cursor {
  const uint8_t* p;
  const uint8_t* end;
  size_t Left() const { return static_cast<size_t>(end - p); }
};

// A varint of at most `max_bytes` bytes; bits past 64 are dropped, as
// protobuf drops them.
bool ReadVarint(Cursor& c, uint64_t& out, int max_bytes) {
  uint64_t result = 0;
  for (int i = 0; i < max_bytes; ++i) {
    if (c.p == c.end) return false;
    const uint8_t byte = *c.p++;
    result |= uint64_t{byte & 0x7fu} << (7 * i);
    if (byte < 0x80) {
      out = result;
      return true;
    }
  }
  return false;
}

// A length: at most five bytes, below 2 GiB less protobuf's 16 slop bytes,
// and within what is left.
bool ReadLength(Cursor& c, std::string_view& out) {
  uint64_t size = 0;
  if (!ReadVarint(c, size, 5) || size > static_cast<uint64_t>(INT_MAX - 16) || size > c.Left()) {
    return false;
  }
  out = std::string_view(reinterpret_cast<const char*>(c.p), static_cast<size_t>(size));
  c.p += size;
  return true;
}

// Strict UTF-8, as protobuf checks proto3 strings: no overlong forms, no
// surrogates, nothing past U+10FFFF.
bool IsValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    const uint8_t lead = *p;
    if (lead < 0x80) {
      ++p;
      continue;
    }
    size_t more = 0;
    uint32_t code = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
      more = 1;
      code = lead & 0x1Fu;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      more = 2;
      code = lead & 0x0Fu;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      more = 3;
      code = lead & 0x07u;
    } else {
      return false;
    }
    if (static_cast<size_t>(end - p) <= more) return false;
    for (size_t i = 1; i <= more; ++i) {
      if ((p[i] & 0xC0u) != 0x80u) return false;
      code = code << 6 | (p[i] & 0x3Fu);
    }
    if (more == 2 && (code < 0x800 || (code >= 0xD800 && code <= 0xDFFF))) return false;
    if (more == 3 && (code < 0x10000 || code > 0x10FFFF)) return false;
    p += more + 1;
  }
  return true;
}

enum class Level { kState, kEntry, kGroup };

// Walks a FieldState's fields the way protobuf's generated parser does. With
// `counts` it checks and counts (scan); with `state` it keeps the values.
class Walker {
 public:
  Walker(ReadStateCounts* counts, ReadState* state, std::vector<ReadEntry>* version)
      : counts_(counts), state_(state), version_(version) {}

  // Fields until `c` ends (a state, an entry) or the tag `end_tag` (a group).
  bool Fields(Cursor& c, Level level, uint32_t end_tag) {
    while (c.p < c.end) {
      uint64_t raw = 0;
      if (!ReadVarint(c, raw, 5)) return false;
      const auto tag = static_cast<uint32_t>(raw);
      if (level == Level::kGroup && tag == end_tag) return true;
      // A zero tag or another end of group ends nothing here.
      if (tag == 0 || (tag & 7u) == 4u) return false;
      if (counts_) {
        ++counts_->fields;
        if (level == Level::kState && tag >> 3 == 6) ++counts_->version_entries;
      }
      if (!Field(c, level, tag)) return false;
    }
    return level != Level::kGroup;  // a group ends with its tag, not the bytes
  }

 private:
  bool String(Cursor& c, std::string_view& out, bool utf8) {
    std::string_view value;
    if (!ReadLength(c, value)) return false;
    if (counts_ && utf8 && !IsValidUtf8(value)) return false;
    out = value;
    return true;
  }

  bool Varint(Cursor& c, uint64_t& out) { return ReadVarint(c, out, 10); }

  // A varint field, cast as protobuf casts it (bool: not zero; uint32: the
  // low 32 bits).
  template <typename T>
  bool Scalar(Cursor& c, T& out) {
    uint64_t number = 0;
    if (!Varint(c, number)) return false;
    out = static_cast<T>(number);
    return true;
  }

  bool Field(Cursor& c, Level level, uint32_t tag) {
    if (tag >> 3 == 0) return false;
    std::string_view ignored;
    uint64_t ignored_number = 0;
    // Only a known field with its own wire type is read; anything else is
    // an unknown field, skipped below.
    if (level == Level::kState) {
      ReadState& s = state_ ? *state_ : scratch_;
      switch (tag) {
        case 10:
          return String(c, s.record_id, true);
        case 18:
          return String(c, s.record_type, true);
        case 26:
          return String(c, s.field, true);
        case 32:
          return Scalar(c, s.has_value);
        case 42:
          return String(c, s.value, true);
        case 50:
          return Entry(c);
        case 58:
          return String(c, s.origin, true);
        case 64:
          return Scalar(c, s.origin_time_ms);
        case 74:
          return String(c, s.note, true);
        case 82:
          return String(c, s.salt, false);
        case 88:
          return Scalar(c, s.unit);
        case 96:
          return Scalar(c, s.unit_position);
        case 104:
          return Scalar(c, s.unit_counter);
        case 114:
          return String(c, s.author, true);
        default:
          break;
      }
    } else if (level == Level::kEntry) {
      switch (tag) {
        case 10:
          return String(c, entry_ ? entry_->node_id : ignored, true);
        case 16:
          return Scalar(c, entry_ ? entry_->count : ignored_number);
        default:
          break;
      }
    }
    return Skip(c, tag);
  }

  // One VersionEntry: a nested message of its own length.
  bool Entry(Cursor& c) {
    std::string_view bytes;
    if (!ReadLength(c, bytes)) return false;
    if (--nesting_left_ < 0) return false;
    if (version_) {
      version_->emplace_back();
      entry_ = &version_->back();
    }
    Cursor inner{reinterpret_cast<const uint8_t*>(bytes.data()),
                 reinterpret_cast<const uint8_t*>(bytes.data()) + bytes.size()};
    const bool ok = Fields(inner, Level::kEntry, 0);
    entry_ = nullptr;
    ++nesting_left_;
    return ok;
  }

  bool Skip(Cursor& c, uint32_t tag) {
    std::string_view ignored;
    uint64_t number = 0;
    switch (tag & 7u) {
      case 0:
        return Varint(c, number);
      case 1:
        if (c.Left() < 8) return false;
        c.p += 8;
        return true;
      case 2:
        return ReadLength(c, ignored);
      case 3: {
        if (--nesting_left_ < 0) return false;
        const bool ok = Fields(c, Level::kGroup, (tag & ~7u) | 4u);
        ++nesting_left_;
        return ok;
      }
      case 5:
        if (c.Left() < 4) return false;
        c.p += 4;
        return true;
      default:
        return false;  // 6 and 7 are no wire type
    }
  }

  ReadStateCounts* counts_;
  ReadState* state_;
  std::vector<ReadEntry>* version_;
  ReadEntry* entry_ = nullptr;
  ReadState scratch_;  // where a scan's values go, unkept
  int nesting_left_ = kMaxNesting;
};

Cursor CursorOver(std::string_view bytes) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  return {p, p + bytes.size()};
}

}  // namespace

bool ScanFieldState(std::string_view bytes, ReadStateCounts& counts) {
  if (bytes.size() > static_cast<size_t>(INT_MAX)) return false;
  counts = {};
  Cursor c = CursorOver(bytes);
  return Walker(&counts, nullptr, nullptr).Fields(c, Level::kState, 0);
}

bool ReadFieldState(std::string_view bytes, ReadState& state, std::vector<ReadEntry>& version) {
  state = {};
  version.clear();
  Cursor c = CursorOver(bytes);
  return Walker(nullptr, &state, &version).Fields(c, Level::kState, 0);
}

}  // namespace accord::sync
