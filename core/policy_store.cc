// The sharing policy versions a node holds (docs/sharing.md, "Replacing the
// policy"): the built-in version 1 and every signed version it took since.
// The signature is checked by the sync layer before a version gets here.
#include "core/node_id.h"
#include "core/store.h"

namespace accord {

namespace {

HeldPolicy BuiltIn() {
  HeldPolicy held;
  held.policy = SharingPolicy::Default();
  held.source = "built in";
  return held;
}

constexpr const char* kPolicyColumns =
    "SELECT version, signed, policy, signer, key_id, source, installed_at FROM sharing_policies";

Result<HeldPolicy> ReadPolicyRow(const Statement& row) {
  HeldPolicy held;
  std::string where = "sharing policy version " + std::to_string(row.Int(0)) + " held here: ";
  // From the signed text, as the CA signed it, when it parses: a build
  // before retention took this version and kept in `policy` only the parts
  // it knew; the retention section is still in the signed text.
  std::string text = row.Text(2);
  if (auto signed_policy = PolicyTextOfSigned(row.Text(1)); signed_policy.ok()) {
    if (SharingPolicy::Parse(*signed_policy).ok()) text = std::move(signed_policy).value();
  }
  auto parsed = SharingPolicy::Parse(text);
  if (!parsed.ok()) return Corruption(where + parsed.status().message());
  if (parsed->version != row.Int(0)) return Corruption(where + "its text names another version");
  held.policy = std::move(parsed).value();
  held.signed_text = row.Text(1);
  held.signer = row.Text(3);
  held.key_id = row.Text(4);
  held.source = row.Text(5);
  held.installed_at_ms = row.Int(6);
  return held;
}

}  // namespace

Result<std::optional<HeldPolicy>> Store::PolicyVersion(int version) {
  ASSIGN_OR_RETURN(Statement * stmt,
                   db_->Prepare(std::string(kPolicyColumns) + " WHERE version = ?"));
  stmt->Bind(1, static_cast<int64_t>(version));
  ASSIGN_OR_RETURN(bool found, stmt->Step());
  std::optional<HeldPolicy> held;
  if (found) {
    auto row = ReadPolicyRow(*stmt);
    stmt->Reset();
    if (!row.ok()) return row.status();
    held = std::move(row).value();
  } else {
    stmt->Reset();
    if (version == 1) held = BuiltIn();
  }
  return held;
}

Result<HeldPolicy> Store::CurrentPolicy() {
  ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_, Transaction::Mode::kRead));
  RETURN_IF_ERROR(RefreshPolicy());
  ASSIGN_OR_RETURN(std::optional<HeldPolicy> held, PolicyVersion(policy().version));
  if (!held) return Internal("the current sharing policy is not held");
  return std::move(*held);
}

Result<std::vector<HeldPolicy>> Store::HeldPolicies() {
  ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_, Transaction::Mode::kRead));
  std::vector<HeldPolicy> held = {BuiltIn()};
  ASSIGN_OR_RETURN(Statement * stmt,
                   db_->Prepare(std::string(kPolicyColumns) + " ORDER BY version"));
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) break;
    auto policy = ReadPolicyRow(*stmt);
    if (!policy.ok()) {
      stmt->Reset();
      return policy.status();
    }
    held.push_back(std::move(policy).value());
  }
  stmt->Reset();
  return held;
}

Result<PolicyInstall> Store::InstallPolicy(const HeldPolicy& policy) {
  const int version = policy.policy.version;
  if (version < 2 || policy.signed_text.empty()) {
    return InvalidArgument("only a signed sharing policy of version 2 or above can be installed " +
                           std::string("(version 1 is the built-in one)"));
  }
  PolicyInstall outcome = PolicyInstall::kKeptOlder;
  {
    ASSIGN_OR_RETURN(auto txn, Transaction::Begin(*db_, Transaction::Mode::kWrite));
    ASSIGN_OR_RETURN(Statement * held,
                     db_->Prepare("SELECT signed, source FROM sharing_policies WHERE version = ?"));
    held->Bind(1, static_cast<int64_t>(version));
    ASSIGN_OR_RETURN(bool found, held->Step());
    if (found) {
      bool same = held->Text(0) == policy.signed_text;
      std::string source = held->Text(1);
      held->Reset();
      if (same) return PolicyInstall::kAlreadyHeld;
      return FailedPrecondition("a different sharing policy version " + std::to_string(version) +
                                " is held here (" + source +
                                "): the deployment signed two policies with one version; "
                                "sign the one it means with a higher version");
    }
    held->Reset();
    ASSIGN_OR_RETURN(Statement * top,
                     db_->Prepare("SELECT coalesce(max(version), 1) FROM sharing_policies"));
    ASSIGN_OR_RETURN(bool row, top->Step());
    int64_t current = row ? top->Int(0) : 1;
    top->Reset();
    if (version > current) outcome = PolicyInstall::kInstalled;
    ASSIGN_OR_RETURN(Statement * insert,
                     db_->Prepare("INSERT INTO sharing_policies(version, signed, policy, signer, "
                                  "key_id, source, installed_at) VALUES(?, ?, ?, ?, ?, ?, ?)"));
    RETURN_IF_ERROR(insert->Bind(1, static_cast<int64_t>(version))
                        .Bind(2, policy.signed_text)
                        .Bind(3, policy.policy.ToJson())
                        .Bind(4, policy.signer)
                        .Bind(5, policy.key_id)
                        .Bind(6, policy.source)
                        .Bind(7, NowMs())
                        .Run());
    RETURN_IF_ERROR(txn->Commit());
  }
  // Scopes judged under the old version, and older versions looked up and
  // found missing, are stale now.
  ScopeInputsChanged();
  older_policies_.clear();
  older_policy_scopes_.clear();
  RETURN_IF_ERROR(RefreshPolicy());
  return outcome;
}

Status Store::RefreshPolicy() {
  ASSIGN_OR_RETURN(Statement * top,
                   db_->Prepare("SELECT coalesce(max(version), 1) FROM sharing_policies"));
  ASSIGN_OR_RETURN(bool row, top->Step());
  int64_t current = row ? top->Int(0) : 1;
  top->Reset();
  if (policy_ && policy_->version == current) return Status::Ok();
  ASSIGN_OR_RETURN(std::optional<HeldPolicy> held, PolicyVersion(static_cast<int>(current)));
  if (!held) return Internal("sharing policy version " + std::to_string(current) + " vanished");
  policy_ = std::make_shared<const SharingPolicy>(std::move(held->policy));
  ScopeInputsChanged();
  return Status::Ok();
}

Result<const SharingPolicy*> Store::ReaderPolicy(const PageReader& reader) {
  if (reader.policy_version <= 0 || reader.policy_version == policy().version) return nullptr;
  auto it = older_policies_.find(reader.policy_version);
  if (it == older_policies_.end()) {
    // Not held (a version newer than this node's that it never received, or
    // an older one nobody sent it): this node's own policy alone decides.
    ASSIGN_OR_RETURN(std::optional<HeldPolicy> held, PolicyVersion(reader.policy_version));
    std::shared_ptr<const SharingPolicy> loaded;
    if (held) loaded = std::make_shared<const SharingPolicy>(std::move(held->policy));
    it = older_policies_.emplace(reader.policy_version, std::move(loaded)).first;
  }
  return it->second.get();
}

Status Store::RecordPeerPolicyVersion(std::string_view peer_id, int version) {
  if (!IsValidNodeId(peer_id)) {
    return InvalidArgument("malformed peer node id '" + std::string(peer_id) + "'");
  }
  ASSIGN_OR_RETURN(Statement * stmt,
                   db_->Prepare("INSERT INTO peer_state(peer_id, policy_version) VALUES(?, ?) "
                                "ON CONFLICT(peer_id) DO UPDATE SET policy_version = "
                                "max(policy_version, excluded.policy_version)"));
  return stmt->Bind(1, peer_id).Bind(2, static_cast<int64_t>(version)).Run();
}

}  // namespace accord
