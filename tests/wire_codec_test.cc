// The wire codec on its own: every message shape round-trips, and every
// malformed shape is refused with a message that says what is wrong.
#include "sync/wire_codec.h"

#include <gtest/gtest.h>

#include <zstd.h>

#include <memory>

#include "sync/error_codes.h"
#include "sync/wire_scan.h"

namespace accord::sync {
namespace {

FieldVersion Sample() {
  FieldVersion v;
  v.record_id = "act-khth-2023-1.3";
  v.record_type = "activity";
  v.field = "timeframe";
  v.value = "2024-2025 (ឆ្នាំ ២០២៤–២០២៥)";
  v.version.Set("KH-NCCT", 7);
  v.version.Set("TH-MSDHS", 3);
  v.origin = "KH-NCCT";
  v.origin_time_ms = 1700000000123;
  v.note = "resolved conflict 1a2b by a reviewer";
  return v;
}

TEST(WireCodecTest, FieldStateRoundTripsEveryPart) {
  FieldVersion v = Sample();
  wire::FieldState state;
  ToWire(v, &state);
  auto back = FromWire(state);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->record_id, v.record_id);
  EXPECT_EQ(back->record_type, v.record_type);
  EXPECT_EQ(back->field, v.field);
  EXPECT_EQ(back->value, v.value);
  EXPECT_EQ(back->version, v.version);
  EXPECT_EQ(back->origin, v.origin);
  EXPECT_EQ(back->origin_time_ms, v.origin_time_ms);
  EXPECT_EQ(back->note, v.note);
}

TEST(WireCodecTest, ClearedFieldStaysClearedNotEmpty) {
  FieldVersion v = Sample();
  v.value.reset();
  wire::FieldState state;
  ToWire(v, &state);
  auto back = FromWire(state);
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(back->value.has_value());
  v.value = "";
  state.Clear();
  ToWire(v, &state);
  back = FromWire(state);
  ASSERT_TRUE(back.ok());
  ASSERT_TRUE(back->value.has_value());
  EXPECT_EQ(*back->value, "");
}

TEST(WireCodecTest, MalformedVectorsAreRefused) {
  wire::FieldState state;
  ToWire(Sample(), &state);
  wire::FieldState zero = state;
  zero.mutable_version(0)->set_counter(0);
  EXPECT_NE(FromWire(zero).status().message().find("counter 0"), std::string::npos);
  wire::FieldState unsorted = state;
  std::swap(*unsorted.mutable_version(0), *unsorted.mutable_version(1));
  EXPECT_NE(FromWire(unsorted).status().message().find("not sorted"), std::string::npos);
  wire::FieldState repeated = state;
  *repeated.add_version() = state.version(1);
  EXPECT_EQ(FromWire(repeated).status().code(), Code::kCorruption);
  wire::FieldState bad_node = state;
  bad_node.mutable_version(0)->set_node("KH NCCT");
  EXPECT_FALSE(FromWire(bad_node).ok());
  // Each node id is checked where it is read: what would split or pass as
  // text (":", ","), an empty id, a 33-character one, Khmer script.
  for (const std::string& node :
       std::vector<std::string>{"", "KH:NCCT", "KH,NCCT", std::string(33, 'K'), "ខ្មែរ"}) {
    wire::FieldState s = state;
    s.mutable_version(0)->set_node(node);
    auto read = FromWire(s);
    ASSERT_FALSE(read.ok()) << node;
    EXPECT_EQ(read.status().code(), Code::kCorruption) << node;
  }
}

TEST(WireCodecTest, KnowledgeRoundTrips) {
  VersionVector k = Sample().version;
  wire::Knowledge wire_k;
  ToWire(k, &wire_k);
  auto back = FromWire(wire_k);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, k);
  EXPECT_TRUE(FromWire(wire::Knowledge()).ok());
}

TEST(WireCodecTest, FrameRoundTripsWithSenderAndVersion) {
  wire::Envelope envelope;
  auto* pull = envelope.mutable_pull_request();
  pull->set_cursor(42);
  pull->set_page_size(500);
  ToWire(Sample().version, pull->mutable_knowledge());
  auto frame = EncodeFrame(envelope, "KH-POIPET");
  ASSERT_TRUE(frame.ok());
  auto decoded = DecodeFrame(*frame);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->node_id(), "KH-POIPET");
  EXPECT_EQ(decoded->protocol_version(), kProtocolVersion);
  ASSERT_TRUE(decoded->has_pull_request());
  EXPECT_EQ(decoded->pull_request().cursor(), 42u);
  EXPECT_EQ(decoded->pull_request().page_size(), 500u);
}

TEST(WireCodecTest, EveryMalformedFrameIsRefusedWithItsReason) {
  wire::Envelope envelope;
  envelope.mutable_hello_request();
  std::string good = EncodeFrame(envelope, "KH-POIPET").value();

  EXPECT_NE(DecodeFrame("").status().message().find("empty"), std::string::npos);
  EXPECT_NE(DecodeFrame("not zstd at all").status().message().find("damaged"), std::string::npos);
  EXPECT_NE(DecodeFrame(good.substr(0, good.size() - 2)).status().message().find("truncated"),
            std::string::npos);
  EXPECT_NE(DecodeFrame(good + "xx").status().message().find("trailing"), std::string::npos);
  EXPECT_NE(DecodeFrame(Compress("\xff\xff\xff").value()).status().message().find("not a valid"),
            std::string::npos);

  wire::Envelope unversioned;
  unversioned.mutable_hello_request();
  EXPECT_NE(DecodeFrame(Compress(unversioned.SerializeAsString()).value())
                .status()
                .message()
                .find("no protocol version"),
            std::string::npos);

  wire::Envelope no_body;
  no_body.set_protocol_version(kProtocolVersion);
  EXPECT_NE(
      DecodeFrame(Compress(no_body.SerializeAsString()).value()).status().message().find("no body"),
      std::string::npos);

  wire::Envelope future;
  future.mutable_hello_request();
  future.set_protocol_version(kProtocolVersion + 1);
  auto refused = DecodeFrame(Compress(future.SerializeAsString()).value());
  EXPECT_EQ(refused.status().code(), Code::kIncompatibleVersion);
  EXPECT_NE(refused.status().message().find("upgrade this node"), std::string::npos);
}

// A node one protocol behind sends states no origin signed: refused, naming
// both versions and the side that must upgrade.
TEST(WireCodecTest, AFrameOfAnOlderProtocolIsRefusedNamingWhoMustUpgrade) {
  wire::Envelope old;
  old.mutable_hello_request();
  old.set_protocol_version(1);
  old.set_node_id("KH-POIPET");
  auto refused = DecodeFrame(Compress(old.SerializeAsString()).value());
  EXPECT_EQ(refused.status().code(), Code::kIncompatibleVersion);
  EXPECT_NE(refused.status().message().find("peer speaks protocol version 1"), std::string::npos);
  EXPECT_NE(refused.status().message().find("upgrade the peer"), std::string::npos);
}

TEST(WireCodecTest, DecompressionStopsAtTheLimit) {
  std::string big(1 << 20, 'a');  // compresses to a few hundred bytes
  std::string bomb = Compress(big).value();
  EXPECT_LT(bomb.size(), 1024u);
  // A frame that declares its size is refused before anything is allocated...
  auto refused = Decompress(bomb, 64 << 10);
  EXPECT_EQ(refused.status().code(), Code::kCorruption);
  EXPECT_NE(refused.status().message().find("declares 1048576 bytes"), std::string::npos)
      << refused.status().message();
  auto fits = Decompress(bomb, 1 << 20);
  ASSERT_TRUE(fits.ok());
  EXPECT_EQ(*fits, big);
  // ...and one that hides its size is stopped as soon as it outgrows the limit.
  std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> cctx(ZSTD_createCCtx(), ZSTD_freeCCtx);
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_contentSizeFlag, 0);
  std::string hidden(ZSTD_compressBound(big.size()), '\0');
  ZSTD_inBuffer in{big.data(), big.size(), 0};
  ZSTD_outBuffer out{hidden.data(), hidden.size(), 0};
  ASSERT_EQ(ZSTD_compressStream2(cctx.get(), &out, &in, ZSTD_e_end), 0u);
  hidden.resize(out.pos);
  ASSERT_EQ(ZSTD_getFrameContentSize(hidden.data(), hidden.size()), ZSTD_CONTENTSIZE_UNKNOWN);
  refused = Decompress(hidden, 64 << 10);
  EXPECT_NE(refused.status().message().find("exceeds the limit"), std::string::npos)
      << refused.status().message();
}

// A frame's declared size is what it is decompressed into: content that is
// longer or shorter than declared, cut short, or followed by other bytes is
// refused, never half-read.
TEST(WireCodecTest, AFrameWhoseContentIsNotTheSizeItDeclaresIsRefused) {
  const std::string text = "ប្រជុំទ្វេភាគី การประชุมทวิภาคี Cuộc họp song phương 双边会议";
  std::string frame = Compress(text).value();
  ASSERT_EQ(Decompress(frame, 1 << 20).value(), text);
  // A short frame's header: magic (4 bytes), descriptor 0x20 (one segment,
  // no checksum, no dictionary), then its content size in one byte.
  ASSERT_LT(text.size(), 256u);
  ASSERT_EQ(static_cast<unsigned char>(frame[4]), 0x20);
  ASSERT_EQ(static_cast<unsigned char>(frame[5]), text.size());
  const size_t field = 5;
  for (int delta : {-1, +1}) {
    std::string lying = frame;
    lying[field] = static_cast<char>(text.size() + delta);
    auto refused = Decompress(lying, 1 << 20);
    EXPECT_EQ(refused.status().code(), Code::kCorruption) << delta;
  }
  auto cut = Decompress(frame.substr(0, frame.size() - 3), 1 << 20);
  EXPECT_EQ(cut.status().code(), Code::kCorruption);
  auto trailing = Decompress(frame + "xx", 1 << 20);
  EXPECT_EQ(trailing.status().code(), Code::kCorruption);
  auto garbage = Decompress(frame + frame.substr(0, 4) + "not a frame", 1 << 20);
  EXPECT_EQ(garbage.status().code(), Code::kCorruption);
}

// A frame of a few kilobytes that would parse into millions of tiny states is
// refused by counting, before protobuf allocates anything.
TEST(WireCodecTest, TooManyStatesAreRefusedBeforeParsing) {
  wire::Envelope envelope;
  auto* push = envelope.mutable_push_request();
  for (size_t i = 0; i < kMaxStatesPerPage + 1; ++i) push->mutable_changes()->add_states();
  auto frame = EncodeFrame(envelope, "TH-MSDHS");
  ASSERT_TRUE(frame.ok());
  EXPECT_LT(frame->size(), 1024u);
  auto refused = DecodeFrame(*frame);
  EXPECT_EQ(refused.status().code(), Code::kCorruption);
  EXPECT_NE(refused.status().message().find("5001 field states, over the limit of 5000"),
            std::string::npos)
      << refused.status().message();
  push->mutable_changes()->mutable_states()->RemoveLast();
  EXPECT_TRUE(DecodeFrame(EncodeFrame(envelope, "TH-MSDHS").value()).ok());
}

// Refusals told back with a request were not counted: 2.7 KB of zstd
// holding 15.7 million empty ones took 3.6 GB and 61 s to parse and record.
TEST(WireCodecTest, TooManyRefusalsAreRefusedBeforeParsing) {
  for (int body : {12, 14, 15}) {
    wire::Envelope envelope;
    for (size_t i = 0; i < kMaxRefusalsPerPage + 1; ++i) {
      if (body == 12) envelope.mutable_pull_request()->add_refused();
      if (body == 14) envelope.mutable_push_request()->add_refused();
      if (body == 15) envelope.mutable_push_reply()->add_refused();
    }
    auto refused = DecodeFrame(EncodeFrame(envelope, "TH-MSDHS").value());
    EXPECT_EQ(refused.status().code(), Code::kCorruption) << body;
    EXPECT_NE(refused.status().message().find("5001 refusals, over the limit of 5000"),
              std::string::npos)
        << refused.status().message();
  }
}

std::string Tag(int number, int wire_type) {
  return std::string(1, static_cast<char>(number << 3 | wire_type));
}

// Protobuf keeps every unknown field it parses: a frame of a few kilobytes
// that decompresses into millions of them cost ~300 MB per request.
TEST(WireCodecTest, MillionsOfUnknownFieldsAreRefusedBeforeParsing) {
  wire::Envelope envelope;
  envelope.mutable_push_request();
  std::string known = envelope.SerializeAsString();
  std::string unknown;
  for (size_t i = 0; i <= kMaxFieldsPerFrame; ++i) unknown += Tag(3, 0) + '\0';
  // At the top, and inside a group: both are kept whole by protobuf.
  for (const std::string& extra : {unknown, Tag(4, 3) + unknown + Tag(4, 4)}) {
    auto refused = DecodeFrame(Compress(known + extra).value());
    EXPECT_EQ(refused.status().code(), Code::kCorruption);
    EXPECT_NE(refused.status().message().find("over 1048576 protobuf fields"), std::string::npos)
        << refused.status().message();
  }
  // A few from a newer peer are ignored.
  wire::Envelope hello;
  hello.mutable_hello_request()->set_schema_version(3);
  hello.set_protocol_version(kProtocolVersion);
  auto fine = DecodeFrame(Compress(hello.SerializeAsString() + unknown.substr(0, 200)).value());
  EXPECT_TRUE(fine.ok()) << fine.status().ToString();
}

TEST(WireScanTest, CountsEveryFieldKnownOrUnknownAtEveryDepth) {
  wire::Envelope envelope;
  envelope.set_protocol_version(2);              // 1
  auto* push = envelope.mutable_push_request();  // 1
  push->set_done(true);                          // 1
  for (int i = 0; i < 3; ++i) {
    auto* entry = push->mutable_knowledge()->add_entries();  // (knowledge: 1) + 3
    entry->set_node("N" + std::to_string(i));                // 3
    entry->set_counter(1);                                   // 3
  }
  std::string bytes = envelope.SerializeAsString();
  EXPECT_EQ(CountFields(bytes, *wire::Envelope::descriptor(), 100).value(), 13u);
  // An unknown group with two fields inside, and an unknown varint: 4 more.
  bytes += Tag(4, 3) + Tag(1, 0) + '\1' + Tag(2, 0) + '\2' + Tag(4, 4) + Tag(5, 0) + '\0';
  EXPECT_EQ(CountFields(bytes, *wire::Envelope::descriptor(), 100).value(), 17u);
  // Counting stops past the bound; damage is refused.
  EXPECT_EQ(CountFields(bytes, *wire::Envelope::descriptor(), 5).value(), 6u);
  EXPECT_EQ(CountFields(bytes.substr(0, bytes.size() - 1), *wire::Envelope::descriptor(), 100)
                .status()
                .code(),
            Code::kCorruption);
  EXPECT_EQ(CountFields(Tag(4, 4), *wire::Envelope::descriptor(), 100).status().code(),
            Code::kCorruption);
}

TEST(WireScanTest, CountsNestedRepeatedFieldsAndRefusesDamage) {
  wire::Envelope envelope;
  auto* knowledge = envelope.mutable_pull_request()->mutable_knowledge();
  for (int i = 0; i < 7; ++i) knowledge->add_entries()->set_node("N" + std::to_string(i));
  std::string bytes = envelope.SerializeAsString();
  EXPECT_EQ(CountAtPath(bytes, {12, 4, 1}).value(), 7u);
  EXPECT_EQ(CountAtPath(bytes, {13, 6, 1}).value(), 0u);
  EXPECT_EQ(CountAtPath(bytes.substr(0, bytes.size() - 3), {12, 4, 1}).status().code(),
            Code::kCorruption);
}

TEST(WireCodecTest, ErrorRepliesCarryNumberedCodes) {
  for (Code code : {Code::kInvalidArgument, Code::kNotFound, Code::kFailedPrecondition,
                    Code::kCorruption, Code::kPermissionDenied, Code::kUnavailable, Code::kIo,
                    Code::kInternal, Code::kIncompatibleVersion}) {
    auto frame = EncodeError(Status(code, "why"), "TH-MSDHS", 17);
    ASSERT_TRUE(frame.ok());
    auto decoded = DecodeFrame(*frame);
    ASSERT_TRUE(decoded.ok());
    ASSERT_TRUE(decoded->has_error());
    EXPECT_EQ(decoded->error().cursor(), 17u);
    Status back = StatusFromError(decoded->error(), decoded->node_id());
    EXPECT_EQ(back.code(), code) << CodeName(code);
    EXPECT_EQ(back.message(), "peer TH-MSDHS refused: why");
  }
}

// The numbers are the protocol: these are fixed forever (docs/protocol.md).
TEST(WireCodecTest, ErrorCodeNumbersNeverChange) {
  EXPECT_EQ(ToWireCode(Code::kInvalidArgument), 1);
  EXPECT_EQ(ToWireCode(Code::kNotFound), 2);
  EXPECT_EQ(ToWireCode(Code::kFailedPrecondition), 3);
  EXPECT_EQ(ToWireCode(Code::kCorruption), 4);
  EXPECT_EQ(ToWireCode(Code::kPermissionDenied), 5);
  EXPECT_EQ(ToWireCode(Code::kUnavailable), 6);
  EXPECT_EQ(ToWireCode(Code::kIo), 7);
  EXPECT_EQ(ToWireCode(Code::kInternal), 8);
  EXPECT_EQ(ToWireCode(Code::kIncompatibleVersion), 9);
  // A code added by a newer peer reads as an internal failure, message kept.
  EXPECT_EQ(FromWireCode(1000), Code::kInternal);
  EXPECT_EQ(FromWireCode(0), Code::kInternal);
}

}  // namespace
}  // namespace accord::sync
