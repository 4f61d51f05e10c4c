// Who may hold which record: the sharing policy every node evaluates the
// same way (docs/sharing.md). It is data — a JSON document with a version —
// so a deployment can read it (`accord policy show`) and replace it with a
// newer version signed by its CA (sync/signed_policy.h).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace accord {

// A root type: a record whose own fields name the parties it goes to.
struct RootRule {
  std::string parties_field;  // e.g. plan.parties "KH,TH", case.direction "TH-KH"
  std::string separators;     // characters between party codes: ",-; "
  // Personal data (cases): the parties field applies only while the consent
  // field's every live value is in `shared_when`; otherwise the record stays
  // with its owner's party. "" for joint work, always shared.
  std::string consent_field;
  std::set<std::string> shared_when;
  // A value of `consent_field` that counts only with a reason recorded.
  std::string override_value;
  std::string override_reason_field;
  // When the parties field is empty (or the type has none): true, every node
  // (joint work whose parties nobody recorded yet); false, only the owner's
  // party (personal data fails closed).
  bool unstated_goes_everywhere = false;
};

struct SharingPolicy {
  int version = 0;
  std::set<std::string> everyone;  // types every node may hold (party, office)
  std::map<std::string, RootRule> roots;
  // A type that hangs off another: its ref fields, tried in order; the first
  // that names a record gives that record's scope. A type both here and in
  // `roots` uses its root rule when none of its refs is set.
  std::map<std::string, std::vector<std::string>> follow;
  // Retention (docs/sharing.md, "Retention"): for a personal type, how many
  // days a superseded value is kept after a newer one replaced it on this
  // node; older ones are pruned (Store::PruneSuperseded). A type not named
  // keeps its history for ever. From the policy's optional `retention`
  // section, `superseded_days`; unknown keys there are ignored, so a later
  // build can add rules that this one leaves alone.
  std::map<std::string, int> superseded_days;

  // The built-in policy fitted to the seeds (docs/sharing.md).
  static const SharingPolicy& Default();
  static Result<SharingPolicy> Parse(std::string_view json);
  std::string ToJson() const;

  // Fields whose change can move a record (and what hangs off it) in or out
  // of a node's scope.
  bool IsScopeField(std::string_view type, std::string_view field) const;
};

// A policy version as a node holds it: the built-in one, or one the
// deployment CA signed (docs/sharing.md, "Replacing the policy").
struct HeldPolicy {
  SharingPolicy policy;
  std::string signed_text;  // the signed document, byte for byte; "" for the built-in
  std::string signer;       // the subject of the CA certificate that signed it
  std::string key_id;       // hex SHA-256 of that certificate's public key
  std::string source;       // "built in", "installed", "sync with NODE", "bundle from NODE"
  int64_t installed_at_ms = 0;
  bool built_in() const { return signed_text.empty(); }
};

// Bounds of a retention period, in days (about a hundred years at most).
inline constexpr int kMinRetentionDays = 1;
inline constexpr int kMaxRetentionDays = 36500;

// The policy text a signed document carries, as the CA signed it (its
// `policy` member), without checking the signature: for reading a version
// held here, whose signature was checked when it was taken.
Result<std::string> PolicyTextOfSigned(std::string_view signed_document);

// The largest signed policy a node takes (the built-in text is ~1.3 KB).
inline constexpr size_t kMaxSignedPolicyBytes = 256 * 1024;

// Where one record may go: every node, or the nodes of these parties.
struct RecordScope {
  bool everyone = false;
  std::set<std::string> parties;
  std::string owner_party;  // the party of the office that opened it ("" unknown)
  // The parties that office may be of, as far as this node can tell: just
  // owner_party when it holds the version that opened the record; the
  // parties of every node the earliest version it holds has seen when it
  // does not (it received the record after that field was edited); "" in
  // it for a node whose party it does not know.
  std::set<std::string> possible_owner_parties;
  std::string reason;  // one line, for `accord where` and `get`
  bool Allows(std::string_view party) const {
    return everyone || (!party.empty() && parties.count(std::string(party)) > 0);
  }
};

// The values of a record's scope fields at one moment, as a root rule reads
// them (only those it needs, so they are read on demand).
struct RootValues {
  // The provisional winner's value ("" when cleared or never written).
  std::function<Result<std::string>(const std::string& field)> winner;
  // Every live value, siblings in conflict included ("" for cleared).
  std::function<Result<std::vector<std::string>>(const std::string& field)> live;
};

// Where a record opened by an office of `owner_party` ("" when unknown) may
// go under `rule` (nullptr: its type has no rule and stays with its owner),
// given `values`. One rule for the scope a record has now
// (core/record_scope.cc) and the scopes it had after each change of its
// scope fields (core/scope_history.cc).
Result<RecordScope> ApplyRootRule(const RootRule* rule, const std::string& owner_party,
                                  const RootValues& values);

// The built-in policy's JSON text.
extern const char kDefaultSharingPolicyJson[];

}  // namespace accord
