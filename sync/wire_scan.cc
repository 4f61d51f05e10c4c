#include "sync/wire_scan.h"

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

}  // namespace

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
