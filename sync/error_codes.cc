#include "sync/error_codes.h"

namespace accord::sync {

wire::ErrorCode ToWireCode(Code code) {
  switch (code) {
    case Code::kOk:
      return wire::ERROR_UNSPECIFIED;
    case Code::kInvalidArgument:
      return wire::ERROR_INVALID_ARGUMENT;
    case Code::kNotFound:
      return wire::ERROR_NOT_FOUND;
    case Code::kFailedPrecondition:
      return wire::ERROR_FAILED_PRECONDITION;
    case Code::kCorruption:
      return wire::ERROR_CORRUPTION;
    case Code::kPermissionDenied:
      return wire::ERROR_PERMISSION_DENIED;
    case Code::kUnavailable:
      return wire::ERROR_UNAVAILABLE;
    case Code::kIo:
      return wire::ERROR_IO;
    case Code::kInternal:
      return wire::ERROR_INTERNAL;
    case Code::kIncompatibleVersion:
      return wire::ERROR_INCOMPATIBLE_VERSION;
  }
  return wire::ERROR_INTERNAL;
}

Code FromWireCode(int number) {
  switch (number) {
    case wire::ERROR_INVALID_ARGUMENT:
      return Code::kInvalidArgument;
    case wire::ERROR_NOT_FOUND:
      return Code::kNotFound;
    case wire::ERROR_FAILED_PRECONDITION:
      return Code::kFailedPrecondition;
    case wire::ERROR_CORRUPTION:
      return Code::kCorruption;
    case wire::ERROR_PERMISSION_DENIED:
      return Code::kPermissionDenied;
    case wire::ERROR_UNAVAILABLE:
      return Code::kUnavailable;
    case wire::ERROR_IO:
      return Code::kIo;
    case wire::ERROR_INCOMPATIBLE_VERSION:
      return Code::kIncompatibleVersion;
    default:  // ERROR_INTERNAL, ERROR_UNSPECIFIED and numbers from a newer peer
      return Code::kInternal;
  }
}

}  // namespace accord::sync
