// Checking a page of signed states in two steps. The first needs no store
// (parsing, hashing, and verifying the units whose origin key this session
// has already checked against the deployment CA), so a puller runs it on the
// request's own thread while it applies the page before. The second looks
// up the keys still missing (held certificates, or ones the page offers)
// and verifies what is left. CheckSignedChanges (signed_changes.h) is the
// two in a row.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "accord_sync.pb.h"
#include "sync/identity.h"
#include "sync/signed_changes.h"

namespace accord::sync {

// Origin keys that passed the deployment CA in one session: shared between
// the thread that prepares pages and the one that finishes them. A key's id
// is the SHA-256 of its public key, so whichever certificate carried it, a
// signature verifies the same.
class OriginKeyCache {
 public:
  std::optional<OriginKey> Find(const std::string& origin, const std::string& key_id) const;
  void Add(const OriginKey& key);

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, OriginKey> keys_;
};

// One unit of a page as the first step leaves it.
struct PreparedUnit {
  const wire::UnitProof* proof = nullptr;  // into the page's SignedChanges
  std::map<uint32_t, std::string> hashes;  // position -> hash, present and absent
  std::vector<size_t> states;              // indexes into PreparedChanges::parsed
  std::string failure;                     // refused, and why
  bool verified = false;                   // its signature checked already
};

// A page parsed and hashed. Points into the SignedChanges it was prepared
// from, which must outlive it.
struct PreparedChanges {
  const wire::SignedChanges* changes = nullptr;
  std::string from_peer;
  std::vector<FieldVersion> parsed;
  std::map<UnitKey, PreparedUnit> units;
  CheckedChanges checked;  // the scope exits, and the states refused so far
};

// The first step: thread-safe. Units whose key `known` holds are verified
// here (`known` may be null). Fails whole only for a page over the limits.
Result<PreparedChanges> PrepareSignedChanges(const wire::SignedChanges& changes,
                                             const std::string& from_peer,
                                             const OriginKeyCache* known);
// The second step, with the store: the other units' keys are found (held
// certificates first, then those the page offers) and checked against the
// CA, added to `known` when given, and the units verified.
Result<CheckedChanges> FinishSignedChanges(Store& store, const PeerVerifier& verifier,
                                           PreparedChanges prepared, OriginKeyCache* known);

}  // namespace accord::sync
