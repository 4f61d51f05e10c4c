// The signed bytes of a state are written by hand (core/state_bytes.cc) and
// must be exactly what protocol buffers write for the same FieldState: an
// origin signs them, older builds rebuild them with protobuf, and a relay
// that rebuilt one byte differently would have every hop refuse the state.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "accord_sync.pb.h"
#include "core/state_bytes.h"
#include "tests/office_phrases.h"

namespace accord {
namespace {

std::string ProtobufBytes(const FieldVersion& v) {
  wire::FieldState state;
  FillFieldState(v, &state);
  state.set_salt(v.salt);
  state.set_unit(v.unit);
  state.set_unit_position(v.unit_position);
  state.set_unit_counter(v.unit_counter);
  return state.SerializeAsString();
}

class RandomStates {
 public:
  explicit RandomStates(uint32_t seed) : rng_(seed) {}

  FieldVersion Next() {
    FieldVersion v;
    v.record_id = Pick({"", "case-7", "mtg-2023-02-10-poipet", Text(40)});
    v.record_type = Pick({"", "case", "meeting", "action_item"});
    v.field = Pick({"", "notes", "consent", "description"});
    switch (Below(4)) {
      case 0:
        break;  // cleared
      case 1:
        v.value = "";
        break;
      case 2:
        v.value = Text(Below(200));
        break;
      default:
        v.value = Text(200 + Below(40000));
        break;  // two- and three-byte lengths
    }
    const size_t entries = Below(6);
    for (size_t i = 0; i < entries; ++i) {
      v.version.Set(Pick({"KH-NCCT", "TH-MSDHS", "KH-POIPET", "VN-MOPS", "CN-MPS"}), Counter());
    }
    v.origin = Pick({"", "KH-POIPET", "TH-MSDHS"});
    v.origin_time_ms = static_cast<int64_t>(Below(3) == 0 ? -static_cast<int64_t>(Counter() >> 1)
                                                          : static_cast<int64_t>(Counter() >> 1));
    v.note = Below(2) ? "" : Text(Below(300));
    if (Below(4)) {
      for (int i = 0; i < 16; ++i) v.salt.push_back(static_cast<char>(Below(256)));
    }
    v.unit = static_cast<uint32_t>(Below(2) ? 0 : Counter());
    v.unit_position = static_cast<uint32_t>(Below(64));
    v.unit_counter = Below(2) ? 0 : Counter();
    v.author = Pick({"", "sokha.kh", "somchai.th", Text(30)});
    return v;
  }

 private:
  size_t Below(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  // Counters of every varint length, 2^64 - 1 included.
  uint64_t Counter() {
    const int bits = static_cast<int>(Below(64)) + 1;
    const uint64_t top = bits == 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
    return std::uniform_int_distribution<uint64_t>(1, top)(rng_);
  }
  std::string Pick(std::initializer_list<std::string> choices) {
    return *(choices.begin() + Below(choices.size()));
  }
  // Officers' text in the four languages, cut at any byte count.
  std::string Text(size_t bytes) {
    static const std::vector<std::string> phrases = [] {
      std::vector<std::string> all;
      for (const auto* p :
           {&testing::KhmerPhrases(), &testing::ThaiPhrases(), &testing::VietnamesePhrases()}) {
        all.insert(all.end(), p->case_notes.begin(), p->case_notes.end());
        all.insert(all.end(), p->minutes.begin(), p->minutes.end());
      }
      all.push_back("中柬打击拐卖人口联合行动计划");
      return all;
    }();
    std::string out;
    while (out.size() < bytes) out += phrases[Below(phrases.size())];
    out.resize(bytes);
    return out;
  }
  std::mt19937_64 rng_;
};

TEST(StateBytesTest, HandWrittenBytesAreProtobufsForEveryKindOfState) {
  RandomStates states(20261126);
  for (int i = 0; i < 20000; ++i) {
    FieldVersion v = states.Next();
    ASSERT_EQ(SignedStateBytes(v), ProtobufBytes(v)) << "state #" << i;
  }
}

TEST(StateBytesTest, CanonicalOnlyWhenTheColumnsSayTheBytesExactly) {
  RandomStates states(7);
  FieldVersion v = states.Next();
  v.salt = std::string(16, '\x80');
  v.wire = ProtobufBytes(v);
  EXPECT_TRUE(SignedBytesAreCanonical(v));
  // A field this build does not know (number 15), appended by a newer origin.
  FieldVersion newer = v;
  newer.wire += std::string("\x78\x01", 2);
  EXPECT_FALSE(SignedBytesAreCanonical(newer));
  FieldVersion unsealed = v;
  unsealed.salt.clear();
  EXPECT_FALSE(SignedBytesAreCanonical(unsealed));
}

}  // namespace
}  // namespace accord
