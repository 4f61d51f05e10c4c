// What the fuzz targets share: one deployment per process (a CA and three
// offices with keys, made at start-up in a scratch folder), stores reset from
// a template file, and "resealing": signing a page's units again with the
// offices' keys, as a dishonest but enrolled origin could. Resealing lets a
// mutated page get past the signatures to the store's own checks, and keeps
// committed seeds useful whatever CA a run makes.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "accord_sync.pb.h"
#include "core/store.h"
#include "sync/identity.h"
#include "sync/sync_service.h"
#include "sync/transport.h"

namespace accord::fuzz {

// The offices every target knows; seeds name them.
inline constexpr const char* kOffices[] = {"KH-NCCT", "TH-MSDHS", "KH-POIPET"};

// A folder removed at exit, in /dev/shm when there is one (stores are
// written every iteration).
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& prefix);
  ~ScratchDir();
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

class Deployment {
 public:
  // Made on first use; aborts if the PKI cannot be made (nothing to fuzz).
  static Deployment& Get();

  // The office's key, or null for any other name.
  const sync::NodeSigner* Signer(std::string_view node) const;
  const sync::PeerVerifier& verifier() const { return *verifier_; }
  sync::Credentials Credentials(std::string_view node) const;

 private:
  Deployment();
  ScratchDir dir_{"accord-fuzz-pki"};
  std::unique_ptr<sync::PeerVerifier> verifier_;
  std::map<std::string, std::unique_ptr<sync::NodeSigner>, std::less<>> signers_;
};

// A clock that starts again at the same time whenever a store is reset, so
// that one input always meets the same store.
struct FuzzClock {
  std::shared_ptr<int64_t> now = std::make_shared<int64_t>(kStart);
  static constexpr int64_t kStart = 1'760'000'000'000;
  std::function<int64_t()> Fn() const {
    auto n = now;
    return [n] { return (*n)++; };
  }
  void Reset() const { *now = kStart; }
};

// A database file built once (by `build`, on a store that is then closed)
// and copied back before each use, so every input meets the same store.
class StoreTemplate {
 public:
  using Build = std::function<void(Store&)>;
  StoreTemplate(std::string node_id, Build build = nullptr);

  // A fresh copy of the template, open. The previous one must be closed.
  std::unique_ptr<Store> Fresh();
  // Copies the template over `path` (closed) without opening it.
  void ResetFile();
  const std::string& path() const { return path_; }
  const FuzzClock& clock() const { return clock_; }

 private:
  ScratchDir dir_{"accord-fuzz-store"};
  std::string template_path_;
  std::string path_;
  FuzzClock clock_;
};

// Signs every unit proof of `changes` whose origin is an office again, over
// the member hashes the page implies (its states at their positions, the
// absent hashes as given), and replaces the certificates with the offices'.
void Reseal(wire::SignedChanges& changes);

// Hands requests straight to a peer's SyncService and keeps every exchange:
// the frames of a real sync, for seeds.
class InProcessTransport : public sync::Transport {
 public:
  struct Exchange {
    std::string op, request, reply;
  };
  InProcessTransport(Store& server, std::string client_node);
  Result<std::string> RoundTrip(std::string_view op, const std::string& request) override;
  std::vector<Exchange> exchanges;

 private:
  sync::SyncService service_;
  std::string client_node_;
};

// A sync of `client` with `server`, both offices; `frames` (if given) gets
// its exchanges.
void SyncOffices(Store& client, Store& server,
                 std::vector<InProcessTransport::Exchange>* frames = nullptr,
                 uint32_t page_size = 1000);

// The review scenario: KH-NCCT (`kh`) and TH-MSDHS (made in `scratch`) edit
// the same meeting title, minute text and case status concurrently, and
// TH-MSDHS edits a record KH-NCCT deletes; after a sync `kh` holds those
// conflicts. `frames` gets the syncs' exchanges.
void MakeConflicts(Store& kh, const std::string& scratch,
                   std::vector<InProcessTransport::Exchange>* frames = nullptr,
                   uint32_t page_size = 1000);

// Aborts with `what` when a setup step fails: a harness that cannot set up
// would report every input as fine.
void Require(bool ok, const std::string& what);
void Require(const Status& status, const std::string& what);

// Silences protobuf's log: it prints a line for every string field that is
// not UTF-8, which is most mutated messages, and the writes slow a run down.
void QuietProtobuf();

// With ACCORD_FUZZ_VERBOSE set, prints how far an input got (to check that
// seeds reach what they are meant to): `target: what`.
void Note(const char* target, const std::string& what);

// Splits `text` at the first `n` newlines: n + 1 parts, the last the rest
// (missing parts are empty).
std::vector<std::string> SplitLines(std::string_view text, size_t n);

}  // namespace accord::fuzz
