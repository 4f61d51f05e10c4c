// bundle_bench: offline bundles, the way a border office carries its changes.
//
// A border office holds --records x 5 field states. It writes a bundle for
// its capital (everything: the capital has never heard from it), the capital
// verifies and applies it, applies it again (a replayed file), and then the
// office edits 100 fields and writes the next, incremental bundle. Figures:
// bytes per field state (compressed, signed file), create / verify / apply
// speed, and peak RSS of each phase (it must not follow the bundle's size:
// run with --records=200000 for a million states to see it stay flat).
#include <filesystem>

#include "bench/bench_support.h"
#include "sync/bundle.h"
#include "sync/bundle_cipher.h"
#include "sync/identity.h"
#include "sync/signed_changes.h"

namespace accord::bench {
namespace {

const std::string kOffice = "KH-POIPET";
const std::string kCapital = "KH-NCCT";

std::string Mib(long kb) {
  return Fixed(kb / 1024.0, 1);
}

struct Phase {
  double seconds;
  long peak_kb;
};

template <typename Fn>
Phase Measure(Fn fn) {
  bool reset = ResetPeakRss();
  Stopwatch sw;
  fn();
  return {sw.Seconds(), reset ? PeakRssKb() : 0};
}

void Row(Table& t, const std::string& name, uint64_t states, const Phase& p) {
  t.Row({name, Grouped(static_cast<double>(states)), Fixed(p.seconds, 2),
         states ? Grouped(states / p.seconds) : "-", p.peak_kb ? Mib(p.peak_kb) : "-"});
}

int Main(int argc, char** argv) {
  Flags flags(argc, argv, {{"records", "20000"}, {"edits", "100"}});
  int records = static_cast<int>(flags.Int("records"));
  int edits = static_cast<int>(flags.Int("edits"));
  std::cout << "bundle_bench";
  flags.Print(std::cout);
  std::cout << "\n";
  Stopwatch total;
  TempDir dir;
  Check(sync::MakeDeploymentCa(dir.File("ca"), "bench deployment"), "CA");
  for (const std::string& node : {kOffice, kCapital}) {
    Check(sync::MakeNodeCertificate(dir.File("ca"), node, dir.File(node),
                                    sync::PartyFromNodeId(node)),
          "certificate");
  }
  auto signer = Check(
      sync::NodeSigner::Load(dir.File(kOffice + "/node.pem"), dir.File(kOffice + "/node.key")),
      "office key");
  auto verifier = Check(sync::PeerVerifier::Load(dir.File("ca/ca.pem"), ""), "verifier");

  auto office = Check(Store::Create(dir.File(kOffice + ".db"), kOffice), "office store");
  auto capital = Check(Store::Create(dir.File(kCapital + ".db"), kCapital), "capital store");
  Stopwatch fill;
  FillCases(*office, 0, records, 1000);
  std::cout << kOffice << " holds " << records << " case records x " << kCaseFields
            << " fields (built in " << Fixed(fill.Seconds(), 1) << " s); RSS now "
            << Mib(CurrentRssKb()) << " MiB\n\n";

  Table t({"phase", "states", "s", "states/s", "peak RSS MiB"});
  std::string full = dir.File("full.accord-bundle");
  sync::BundleInfo created;
  // The capital's certificate: its party (cases go to KH nodes) and the key
  // the bundle is encrypted for (docs/bundle-format.md, "Encryption").
  auto capital_signer = Check(
      sync::NodeSigner::Load(dir.File(kCapital + "/node.pem"), dir.File(kCapital + "/node.key")),
      "capital key");
  Check(sync::LearnPeerParty(*office, verifier, capital_signer.cert_pem(), kCapital),
        "the capital's party");
  sync::BundleCreateOptions options;
  options.receiver = kCapital;
  options.verifier = &verifier;
  options.receiver_cert_pem = capital_signer.cert_pem();
  Phase create = Measure(
      [&] { created = Check(sync::CreateBundle(*office, signer, full, options), "create"); });
  Row(t, "create (everything the capital lacks)", created.states, create);

  Status verify_error;
  Phase inspect = Measure([&] {
    Check(sync::InspectBundle(full, &verifier, &verify_error), "inspect");
    Check(verify_error, "verify");
  });
  Row(t, "inspect: checksum + signature, no database", created.states, inspect);

  sync::BundleApplyResult applied;
  Phase apply = Measure([&] {
    applied = Check(sync::ApplyBundle(*capital, verifier, full, &capital_signer), "apply");
  });
  Row(t, "apply (verify, then a chunk per transaction)", applied.applied.received, apply);
  if (applied.applied.applied != created.states) Die(Internal("not every state applied"), "apply");

  sync::BundleApplyResult replay;
  Phase again = Measure([&] {
    replay = Check(sync::ApplyBundle(*capital, verifier, full, &capital_signer), "replay");
  });
  Row(t, "apply the same file again (replay)", replay.applied.received, again);
  if (replay.applied.applied != 0) Die(Internal("a replay changed something"), "replay");
  t.Print(std::cout);

  // The capital's acknowledgement reaches the office; then a day of edits.
  std::string ack = dir.File("ack.accord-bundle");
  Check(sync::CreateAck(*capital, capital_signer, ack, kOffice), "ack");
  Check(sync::ApplyBundle(*office, verifier, ack), "apply ack");
  for (int e = 0; e < edits; ++e) {
    RecordWrite w = CaseWrite((e * 7919) % records, 1, 1);
    Check(office->Put(w), "edit");
  }
  std::string next = dir.File("next.accord-bundle");
  Stopwatch sw;
  sync::BundleInfo incremental = Check(sync::CreateBundle(*office, signer, next, options), "next");
  double next_s = sw.Seconds();

  // What the encryption itself costs: the key agreement on both sides, then
  // sealing and opening as many bytes as the full file holds, in chunks of
  // the same average size.
  {
    auto capital_key = Check(verifier.VerifyOriginCertificate(capital_signer.cert_pem()),
                             "the capital's certificate");
    std::string chunk(
        static_cast<size_t>(created.file_bytes / std::max<uint64_t>(1, created.chunks)), 'x');
    Stopwatch cipher_sw;
    auto sealer = Check(sync::BundleCipher::ForReceiver(capital_key), "sealer");
    auto opener =
        Check(sync::BundleCipher::ForThisNode(capital_signer, sealer.ephemeral_public_der(),
                                              sealer.receiver_key_id()),
              "opener");
    for (uint64_t i = 0; i < created.chunks; ++i) {
      std::string sealed = Check(sealer.Seal(i, chunk), "seal");
      Check(opener.Open(i, sealed), "open");
    }
    std::cout << "\nencryption alone (ECDH both ways, then XChaCha20-Poly1305 over "
              << Grouped(static_cast<double>(chunk.size() * created.chunks))
              << " bytes, sealed and opened): " << Fixed(cipher_sw.Seconds() * 1000, 1) << " ms\n";
  }

  std::cout << "\nfull bundle: " << Grouped(static_cast<double>(created.file_bytes))
            << " bytes for " << Grouped(static_cast<double>(created.states)) << " field states = "
            << Fixed(static_cast<double>(created.file_bytes) / created.states, 1)
            << " bytes/state (zstd, signed, " << created.chunks << " chunks, "
            << (created.encrypted ? "encrypted" : "in clear") << ")\n";
  std::cout << "after the capital's acknowledgement, " << edits << " edits: next bundle "
            << Grouped(static_cast<double>(incremental.file_bytes)) << " bytes, "
            << incremental.states << " states, written in " << Fixed(next_s * 1000, 1) << " ms\n";
  std::cout << "\ntotal " << Fixed(total.Seconds(), 1) << " s, peak RSS " << Mib(PeakRssKb())
            << " MiB\n";
  return 0;
}

}  // namespace
}  // namespace accord::bench

int main(int argc, char** argv) {
  return accord::bench::Main(argc, argv);
}
