// cpprestsdk cannot listen on port 0 and report the port it got, so tests
// and demos ask the kernel for a free loopback port first.
#pragma once

#include "core/status.h"

namespace accord::server {

// A TCP port on 127.0.0.1 that was free a moment ago. Another process may
// take it before the caller binds it: callers that must not fail retry with
// a new port when the bind reports the address in use.
Result<int> PickFreeLoopbackPort();

}  // namespace accord::server
