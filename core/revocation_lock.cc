// A node that learnt its certificate was revoked locks its personal data
// (Store::LockForRevocation, docs/encryption.md "When the node is revoked").
// The lock is kept in meta: `revocation_lock` (name=value lines) and
// `revocation_list` (the CA's list as shown, PEM).
#include <sstream>

#include "core/store.h"
#include "core/time_format.h"

namespace accord {

namespace {

constexpr char kLockKey[] = "revocation_lock";
constexpr char kListKey[] = "revocation_list";

std::string EncodeLock(const RevocationLock& lock) {
  std::ostringstream out;
  out << "serial=" << lock.serial_hex << "\n"
      << "revoked_at_ms=" << lock.revoked_at_ms << "\n"
      << "issuer=" << lock.issuer << "\n"
      << "learned_from=" << lock.learned_from << "\n"
      << "learned_at_ms=" << lock.learned_at_ms << "\n"
      << "destroyed=" << (lock.destroyed ? 1 : 0) << "\n";
  return out.str();
}

RevocationLock DecodeLock(const std::string& text) {
  RevocationLock lock;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    size_t eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string name = line.substr(0, eq), value = line.substr(eq + 1);
    if (name == "serial") lock.serial_hex = value;
    if (name == "issuer") lock.issuer = value;
    if (name == "learned_from") lock.learned_from = value;
    if (name == "destroyed") lock.destroyed = value == "1";
    try {
      if (name == "revoked_at_ms") lock.revoked_at_ms = std::stoll(value);
      if (name == "learned_at_ms") lock.learned_at_ms = std::stoll(value);
    } catch (...) {
      // A date unreadable here still leaves the node locked.
    }
  }
  return lock;
}

std::string Day(int64_t ms) {
  return FormatUtcMs(ms).substr(0, 10);
}

}  // namespace

std::string RevocationLockMessage(const RevocationLock& lock) {
  std::string text = "this node's certificate (serial " + lock.serial_hex +
                     ") was revoked by the deployment CA (" + lock.issuer + ") on " +
                     Day(lock.revoked_at_ms) + ", as " +
                     (lock.learned_from.empty() ? "a peer" : lock.learned_from) + " showed on " +
                     Day(lock.learned_at_ms) + "; ";
  if (lock.destroyed) {
    return text +
           "this node was not encrypted, so its personal data was destroyed here (its peers "
           "still hold what they may): an administrator re-initialises the node with a new "
           "certificate and syncs it (docs/encryption.md, \"When the node is revoked\")";
  }
  return text +
         "personal data is locked until an administrator re-keys it: accord rekey --cert NEW.pem "
         "--key NEW.key --key-export EXPORTED-KEY (docs/encryption.md, \"When the node is "
         "revoked\")";
}

Status Store::LoadRevocationLock() {
  ASSIGN_OR_RETURN(Statement * stmt,
                   db_->Prepare("SELECT key, value FROM meta WHERE key IN (?, ?)"));
  stmt->Bind(1, std::string_view(kLockKey)).Bind(2, std::string_view(kListKey));
  std::optional<RevocationLock> lock;
  std::string list;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    if (stmt->Text(0) == kLockKey) lock = DecodeLock(stmt->Text(1));
    if (stmt->Text(0) == kListKey) list = stmt->Text(1);
  }
  stmt->Reset();
  if (!lock) return Status::Ok();
  lock->revocation_list = std::move(list);
  // Whatever key this process was given: the lock is lifted only by
  // LiftRevocationLock.
  cipher_.Lock(RevocationLockMessage(*lock));
  revocation_lock_ = std::move(lock);
  return Status::Ok();
}

Result<std::vector<std::string>> Store::LockForRevocation(RevocationLock lock) {
  std::vector<std::string> warnings;
  if (revocation_lock_) return warnings;
  lock.destroyed = !cipher_.encrypted();
  std::vector<std::pair<std::string, std::string>> meta = {{kLockKey, EncodeLock(lock)},
                                                           {kListKey, lock.revocation_list}};
  if (lock.destroyed) {
    // Sealed under a key nobody keeps: the same cells, WAL emptying and
    // VACUUM as `accord encrypt`, and the lock in the same transaction, so
    // no crash leaves a node marked locked with its cases in clear.
    auto key = std::make_shared<const DataKey>(DataKey::Generate());
    auto sealed = SealPersonalData(key, {}, meta);
    if (!sealed.ok()) {
      if (!cipher_.encrypted()) return sealed.status();  // rolled back: nothing changed
      warnings.push_back(sealed.status().message() +
                         "; the cleared pages stay in the WAL until its next checkpoint");
    }
  } else {
    ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_, Transaction::Mode::kWrite));
    for (const auto& [meta_key, meta_value] : meta) {
      ASSIGN_OR_RETURN(Statement * row,
                       db_->Prepare("INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)"));
      RETURN_IF_ERROR(row->Bind(1, meta_key).Bind(2, meta_value).Run());
    }
    RETURN_IF_ERROR(txn->Commit());
  }
  cipher_.Lock(RevocationLockMessage(lock));  // the throwaway key goes with it
  const bool destroyed = lock.destroyed;
  revocation_lock_ = std::move(lock);
  ScopeInputsChanged();
  if (destroyed) {
    // A case's scans were stored in clear beside it: they go too (zeroed,
    // then unlinked), keeping only the files shared records reference. On an
    // encrypted node they are sealed with the data key, destroyed with it.
    auto shared = AttachmentFilesInUse(false);
    auto removed = shared.ok() ? files_->RemoveAllBut(*shared) : Result<size_t>(shared.status());
    if (!removed.ok()) {
      warnings.push_back("the case files in " + files_->dir() + " could not all be removed: " +
                         removed.status().message() + "; delete that folder's files by hand");
    }
  }
  return warnings;
}

Status Store::LiftRevocationLock(std::shared_ptr<const DataKey> key) {
  if (!revocation_lock_) return FailedPrecondition("this node's personal data is not locked");
  if (revocation_lock_->destroyed) {
    return FailedPrecondition(
        "this node was not encrypted when it was revoked: its personal data was destroyed, and "
        "no key brings it back; re-initialise the node (accord init) with a new certificate and "
        "sync it from its peers");
  }
  if (!key || key->KeyId() != cipher_.key_id()) {
    return PermissionDenied("the key given is not this node's data key (the node's key id is " +
                            cipher_.key_id() + "): nothing was changed");
  }
  ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_, Transaction::Mode::kWrite));
  ASSIGN_OR_RETURN(Statement * drop, db_->Prepare("DELETE FROM meta WHERE key IN (?, ?)"));
  RETURN_IF_ERROR(
      drop->Bind(1, std::string_view(kLockKey)).Bind(2, std::string_view(kListKey)).Run());
  RETURN_IF_ERROR(txn->Commit());
  cipher_ = CellCipher(cipher_.key_id(), std::move(key), cipher_.also_personal());
  revocation_lock_.reset();
  ScopeInputsChanged();
  return Status::Ok();
}

}  // namespace accord
