#include "fuzz/fuzz_support.h"

#include <google/protobuf/stubs/logging.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "core/sha256.h"
#include "sync/signed_changes.h"
#include "sync/sync_session.h"
#include "sync/unit_seal.h"

namespace accord::fuzz {

void Require(bool ok, const std::string& what) {
  if (ok) return;
  std::fprintf(stderr, "fuzz setup failed: %s\n", what.c_str());
  std::abort();
}

void Require(const Status& status, const std::string& what) {
  Require(status.ok(), what + ": " + status.ToString());
}

ScratchDir::ScratchDir(const std::string& prefix) {
  std::string base = std::filesystem::is_directory("/dev/shm")
                         ? std::string("/dev/shm")
                         : std::filesystem::temp_directory_path().string();
  std::string pattern = base + "/" + prefix + "-XXXXXX";
  Require(mkdtemp(pattern.data()) != nullptr, "mkdtemp " + pattern);
  path_ = pattern;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

Deployment& Deployment::Get() {
  static Deployment* deployment = new Deployment();  // outlives every static store
  return *deployment;
}

Deployment::Deployment() {
  Require(sync::MakeDeploymentCa(dir_.File("ca"), "Accord fuzz deployment"), "CA");
  auto verifier = sync::PeerVerifier::Load(dir_.File("ca/ca.pem"), "");
  Require(verifier.status(), "verifier");
  verifier_ = std::make_unique<sync::PeerVerifier>(std::move(verifier).value());
  for (const char* office : kOffices) {
    std::string dir = dir_.File(office);
    Require(sync::MakeNodeCertificate(dir_.File("ca"), office, dir, sync::PartyFromNodeId(office)),
            office);
    auto signer = sync::NodeSigner::Load(dir + "/node.pem", dir + "/node.key");
    Require(signer.status(), office);
    signers_.emplace(office, std::make_unique<sync::NodeSigner>(std::move(signer).value()));
  }
}

const sync::NodeSigner* Deployment::Signer(std::string_view node) const {
  auto it = signers_.find(node);
  return it == signers_.end() ? nullptr : it->second.get();
}

sync::Credentials Deployment::Credentials(std::string_view node) const {
  return {Signer(node), verifier_.get()};
}

StoreTemplate::StoreTemplate(std::string node_id, Build build) {
  template_path_ = dir_.File("template.db");
  path_ = dir_.File("store.db");
  {
    auto store = Store::Create(template_path_, node_id, StoreOptions{clock_.Fn()});
    Require(store.status(), "template store");
    if (build) build(**store);
  }
  // Closed: the WAL is checkpointed into the file and removed.
  Require(!std::filesystem::exists(template_path_ + "-wal"), "template WAL left behind");
}

void StoreTemplate::ResetFile() {
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::filesystem::remove(path_ + suffix, ec);
  }
  std::filesystem::copy_file(template_path_, path_, ec);
  Require(!ec, "copy template: " + ec.message());
  clock_.Reset();
}

std::unique_ptr<Store> StoreTemplate::Fresh() {
  ResetFile();
  auto store = Store::Open(path_, StoreOptions{clock_.Fn()});
  Require(store.status(), "open store copy");
  return std::move(store).value();
}

void Reseal(wire::SignedChanges& changes) {
  const Deployment& deployment = Deployment::Get();
  // position -> hash of each state in the page, per unit.
  std::map<UnitKey, std::map<uint32_t, std::string>> present;
  for (const std::string& bytes : changes.states()) {
    auto v = sync::ParseState(bytes);
    if (!v.ok()) continue;
    auto hash = Sha256Of(bytes);
    if (!hash.ok()) continue;
    present[{v->origin, v->OriginCounter(), v->unit}].emplace(v->unit_position, *hash);
  }
  std::set<std::string> origins;
  for (auto& proof : *changes.mutable_units()) {
    auto* seal = proof.mutable_seal();
    const sync::NodeSigner* signer = deployment.Signer(seal->origin());
    if (!signer || seal->size() == 0 || seal->size() > sync::kMaxUnitSize) continue;
    UnitKey key{seal->origin(), seal->counter(), seal->unit()};
    std::vector<std::string> hashes(seal->size());
    for (const auto& absent : proof.absent()) {
      if (absent.position() < seal->size()) hashes[absent.position()] = absent.hash();
    }
    for (const auto& [position, hash] : present[key]) {
      if (position < seal->size()) hashes[position] = hash;
    }
    bool whole = true;
    for (const auto& h : hashes) whole = whole && h.size() == 32;
    if (!whole) continue;  // UnitSigningInput requires 32-byte hashes
    auto signature = signer->Sign(sync::UnitSigningInput(key, hashes));
    if (!signature.ok()) continue;
    seal->set_key_id(signer->key_id());
    seal->set_signature(*signature);
    origins.insert(seal->origin());
  }
  changes.clear_certificates();
  for (const std::string& origin : origins) {
    const sync::NodeSigner* signer = deployment.Signer(origin);
    auto* cert = changes.add_certificates();
    cert->set_node(origin);
    cert->set_key_id(signer->key_id());
    cert->set_certificate_pem(signer->cert_pem());
  }
}

InProcessTransport::InProcessTransport(Store& server, std::string client_node)
    : service_(server, Deployment::Get().Credentials(server.node_id())),
      client_node_(std::move(client_node)) {}

Result<std::string> InProcessTransport::RoundTrip(std::string_view op, const std::string& request) {
  sync::ServiceReply reply = service_.Handle(op, request, client_node_);
  exchanges.push_back({std::string(op), request, reply.body});
  return reply.body;
}

void SyncOffices(Store& client, Store& server, std::vector<InProcessTransport::Exchange>* frames,
                 uint32_t page_size) {
  InProcessTransport transport(server, client.node_id());
  sync::SyncOptions options;
  options.page_size = page_size;
  auto summary =
      sync::RunSync(client, transport, Deployment::Get().Credentials(client.node_id()), options);
  Require(summary.status(), "sync " + client.node_id() + " with " + server.node_id());
  if (frames) frames->insert(frames->end(), transport.exchanges.begin(), transport.exchanges.end());
}

void MakeConflicts(Store& kh, const std::string& scratch,
                   std::vector<InProcessTransport::Exchange>* frames, uint32_t page_size) {
  FuzzClock clock;
  auto th = Store::Create(scratch + "/TH-MSDHS.db", "TH-MSDHS", StoreOptions{clock.Fn()});
  Require(th.status(), "TH-MSDHS store");
  auto put = [](Store& store, std::vector<RecordWrite> writes) {
    Require(store.PutMany(writes).status(), "put on " + store.node_id());
  };
  put(kh, {{"meeting",
            std::string("mtg-1"),
            {{"title", "Bilateral"}, {"start_date", "2023-01-18"}, {"city", "Siem Reap"}}},
           {"minute",
            std::string("min-6.2"),
            {{"meeting", "mtg-1"},
             {"number", "6.2"},
             {"text",
              "Both sides reviewed the plan.\nIOM will circulate the draft.\n"
              "The next meeting is in June."}}},
           {"minute",
            std::string("min-6.3"),
            {{"meeting", "mtg-1"}, {"number", "6.3"}, {"text", "Next steps."}}}});
  SyncOffices(**th, kh, frames, page_size);
  put(kh, {{"meeting", std::string("mtg-1"), {{"title", "Bilateral meeting (KH)"}}},
           {"minute",
            std::string("min-6.2"),
            {{"text",
              "Both sides reviewed the plan.\nIOM will circulate the draft by May.\n"
              "The next meeting is in June."}}}});
  Require(kh.Delete("min-6.3"), "delete min-6.3");
  put(**th, {{"meeting", std::string("mtg-1"), {{"title", "Bilateral meeting (TH)"}}},
             {"minute",
              std::string("min-6.2"),
              {{"text",
                "Both sides reviewed the plan.\nIOM will circulate the draft.\n"
                "The next meeting is in Bangkok in June."}}},
             {"minute", std::string("min-6.3"), {{"number", "6.3a"}}}});
  SyncOffices(**th, kh, frames, page_size);
}

void QuietProtobuf() {
  google::protobuf::SetLogHandler(
      [](google::protobuf::LogLevel, const char*, int, const std::string&) {});
}

void Note(const char* target, const std::string& what) {
  static const bool verbose = std::getenv("ACCORD_FUZZ_VERBOSE") != nullptr;
  if (verbose) std::fprintf(stderr, "%s: %s\n", target, what.c_str());
}

std::vector<std::string> SplitLines(std::string_view text, size_t n) {
  std::vector<std::string> parts;
  for (size_t i = 0; i < n; ++i) {
    size_t nl = text.find('\n');
    if (nl == std::string_view::npos) {
      parts.emplace_back(text);
      text = {};
    } else {
      parts.emplace_back(text.substr(0, nl));
      text.remove_prefix(nl + 1);
    }
  }
  parts.emplace_back(text);
  return parts;
}

}  // namespace accord::fuzz
