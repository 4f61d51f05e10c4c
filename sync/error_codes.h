// The one place where a Status code meets its number on the wire (frames and
// bundles alike). Enum positions in core/status.h are free to change; these
// numbers are not.
#pragma once

#include "accord_sync.pb.h"
#include "core/status.h"

namespace accord::sync {

wire::ErrorCode ToWireCode(Code code);
// A number this build does not know (from a newer peer) reads as kInternal.
Code FromWireCode(int number);

}  // namespace accord::sync
