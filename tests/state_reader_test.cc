// ParseState reads a state's bytes without protobuf's parser. It must
// accept exactly what protobuf accepts and read the same values: a state one
// node takes and another refuses would split the offices. Each case here is
// read both ways (ParseStateByProtobuf is the old path, kept as reference).
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "accord_sync.pb.h"
#include "sync/signed_changes.h"
#include "tests/tamper.h"

namespace accord {
namespace {

// Varint bytes of `value`, padded to `min_bytes` with continuation bytes.
std::string Varint(uint64_t value, size_t min_bytes = 1) {
  std::string out;
  do {
    uint8_t byte = value & 0x7f;
    value >>= 7;
    if (value || out.size() + 1 < min_bytes) byte |= 0x80;
    out += static_cast<char>(byte);
  } while (value || out.size() < min_bytes);
  return out;
}

std::string Tag(uint32_t number, uint32_t wire_type, size_t min_bytes = 1) {
  return Varint(uint64_t{number} << 3 | wire_type, min_bytes);
}

std::string Delimited(uint32_t number, const std::string& payload) {
  return Tag(number, 2) + Varint(payload.size()) + payload;
}

// Reads `bytes` both ways and expects the same answer.
void ExpectSameReading(const std::string& bytes, const std::string& what) {
  auto mine = sync::ParseState(bytes);
  auto theirs = sync::ParseStateByProtobuf(bytes);
  ASSERT_EQ(mine.ok(), theirs.ok())
      << what << ": ParseState says " << (mine.ok() ? std::string("ok") : mine.status().ToString())
      << ", protobuf says " << (theirs.ok() ? std::string("ok") : theirs.status().ToString());
  if (!mine.ok()) return;
  const FieldVersion& a = *mine;
  const FieldVersion& b = *theirs;
  EXPECT_EQ(a.record_id, b.record_id) << what;
  EXPECT_EQ(a.record_type, b.record_type) << what;
  EXPECT_EQ(a.field, b.field) << what;
  EXPECT_EQ(a.value, b.value) << what;
  EXPECT_EQ(a.version.ToText(), b.version.ToText()) << what;
  EXPECT_EQ(a.origin, b.origin) << what;
  EXPECT_EQ(a.origin_time_ms, b.origin_time_ms) << what;
  EXPECT_EQ(a.note, b.note) << what;
  EXPECT_EQ(a.author, b.author) << what;
  EXPECT_EQ(a.salt, b.salt) << what;
  EXPECT_EQ(a.unit, b.unit) << what;
  EXPECT_EQ(a.unit_position, b.unit_position) << what;
  EXPECT_EQ(a.unit_counter, b.unit_counter) << what;
  EXPECT_EQ(a.wire, b.wire) << what;
}

const std::vector<std::string>& Texts() {
  static const std::vector<std::string> texts = {
      "",
      "case-KH-2026-014",
      "ការតាមដានគ្រួសារ",                // Khmer: family tracing
      "การส่งกลับผู้เสียหาย",               // Thai: repatriation of the victim
      "Xác minh quốc tịch",            // Vietnamese: nationality confirmation
      "遣返与重新融入社会",            // Chinese: repatriation and reintegration
      "Vie\xcc\xa3\xcc\x82t Nam",      // NFD
      std::string(300, 'x'),           // a two-byte length
      std::string("nul\0inside", 10),  // NUL is valid UTF-8
      "\xc0\x80",                      // overlong NUL
      "\xed\xa0\x80",                  // a surrogate
      "\xf4\x90\x80\x80",              // past U+10FFFF
      "\xe0\xa4",                      // cut short
      "\xff",                          // never UTF-8
      "\xf0\x9f\x98\x80",              // U+1F600
      "\xef\xbf\xbf",                  // U+FFFF
      "\xc2\x80",                      // U+0080
  };
  return texts;
}

class StateMaker {
 public:
  explicit StateMaker(uint32_t seed) : rng_(seed) {}

  std::string Text() { return Texts()[rng_() % Texts().size()]; }
  uint64_t Number() {
    switch (rng_() % 6) {
      case 0:
        return 0;
      case 1:
        return rng_() % 100 + 1;
      case 2:
        return rng_();
      case 3:
        return uint64_t{rng_()} << 32 | rng_();
      case 4:
        return ~uint64_t{0};
      default:
        return uint64_t{1} << (rng_() % 64);
    }
  }

  // A state as an honest node writes it, sometimes with values a peer
  // should not send (counter 0, unsorted nodes, a short salt).
  std::string Valid() {
    wire::FieldState s;
    s.set_record_id(rng_() % 8 ? "case-KH-2026-" + std::to_string(rng_() % 1000) : Text());
    s.set_record_type(rng_() % 8 ? "case" : Text());
    s.set_field(rng_() % 8 ? "notes" : Text());
    s.set_has_value(rng_() % 4 != 0);
    if (s.has_value() || rng_() % 4 == 0) s.set_value(Text());
    static const char* const kNodes[] = {"KH-NCCT", "KH-POIPET", "TH-MSDHS", "VN-MOLISA",
                                         "",        "bad node",  "TH-MSDHS"};
    size_t entries = rng_() % 4 + (rng_() % 16 == 0 ? 1100 : 0);
    for (size_t i = 0; i < entries; ++i) {
      auto* e = s.add_version();
      e->set_node(rng_() % 10 ? kNodes[i % 4] : kNodes[rng_() % 7]);
      e->set_counter(rng_() % 10 ? rng_() % 1000 + 1 : Number());
    }
    s.set_origin(rng_() % 8 ? "KH-NCCT" : Text());
    s.set_origin_time_ms(static_cast<int64_t>(Number()));
    if (rng_() % 4 == 0) s.set_note(Text());
    s.set_salt(std::string(rng_() % 8 ? 16 : rng_() % 20, static_cast<char>(rng_())));
    s.set_unit(static_cast<uint32_t>(rng_() % 4 ? rng_() % 8 : Number()));
    s.set_unit_position(static_cast<uint32_t>(rng_() % 4 ? rng_() % 64 : Number()));
    s.set_unit_counter(rng_() % 2 ? 0 : Number());
    if (rng_() % 4 == 0) s.set_author(rng_() % 2 ? "sokha.chan" : Text());
    std::string bytes = s.SerializeAsString();
    // What a newer node, or a hostile one, may add after.
    for (int extra = rng_() % 3; extra > 0; --extra) bytes += Extra();
    return bytes;
  }

  // A field protobuf must skip or take: unknown numbers of every wire type,
  // groups, known numbers with another wire type, a known field again.
  std::string Extra(int depth = 0) {
    uint32_t number = rng_() % 3 ? 15 + rng_() % 40 : 1 + rng_() % 14;
    switch (rng_() % 8) {
      case 0:
        return Tag(number, 0) + Varint(Number(), 1 + rng_() % 10);
      case 1:
        return Tag(number, 1) + std::string(8, 'f');
      case 2:
        return Tag(number, 5) + std::string(4, 'g');
      case 3:
        return Delimited(number, Text());
      case 4: {
        if (depth > 3) return "";
        std::string inner;
        for (int i = rng_() % 3; i > 0; --i) inner += Extra(depth + 1);
        return Tag(number, 3) + inner + Tag(number, 4);
      }
      case 5: {
        // A version entry with unknown fields of its own.
        std::string entry = Delimited(1, rng_() % 2 ? "KH-NCCT" : Text()) + Tag(2, 0) +
                            Varint(rng_() % 5, 1 + rng_() % 10);
        if (rng_() % 2) entry += Tag(3 + rng_() % 5, 0) + Varint(Number());
        return Delimited(6, entry);
      }
      case 6:
        return Tag(number, 0, 1 + rng_() % 5) + Varint(Number());  // a padded tag
      default:
        return Tag(number, 2) + Varint(rng_() % 4, 1 + rng_() % 5) + "abc";
    }
  }

  // Damage of the kinds a link or an attacker makes.
  std::string Mutated(std::string bytes) {
    if (bytes.empty()) return bytes;
    switch (rng_() % 6) {
      case 0:
        bytes[rng_() % bytes.size()] = static_cast<char>(rng_());
        break;
      case 1:
        bytes[rng_() % bytes.size()] ^= static_cast<char>(1 << (rng_() % 8));
        break;
      case 2:
        bytes.resize(rng_() % bytes.size());
        break;
      case 3:
        bytes.insert(bytes.begin() + rng_() % bytes.size(), static_cast<char>(rng_()));
        break;
      case 4:
        bytes.erase(bytes.begin() + rng_() % bytes.size());
        break;
      default: {
        size_t at = rng_() % bytes.size();
        bytes.insert(at, Extra());
      }
    }
    return bytes;
  }

 private:
  std::mt19937 rng_;
};

TEST(StateReaderTest, ReadsRandomStatesExactlyAsProtobufDoes) {
  StateMaker make(20261126);
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string bytes = make.Valid();
    ExpectSameReading(bytes, "state " + std::to_string(i));
    if (sync::ParseState(bytes).ok()) ++accepted;
    if (HasFatalFailure()) return;
  }
  // A fifth are states an honest node would take; the rest test refusals.
  EXPECT_GT(accepted, 3000);
  std::printf("%d of 20000 random states taken, the same way both ways\n", accepted);
}

TEST(StateReaderTest, RefusesDamagedStatesExactlyAsProtobufDoes) {
  StateMaker make(7);
  for (int i = 0; i < 20000; ++i) {
    std::string bytes = make.Valid();
    for (int m = 1 + i % 3; m > 0; --m) bytes = make.Mutated(bytes);
    ExpectSameReading(bytes, "damaged state " + std::to_string(i));
    if (HasFatalFailure()) return;
  }
}

TEST(StateReaderTest, EdgesOfTheWireFormat) {
  wire::FieldState base;
  base.set_record_id("case-TH-2026-003");
  base.set_record_type("case");
  base.set_field("consent");
  base.set_has_value(true);
  base.set_value("ให้ความยินยอม");
  auto* e = base.add_version();
  e->set_node("TH-MSDHS");
  e->set_counter(7);
  base.set_origin("TH-MSDHS");
  base.set_origin_time_ms(1764000000000);
  base.set_salt(std::string(16, 's'));
  const std::string good = base.SerializeAsString();
  ASSERT_TRUE(sync::ParseState(good).ok());

  std::string nested_100, nested_101;
  for (int i = 0; i < 100; ++i) nested_100 = Tag(20, 3) + nested_100 + Tag(20, 4);
  nested_101 = Tag(20, 3) + nested_100 + Tag(20, 4);
  std::string entry_in_groups = Delimited(6, Delimited(1, "TH-MSDHS") + Tag(2, 0) + Varint(7));
  for (int i = 0; i < 99; ++i) entry_in_groups = Tag(21, 3) + entry_in_groups + Tag(21, 4);

  const std::vector<std::pair<std::string, std::string>> cases = {
      {"empty", ""},
      {"a zero tag", good + std::string(1, '\0')},
      {"field number 0", good + Tag(0, 0) + Varint(1)},
      {"an end of group at the top", good + Tag(20, 4)},
      {"a group never closed", good + Tag(20, 3) + Tag(21, 0) + Varint(1)},
      {"a group closed by another number", good + Tag(20, 3) + Tag(21, 4)},
      {"wire type 6", good + Tag(20, 6)},
      {"wire type 7", good + Tag(20, 7)},
      {"groups 100 deep", good + nested_100},
      {"groups 101 deep", good + nested_101},
      {"an entry inside 99 unknown groups", good + entry_in_groups},
      {"a 10-byte varint for a uint32", good + Tag(11, 0) + Varint(5, 10)},
      {"an 11-byte varint", good + Tag(11, 0) + Varint(5, 11)},
      {"a varint past 64 bits", good + Tag(13, 0) + std::string(9, '\xff') + "\x7f"},
      {"a 5-byte tag", good + Tag(11, 0, 5) + Varint(3)},
      {"a 6-byte tag", good + Tag(11, 0, 6) + Varint(3)},
      {"a tag past 32 bits", good + "\xd8\x80\x80\x80\x70" + Varint(3)},
      {"a 5-byte length", good + Tag(9, 2) + Varint(3, 5) + "abc"},
      {"a 6-byte length", good + Tag(9, 2) + Varint(3, 6) + "abc"},
      {"a length past the end", good + Tag(9, 2) + Varint(100) + "abc"},
      {"a length of 2 GiB", good + Tag(9, 2) + Varint(uint64_t{1} << 31)},
      {"fixed64 cut short", good + Tag(20, 1) + "1234567"},
      {"fixed32 cut short", good + Tag(20, 5) + "123"},
      {"the value as a varint", good + Tag(5, 0) + Varint(9)},
      {"the salt twice (the last wins)", good + Delimited(10, std::string(16, 't'))},
      {"has_value as a 64-bit varint", good + Tag(4, 0) + Varint(uint64_t{1} << 40)},
      {"has_value cleared after", good + Tag(4, 0) + Varint(0)},
      {"an entry as fixed64", good + Tag(6, 1) + std::string(8, 'e')},
      {"an entry that is cut", good + Tag(6, 2) + Varint(4) + Delimited(1, "KH-NCCT")},
      {"an entry with a zero tag", good + Delimited(6, std::string(1, '\0'))},
      {"an entry with an end of group", good + Delimited(6, Tag(3, 4))},
      {"an entry's string crossing its end",
       good + Tag(6, 2) + Varint(3) + Tag(1, 2) + Varint(5) + "a" + "bcdef"},
      {"an entry out of order", good + Delimited(6, Delimited(1, "AA") + Tag(2, 0) + Varint(1))},
      {"an invalid UTF-8 value", good + Delimited(5, "\xed\xa0\x80")},
      {"an invalid UTF-8 node",
       good + Delimited(6, Delimited(1, "\xc0\x80") + Tag(2, 0) + Varint(1))},
      {"invalid UTF-8 in a salt",
       good + Delimited(10, std::string("\xff\xfe", 2) + std::string(14, 's'))},
      {"invalid UTF-8 in an unknown field", good + Delimited(30, "\xff")},
  };
  int taken = 0;
  for (const auto& [what, bytes] : cases) {
    ExpectSameReading(bytes, what);
    if (HasFatalFailure()) return;
    bool ok = sync::ParseState(bytes).ok();
    taken += ok;
    std::printf("%-40s %s\n", what.c_str(), ok ? "taken" : "refused");
  }
  // Both outcomes occur: the edges are not all refused for one reason.
  EXPECT_GT(taken, 5);
  EXPECT_LT(taken, static_cast<int>(cases.size()) - 5);
}

}  // namespace
}  // namespace accord
