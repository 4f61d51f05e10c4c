// Push frames as TH-MSDHS would send them, for tests that then spoil them:
// a well-formed state to start from, and a push page holding given states.
#pragma once

#include <string>
#include <vector>

#include "sync/wire_codec.h"

namespace accord::testing {

// plan-2.title = "From TH", TH-MSDHS's first write.
inline wire::FieldState GoodState() {
  FieldVersion v;
  v.record_id = "plan-2";
  v.record_type = "plan";
  v.field = "title";
  v.value = "From TH";
  v.version.Set("TH-MSDHS", 1);
  v.origin = "TH-MSDHS";
  v.origin_time_ms = 1;
  wire::FieldState s;
  sync::ToWire(v, &s);
  return s;
}

inline std::string PushOf(const std::vector<wire::FieldState>& states) {
  wire::Envelope envelope;
  auto* push = envelope.mutable_push_request();
  push->set_next_cursor(5);
  for (const auto& s : states) *push->mutable_changes()->add_states() = s;
  return sync::EncodeFrame(envelope, "TH-MSDHS").value();
}

}  // namespace accord::testing
