// One request/reply exchange of the initiating side of a sync.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "accord_sync.pb.h"
#include "core/status.h"
#include "sync/transport.h"

namespace accord::sync {

// Sends `request` to `op` and decodes the reply; an ErrorReply becomes its
// Status (its cursor into `error_cursor`, when given), and a reply of another
// kind than `expected` is kCorruption.
Result<wire::Envelope> Exchange(Transport& transport, std::string_view op, wire::Envelope& request,
                                const std::string& self, wire::Envelope::BodyCase expected,
                                uint64_t* error_cursor = nullptr);

}  // namespace accord::sync
