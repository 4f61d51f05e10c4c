// Counting elements of a protobuf message without parsing it. Parsing
// allocates per element: a frame of a few kilobytes that decompresses into
// millions of tiny repeated elements would cost gigabytes before any check
// could run. Walking the wire format costs no allocation and is bounded by
// the bytes, so a frame is refused for its counts before it is parsed.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string_view>

#include "core/status.h"

namespace google::protobuf {
class Descriptor;
}

namespace accord::sync {

// How many times the field at `path` occurs: `path` lists field numbers from
// the outermost message in, every one but the last naming an embedded
// message. Occurrences under every repetition of an outer field count.
// kCorruption if the bytes are not well-formed protobuf along the way.
Result<size_t> CountAtPath(std::string_view message, std::initializer_list<int> path);

// How many fields `message` of `type` holds in all, known or unknown, at
// every depth: inside the embedded messages `type` declares, and inside
// groups. Protobuf keeps every unknown field it parses (16 bytes each, more
// for a group or a string), so a frame of a few kilobytes decompressing to
// millions of fields no count by path sees cost hundreds of megabytes. Stops
// counting once past `stop_after`. kCorruption if the bytes are not
// well-formed protobuf.
Result<size_t> CountFields(std::string_view message, const google::protobuf::Descriptor& type,
                           size_t stop_after);

}  // namespace accord::sync
