#include "sync/wire_scan.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <climits>

namespace accord::sync {

namespace {

using google::protobuf::internal::WireFormatLite;
using google::protobuf::io::CodedInputStream;

// Counts occurrences of path[depth..] within the current limit of `in`.
bool Count(CodedInputStream& in, const int* path, size_t depth, size_t length, size_t& count) {
  while (true) {
    uint32_t tag = in.ReadTag();
    if (tag == 0) return in.ConsumedEntireMessage() || in.BytesUntilLimit() == 0;
    int number = WireFormatLite::GetTagFieldNumber(tag);
    auto type = WireFormatLite::GetTagWireType(tag);
    if (number != path[depth]) {
      if (!WireFormatLite::SkipField(&in, tag)) return false;
      continue;
    }
    if (depth + 1 == length) {
      ++count;
      if (!WireFormatLite::SkipField(&in, tag)) return false;
      continue;
    }
    if (type != WireFormatLite::WIRETYPE_LENGTH_DELIMITED) return false;
    uint32_t size = 0;
    if (!in.ReadVarint32(&size)) return false;
    auto limit = in.PushLimit(static_cast<int>(size));
    if (in.BytesUntilLimit() != static_cast<int>(size)) return false;  // runs past the end
    if (!Count(in, path, depth + 1, length, count)) return false;
    if (in.BytesUntilLimit() != 0) return false;
    in.PopLimit(limit);
  }
}

// Protobuf's own limit on nested messages and groups.
constexpr int kMaxDepth = 100;

// Counts every field until the end of the current limit (end_group == 0) or
// until the tag `end_group`. `type` is null inside unknown groups.
bool CountAll(CodedInputStream& in, const google::protobuf::Descriptor* type, uint32_t end_group,
              int depth, size_t stop_after, size_t& count) {
  if (depth > kMaxDepth) return false;
  while (count <= stop_after) {
    uint32_t tag = in.ReadTag();
    if (tag == 0)
      return end_group == 0 && (in.ConsumedEntireMessage() || in.BytesUntilLimit() == 0);
    if (end_group != 0 && tag == end_group) return true;
    ++count;
    int number = WireFormatLite::GetTagFieldNumber(tag);
    const google::protobuf::FieldDescriptor* field =
        type ? type->FindFieldByNumber(number) : nullptr;
    switch (WireFormatLite::GetTagWireType(tag)) {
      case WireFormatLite::WIRETYPE_LENGTH_DELIMITED: {
        if (!field || field->type() != google::protobuf::FieldDescriptor::TYPE_MESSAGE) {
          if (!WireFormatLite::SkipField(&in, tag)) return false;
          break;
        }
        uint32_t size = 0;
        if (!in.ReadVarint32(&size)) return false;
        auto limit = in.PushLimit(static_cast<int>(size));
        if (in.BytesUntilLimit() != static_cast<int>(size)) return false;
        if (!CountAll(in, field->message_type(), 0, depth + 1, stop_after, count)) return false;
        if (count > stop_after) return true;
        if (in.BytesUntilLimit() != 0) return false;
        in.PopLimit(limit);
        break;
      }
      case WireFormatLite::WIRETYPE_START_GROUP: {
        const google::protobuf::Descriptor* inner =
            field && field->type() == google::protobuf::FieldDescriptor::TYPE_GROUP
                ? field->message_type()
                : nullptr;
        uint32_t end = WireFormatLite::MakeTag(number, WireFormatLite::WIRETYPE_END_GROUP);
        if (!CountAll(in, inner, end, depth + 1, stop_after, count)) return false;
        break;
      }
      case WireFormatLite::WIRETYPE_END_GROUP:
        return false;  // not the one this level waits for
      default:
        if (!WireFormatLite::SkipField(&in, tag)) return false;
    }
  }
  return true;
}

}  // namespace

Result<size_t> CountFields(std::string_view message, const google::protobuf::Descriptor& type,
                           size_t stop_after) {
  if (message.size() > INT_MAX) return Corruption("message too large to scan");
  CodedInputStream in(reinterpret_cast<const uint8_t*>(message.data()),
                      static_cast<int>(message.size()));
  size_t count = 0;
  if (!CountAll(in, &type, 0, 0, stop_after, count)) {
    return Corruption("message is not well-formed protobuf");
  }
  return count;
}

Result<size_t> CountAtPath(std::string_view message, std::initializer_list<int> path) {
  if (path.size() == 0) return InvalidArgument("empty field path");
  if (message.size() > INT_MAX) return Corruption("message too large to scan");
  CodedInputStream in(reinterpret_cast<const uint8_t*>(message.data()),
                      static_cast<int>(message.size()));
  size_t count = 0;
  if (!Count(in, path.begin(), 0, path.size(), count)) {
    return Corruption("message is not well-formed protobuf");
  }
  return count;
}

}  // namespace accord::sync
