#include "sync/wire_codec.h"

#include <zstd.h>
#include <zstd_errors.h>

#include <memory>

#include "core/state_bytes.h"
#include "sync/error_codes.h"
#include "sync/wire_scan.h"

namespace accord::sync {

void ToWire(const FieldVersion& v, wire::FieldState* out) {
  FillFieldState(v, out);
}

Result<FieldVersion> FromWire(const wire::FieldState& state) {
  FieldVersion v;
  v.record_id = state.record_id();
  v.record_type = state.record_type();
  v.field = state.field();
  if (state.has_value()) v.value = state.value();
  auto vv = VectorFromEntries(state.version());
  if (!vv.ok())
    return vv.status().WithContext("record " + v.record_id + " field " + v.field + ": ");
  v.version = std::move(vv).value();
  v.origin = state.origin();
  v.origin_time_ms = state.origin_time_ms();
  v.note = state.note();
  v.author = state.author();
  return v;
}

void ToWire(const VersionVector& vv, wire::Knowledge* out) {
  for (const auto& [node, counter] : vv.entries()) {
    auto* entry = out->add_entries();
    entry->set_node(node);
    entry->set_counter(counter);
  }
}

Result<VersionVector> FromWire(const wire::Knowledge& knowledge) {
  return VectorFromEntries(knowledge.entries());
}

Result<std::string> Compress(std::string_view data, int level) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), level);
  // An empty frame would read as "empty message" at the peer: say what failed here.
  if (ZSTD_isError(n))
    return Internal(std::string("zstd compression failed: ") + ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

namespace {

using DecompressionContext = std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)>;

// A frame that declares its size (every frame Accord writes) decompresses in
// one call straight into a string of that size: no window buffer and no
// zero-filled staging chunk per message, which were a quarter of the
// sanitized tests' time and showed in every small sync (docs/PERFORMANCE.md,
// stop 27). zstd refuses a frame whose content is not the size it declares.
Result<std::string> DecompressDeclared(ZSTD_DCtx* context, std::string_view data, size_t declared) {
  std::string out(declared, '\0');
  size_t n = ZSTD_decompressDCtx(context, out.data(), out.size(), data.data(), data.size());
  if (ZSTD_isError(n)) {
    if (ZSTD_getErrorCode(n) == ZSTD_error_dstSize_tooSmall) {
      return Corruption("compressed data holds more than the " + std::to_string(declared) +
                        " bytes it declares");
    }
    if (ZSTD_getErrorCode(n) == ZSTD_error_srcSize_wrong) {
      return Corruption("compressed data is truncated or has trailing bytes");
    }
    return Corruption(std::string("compressed data is damaged: ") + ZSTD_getErrorName(n));
  }
  if (n != declared) return Corruption("compressed data holds less than it declares");
  return out;
}

// A frame that does not declare its size streams, stopped as soon as it grows
// past max_bytes.
Result<std::string> DecompressUndeclared(ZSTD_DCtx* context, std::string_view data,
                                         size_t max_bytes) {
  std::string out;
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  std::string chunk(ZSTD_DStreamOutSize(), '\0');
  size_t last = 1;
  while (in.pos < in.size) {
    ZSTD_outBuffer buffer{chunk.data(), chunk.size(), 0};
    last = ZSTD_decompressStream(context, &buffer, &in);
    if (ZSTD_isError(last)) {
      return Corruption(std::string("compressed data is damaged: ") + ZSTD_getErrorName(last));
    }
    if (out.size() + buffer.pos > max_bytes) {
      return Corruption("decompressed data exceeds the limit of " + std::to_string(max_bytes) +
                        " bytes");
    }
    out.append(chunk.data(), buffer.pos);
    if (last == 0 && in.pos < in.size) {
      return Corruption("trailing bytes after the compressed data");
    }
  }
  if (last != 0) return Corruption("compressed data is truncated");
  return out;
}

}  // namespace

Result<std::string> Decompress(std::string_view data, size_t max_bytes) {
  // A declared size over the limit is refused before anything is allocated.
  unsigned long long declared = ZSTD_getFrameContentSize(data.data(), data.size());
  if (declared == ZSTD_CONTENTSIZE_ERROR) return Corruption("compressed data is damaged");
  if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared > max_bytes) {
    return Corruption("compressed data declares " + std::to_string(declared) +
                      " bytes, over the limit of " + std::to_string(max_bytes));
  }
  DecompressionContext context(ZSTD_createDCtx(), ZSTD_freeDCtx);
  if (!context) return Internal("cannot allocate a zstd context");
  if (declared == ZSTD_CONTENTSIZE_UNKNOWN) {
    return DecompressUndeclared(context.get(), data, max_bytes);
  }
  return DecompressDeclared(context.get(), data, static_cast<size_t>(declared));
}

Status CheckEnvelopeBounds(std::string_view bytes) {
  struct Bound {
    std::initializer_list<int> path;
    size_t max;
    const char* what;
  };
  // First, as it stops early: each pass below walks every field.
  ASSIGN_OR_RETURN(size_t fields,
                   CountFields(bytes, *wire::Envelope::descriptor(), kMaxFieldsPerFrame));
  if (fields > kMaxFieldsPerFrame) {
    return Corruption("message holds over " + std::to_string(kMaxFieldsPerFrame) +
                      " protobuf fields");
  }
  // Envelope bodies: 10 hello_request, 11 hello_reply, 12 pull_request,
  // 13 pull_reply, 14 push_request.
  static const Bound kBounds[] = {
      // Purge orders applied and collected (docs/security.md, "Collecting tombstones").
      {{10, 20, 1}, kMaxKnowledgeEntries, "purge vector entries"},
      {{10, 21, 1}, kMaxKnowledgeEntries, "purge vector entries"},
      {{11, 20, 1}, kMaxKnowledgeEntries, "purge vector entries"},
      {{11, 21, 1}, kMaxKnowledgeEntries, "purge vector entries"},
      {{14, 20, 1}, kMaxKnowledgeEntries, "purge vector entries"},
      {{12, 21}, kMaxRefusalsPerPage, "purge acknowledgements held"},
      {{11, 4, 1}, kMaxKnowledgeEntries, "knowledge entries"},
      {{12, 4, 1}, kMaxKnowledgeEntries, "knowledge entries"},
      {{13, 6, 1}, kMaxKnowledgeEntries, "knowledge entries"},
      {{14, 7, 1}, kMaxKnowledgeEntries, "knowledge entries"},
      {{13, 3, 1}, kMaxStatesPerPage, "field states"},
      {{14, 5, 1}, kMaxStatesPerPage, "field states"},
      {{13, 7, 1}, kMaxStatesPerPage, "field states"},
      {{14, 8, 1}, kMaxStatesPerPage, "field states"},
      {{13, 7, 2}, kMaxUnitsPerPage, "unit proofs"},
      {{14, 8, 2}, kMaxUnitsPerPage, "unit proofs"},
      {{13, 7, 2, 2}, kMaxAbsentHashesPerPage, "absent-member hashes"},
      {{14, 8, 2, 2}, kMaxAbsentHashesPerPage, "absent-member hashes"},
      {{13, 7, 3}, kMaxCertificatesPerPage, "certificates"},
      {{14, 8, 3}, kMaxCertificatesPerPage, "certificates"},
      {{13, 7, 4}, kMaxScopeExitsPerPage, "scope exits"},
      {{14, 8, 4}, kMaxScopeExitsPerPage, "scope exits"},
      {{13, 7, 4, 2, 1}, kMaxVectorEntriesPerPage, "scope exit vector entries"},
      {{14, 8, 4, 2, 1}, kMaxVectorEntriesPerPage, "scope exit vector entries"},
      {{12, 6}, kMaxRefusalsPerPage, "refusals"},
      {{14, 9}, kMaxRefusalsPerPage, "refusals"},
      {{15, 6}, kMaxRefusalsPerPage, "refusals"},
  };
  for (const Bound& bound : kBounds) {
    ASSIGN_OR_RETURN(size_t n, CountAtPath(bytes, bound.path));
    if (n > bound.max) {
      return Corruption("message holds " + std::to_string(n) + " " + bound.what +
                        ", over the limit of " + std::to_string(bound.max));
    }
  }
  return Status::Ok();
}

Status CheckChangesBounds(std::string_view bytes) {
  struct Bound {
    std::initializer_list<int> path;
    size_t max;
    const char* what;
  };
  ASSIGN_OR_RETURN(size_t fields,
                   CountFields(bytes, *wire::SignedChanges::descriptor(), kMaxFieldsPerFrame));
  if (fields > kMaxFieldsPerFrame) {
    return Corruption("changes hold over " + std::to_string(kMaxFieldsPerFrame) +
                      " protobuf fields");
  }
  static const Bound kBounds[] = {
      {{1}, kMaxStatesPerPage, "field states"},
      {{2}, kMaxUnitsPerPage, "unit proofs"},
      {{2, 2}, kMaxAbsentHashesPerPage, "absent-member hashes"},
      {{3}, kMaxCertificatesPerPage, "certificates"},
      {{4}, kMaxScopeExitsPerPage, "scope exits"},
      {{4, 2, 1}, kMaxVectorEntriesPerPage, "scope exit vector entries"},
  };
  for (const Bound& bound : kBounds) {
    ASSIGN_OR_RETURN(size_t n, CountAtPath(bytes, bound.path));
    if (n > bound.max) {
      return Corruption("changes hold " + std::to_string(n) + " " + bound.what +
                        ", over the limit of " + std::to_string(bound.max));
    }
  }
  return Status::Ok();
}

Result<std::string> EncodeFrame(wire::Envelope& envelope, std::string_view node_id) {
  envelope.set_protocol_version(kProtocolVersion);
  envelope.set_node_id(std::string(node_id));
  return Compress(envelope.SerializeAsString());
}

Result<wire::Envelope> DecodeFrame(std::string_view frame) {
  if (frame.empty()) return Corruption("empty message");
  ASSIGN_OR_RETURN(std::string bytes, Decompress(frame, kMaxFrameBytes));
  RETURN_IF_ERROR(CheckEnvelopeBounds(bytes));
  wire::Envelope envelope;
  if (!envelope.ParseFromString(bytes)) return Corruption("message is not a valid Accord envelope");
  if (envelope.protocol_version() == 0) return Corruption("message carries no protocol version");
  if (envelope.protocol_version() > kProtocolVersion) {
    return IncompatibleVersion(
        "peer speaks protocol version " + std::to_string(envelope.protocol_version()) +
        "; this node speaks up to " + std::to_string(kProtocolVersion) + ": upgrade this node");
  }
  if (envelope.protocol_version() < kMinProtocolVersion) {
    return IncompatibleVersion("peer speaks protocol version " +
                               std::to_string(envelope.protocol_version()) + "; this node speaks " +
                               std::to_string(kProtocolVersion) + " and no older than " +
                               std::to_string(kMinProtocolVersion) + ": upgrade the peer");
  }
  if (envelope.body_case() == wire::Envelope::BODY_NOT_SET) {
    return Corruption("message has no body (an unknown kind from a newer version?)");
  }
  return envelope;
}

Result<std::string> EncodeError(const Status& status, std::string_view node_id, uint64_t cursor) {
  wire::Envelope envelope;
  auto* error = envelope.mutable_error();
  error->set_code(ToWireCode(status.code()));
  error->set_message(status.message());
  error->set_cursor(cursor);
  return EncodeFrame(envelope, node_id);
}

Status StatusFromError(const wire::ErrorReply& error, std::string_view peer) {
  return Status(FromWireCode(error.code()),
                "peer " + std::string(peer) + " refused: " + error.message());
}

}  // namespace accord::sync
