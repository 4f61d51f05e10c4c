#include "sync/page_check.h"

#include "core/hex.h"
#include "core/sha256.h"
#include "sync/unit_seal.h"
#include "sync/wire_codec.h"
#include "sync/wire_limits.h"
#include "sync/wire_scan.h"

namespace accord::sync {

std::optional<OriginKey> OriginKeyCache::Find(const std::string& origin,
                                              const std::string& key_id) const {
  std::lock_guard lock(mutex_);
  auto it = keys_.find({origin, key_id});
  if (it == keys_.end()) return std::nullopt;
  return it->second;
}

void OriginKeyCache::Add(const OriginKey& key) {
  std::lock_guard lock(mutex_);
  keys_.emplace(std::make_pair(key.node_id(), key.key_id()), key);
}

namespace {

// Finds and verifies the key a unit names, once per (origin, key id) per page.
class KeyRing {
 public:
  KeyRing(Store& store, const PeerVerifier& verifier, const wire::SignedChanges& changes)
      : store_(store), verifier_(verifier) {
    for (const auto& c : changes.certificates()) offered_[{c.node(), c.key_id()}] = &c;
  }

  Result<const OriginKey*> Find(const std::string& origin, const std::string& key_id,
                                std::vector<OriginCertificate>* fresh) {
    auto id = std::make_pair(origin, key_id);
    if (auto it = keys_.find(id); it != keys_.end()) return &it->second;
    if (auto it = failures_.find(id); it != failures_.end()) return it->second;
    Status result = Load(id, fresh);
    if (!result.ok()) {
      failures_.emplace(id, result);
      return result;
    }
    return &keys_.at(id);
  }

 private:
  Status Load(const std::pair<std::string, std::string>& id,
              std::vector<OriginCertificate>* fresh) {
    std::string pem;
    bool held = false;
    ASSIGN_OR_RETURN(std::optional<OriginCertificate> stored,
                     store_.FindCertificate(id.first, id.second));
    if (stored) {
      pem = stored->certificate_pem;
      held = true;
    } else if (auto it = offered_.find(id); it != offered_.end()) {
      pem = it->second->certificate_pem();
    } else {
      return PermissionDenied("no certificate of " + id.first + " with key " +
                              HexEncode(id.second).substr(0, 16) + " was sent or is held");
    }
    auto key = verifier_.VerifyOriginCertificate(pem);
    if (!key.ok())
      return PermissionDenied("certificate of " + id.first + ": " + key.status().message());
    if (key->node_id() != id.first) {
      return PermissionDenied("a certificate of " + key->node_id() + " cannot sign for " +
                              id.first);
    }
    if (key->key_id() != id.second) {
      return PermissionDenied("the certificate sent for " + id.first + " holds another key");
    }
    if (!held) fresh->push_back({id.first, id.second, pem, key->party()});
    keys_.emplace(id, std::move(key).value());
    return Status::Ok();
  }

  Store& store_;
  const PeerVerifier& verifier_;
  std::map<std::pair<std::string, std::string>, const wire::NodeCertificate*> offered_;
  std::map<std::pair<std::string, std::string>, OriginKey> keys_;
  std::map<std::pair<std::string, std::string>, Status> failures_;
};

RefusedState Refusal(const FieldVersion& v, std::string reason) {
  return {v.record_id, v.field, v.origin, v.OriginCounter(), std::move(reason)};
}

// The member hashes in position order: what the unit's signature covers.
std::vector<std::string> MemberHashes(const PreparedUnit& unit) {
  std::vector<std::string> hashes;
  hashes.reserve(unit.hashes.size());
  for (const auto& [position, hash] : unit.hashes) hashes.push_back(hash);
  return hashes;
}

std::string SignatureMismatch(const UnitKey& key) {
  return "the signature of " + key.origin + " over unit " + key.ToString() +
         " does not match: a state was altered, invented or renumbered";
}

}  // namespace

Result<PreparedChanges> PrepareSignedChanges(const wire::SignedChanges& changes,
                                             const std::string& from_peer,
                                             const OriginKeyCache* known) {
  // Counted before any state is parsed (a state that does not scan is
  // refused on its own below).
  size_t entries = 0;
  for (const auto& bytes : changes.states()) {
    auto n = CountAtPath(bytes, {6});
    if (n.ok()) entries += *n;
  }
  if (entries > kMaxVectorEntriesPerPage) {
    return Corruption("the states from " + from_peer + " hold " + std::to_string(entries) +
                      " version entries in all, over the limit of " +
                      std::to_string(kMaxVectorEntriesPerPage));
  }
  PreparedChanges prepared;
  prepared.changes = &changes;
  prepared.from_peer = from_peer;
  CheckedChanges& checked = prepared.checked;
  for (const auto& exit : changes.scope_exits()) {
    // Ids are checked by the store (a malformed one is reported there);
    // bound what a peer can make it print.
    ScopeExit parsed{exit.record_id().substr(0, 128), {}};
    auto vv = FromWire(exit.scope_version());
    if (vv.ok()) {
      parsed.scope_version = std::move(vv).value();
    } else {
      parsed.record_id.clear();
    }
    checked.scope_exits.push_back(std::move(parsed));
  }
  std::vector<FieldVersion>& parsed = prepared.parsed;
  parsed.reserve(changes.states_size());
  for (int i = 0; i < changes.states_size(); ++i) {
    auto v = ParseState(changes.states(i));
    if (!v.ok()) {
      checked.refused.push_back({"", "", from_peer, 0,
                                 "state #" + std::to_string(i + 1) + " from " + from_peer +
                                     " is unreadable: " + v.status().message()});
      continue;
    }
    parsed.push_back(std::move(v).value());
  }
  std::map<UnitKey, PreparedUnit>& units = prepared.units;
  for (const auto& proof : changes.units()) {
    UnitKey key = KeyOf(proof.seal());
    PreparedUnit& check = units[key];
    if (check.proof) {
      check.failure = "unit " + key.ToString() + " is proved twice in one page";
      continue;
    }
    check.proof = &proof;
    uint32_t size = proof.seal().size();
    if (size == 0 || size > kMaxUnitSize) {
      check.failure = "unit " + key.ToString() + " claims " + std::to_string(size) + " members";
      continue;
    }
    for (const auto& absent : proof.absent()) {
      if (absent.position() >= size || absent.hash().size() != 32 ||
          !check.hashes.emplace(absent.position(), absent.hash()).second) {
        check.failure = "unit " + key.ToString() + " has a malformed member hash";
      }
    }
  }
  for (size_t i = 0; i < parsed.size(); ++i) {
    const FieldVersion& v = parsed[i];
    auto it = units.find(KeyOf(v));
    if (it == units.end()) {
      checked.refused.push_back(Refusal(v, "no proof that " + v.origin + " wrote it"));
      continue;
    }
    PreparedUnit& check = it->second;
    check.states.push_back(i);
    if (!check.failure.empty()) continue;
    auto hash = Sha256Of(v.wire);
    if (!hash.ok()) return hash.status();
    if (v.unit_position >= check.proof->seal().size() ||
        !check.hashes.emplace(v.unit_position, std::move(hash).value()).second) {
      check.failure = "unit " + it->first.ToString() + " has two members at one position";
    }
  }
  for (auto& [key, check] : units) {
    if (check.failure.empty() && check.hashes.size() != check.proof->seal().size()) {
      check.failure = "the proof of unit " + key.ToString() + " is incomplete";
    }
    if (!check.failure.empty() || !known) continue;
    std::optional<OriginKey> origin_key = known->Find(key.origin, check.proof->seal().key_id());
    if (!origin_key) continue;  // left for FinishSignedChanges
    check.verified = true;
    if (!origin_key
             ->Verify(UnitSigningInput(key, MemberHashes(check)), check.proof->seal().signature())
             .ok()) {
      check.failure = SignatureMismatch(key);
    }
  }
  return prepared;
}

Result<CheckedChanges> FinishSignedChanges(Store& store, const PeerVerifier& verifier,
                                           PreparedChanges prepared, OriginKeyCache* known) {
  CheckedChanges checked = std::move(prepared.checked);
  checked.states.reserve(prepared.parsed.size());
  KeyRing keys(store, verifier, *prepared.changes);
  for (auto& [key, check] : prepared.units) {
    std::vector<std::string> hashes;
    if (check.failure.empty()) hashes = MemberHashes(check);
    if (check.failure.empty() && !check.verified) {
      auto origin_key = keys.Find(key.origin, check.proof->seal().key_id(), &checked.certificates);
      if (!origin_key.ok()) {
        check.failure = origin_key.status().message();
      } else {
        if (known) known->Add(**origin_key);
        if (!(*origin_key)
                 ->Verify(UnitSigningInput(key, hashes), check.proof->seal().signature())
                 .ok()) {
          check.failure = SignatureMismatch(key);
        }
      }
    }
    if (!check.failure.empty()) {
      for (size_t i : check.states) {
        checked.refused.push_back(Refusal(prepared.parsed[i], check.failure));
      }
      continue;
    }
    checked.units.push_back(
        {key, check.proof->seal().key_id(), check.proof->seal().signature(), std::move(hashes)});
    for (size_t i : check.states) checked.states.push_back(std::move(prepared.parsed[i]));
  }
  return checked;
}

Result<CheckedChanges> CheckSignedChanges(Store& store, const PeerVerifier& verifier,
                                          const wire::SignedChanges& changes,
                                          const std::string& from_peer) {
  ASSIGN_OR_RETURN(PreparedChanges prepared, PrepareSignedChanges(changes, from_peer, nullptr));
  return FinishSignedChanges(store, verifier, std::move(prepared), nullptr);
}

}  // namespace accord::sync
