// Push frames as TH-MSDHS would send them, for tests that then spoil them:
// a well-formed state to start from, and a push page holding given states,
// sealed as their origin's accord seals them (sync/signed_changes.h).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/sha256.h"
#include "sync/signed_changes.h"
#include "sync/unit_seal.h"
#include "sync/wire_codec.h"
#include "tests/test_support.h"

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

// The states grouped by write (origin, counter), each write one unit, signed
// by `signer`: the origin's own key, or another node's for a forgery. The
// counter is read off the state's vector, as a receiver reads it.
inline wire::SignedChanges SealedBy(std::vector<wire::FieldState> states,
                                    const sync::NodeSigner& signer) {
  wire::SignedChanges changes;
  std::map<std::pair<std::string, uint64_t>, std::vector<std::string>> units;
  for (auto& s : states) {
    uint64_t counter = 0;
    for (const auto& e : s.version()) {
      if (e.node() == s.origin()) counter = e.counter();
    }
    auto& hashes = units[{s.origin(), counter}];
    s.set_salt(std::string(sync::kSaltBytes, static_cast<char>(hashes.size())));
    s.set_unit(0);
    s.set_unit_position(static_cast<uint32_t>(hashes.size()));
    std::string bytes = s.SerializeAsString();
    hashes.push_back(Sha256Of(bytes).value());
    changes.add_states(bytes);
  }
  for (const auto& [write, hashes] : units) {
    UnitKey key{write.first, write.second, 0};
    auto* proof = changes.add_units();
    proof->mutable_seal()->set_origin(key.origin);
    proof->mutable_seal()->set_counter(key.counter);
    proof->mutable_seal()->set_unit(0);
    proof->mutable_seal()->set_size(static_cast<uint32_t>(hashes.size()));
    proof->mutable_seal()->set_key_id(signer.key_id());
    proof->mutable_seal()->set_signature(signer.Sign(sync::UnitSigningInput(key, hashes)).value());
  }
  auto* cert = changes.add_certificates();
  cert->set_node(signer.node_id());
  cert->set_key_id(signer.key_id());
  cert->set_certificate_pem(signer.cert_pem());
  return changes;
}

inline std::string PushFrame(const wire::SignedChanges& changes, const std::string& sender) {
  wire::Envelope envelope;
  // Cursors 0..0: the page claims no place in the sender's log, so taking it
  // moves no cursor a later, real sync would trip over.
  auto* push = envelope.mutable_push_request();
  *push->mutable_signed_changes() = changes;
  return sync::EncodeFrame(envelope, sender).value();
}

// A push page from TH-MSDHS holding `states`, sealed with TH-MSDHS's key.
inline std::string PushOf(const std::vector<wire::FieldState>& states) {
  return PushFrame(SealedBy(states, *TestDeployment::Get().For("TH-MSDHS").signer), "TH-MSDHS");
}

}  // namespace accord::testing
