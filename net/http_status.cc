#include "net/http_status.h"

namespace accord::net {

int HttpStatusFor(Code code) {
  switch (code) {
    case Code::kOk:
      return 200;
    case Code::kInvalidArgument:
    case Code::kCorruption:
    case Code::kIncompatibleVersion:  // the ErrorReply's code says which side must upgrade
      return 400;
    case Code::kPermissionDenied:
      return 403;
    case Code::kNotFound:
      return 404;
    case Code::kFailedPrecondition:
      return 409;
    case Code::kUnavailable:
      return 503;
    case Code::kIo:
    case Code::kInternal:
      return 500;
  }
  return 500;
}

}  // namespace accord::net
