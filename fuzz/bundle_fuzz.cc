// The bundle reader: InspectBundle, then ApplyBundle into a fresh store, on a
// file holding the input.
//
// Input: one mode byte, then a bundle. Mode bit 0 set: the rest is written
// as it is, which fuzzes the file checks (sections, checksum, seal). Clear:
// the rest is a bundle *before sealing*: magic, header, chunks as plain
// SignedChanges (not compressed), the empty section, the summary, and
// nothing after. The harness compresses each chunk (mode bit 1: signing its
// units again with the offices' keys), appends the checksum and a seal by
// the header's sender (an office; KH-NCCT for any other name), and so lets
// mutations reach everything after verification, as a file from an
// enrolled but buggy or dishonest node would. Mode bit 2: the first apply
// stops after its first chunk and a second apply resumes it.
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <optional>
#include <string>

#include "accord_bundle.pb.h"
#include "core/hex.h"
#include "core/sha256.h"
#include "fuzz/fuzz_support.h"
#include "sync/bundle.h"
#include "sync/wire_codec.h"

namespace accord::fuzz {
namespace {

constexpr char kSelf[] = "TH-MSDHS";

std::string U32(uint32_t n) {
  std::string out(4, '\0');
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return out;
}

// Reads the sections of an unsealed bundle.
class Sections {
 public:
  explicit Sections(std::string_view data) : data_(data) {}
  bool Take(size_t n, std::string_view* out) {
    if (data_.size() < n) return false;
    *out = data_.substr(0, n);
    data_.remove_prefix(n);
    return true;
  }
  bool Section(std::string_view* out) {
    std::string_view length;
    if (!Take(4, &length)) return false;
    uint32_t n = 0;
    for (int i = 3; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(length[i]);
    return Take(n, out);
  }

 private:
  std::string_view data_;
};

// The sealed file for an unsealed bundle, or nullopt if `unsealed` is not one.
std::optional<std::string> Seal(std::string_view unsealed, bool reseal_units) {
  Sections in(unsealed);
  std::string_view magic, header, chunk, summary;
  if (!in.Take(8, &magic) || !in.Section(&header)) return std::nullopt;
  std::string file(magic);
  file += U32(static_cast<uint32_t>(header.size()));
  file += header;
  while (true) {
    if (!in.Section(&chunk)) return std::nullopt;
    if (chunk.empty()) break;
    std::string plain(chunk);
    if (reseal_units) {
      wire::SignedChanges changes;
      if (changes.ParseFromString(plain)) {
        Reseal(changes);
        plain = changes.SerializeAsString();
      }
    }
    auto compressed = sync::Compress(plain, 1);
    if (!compressed.ok()) return std::nullopt;
    file += U32(static_cast<uint32_t>(compressed->size()));
    file += *compressed;
  }
  if (!in.Section(&summary)) return std::nullopt;
  file += U32(0);
  file += U32(static_cast<uint32_t>(summary.size()));
  file += summary;
  auto digest = Sha256Of(file);
  if (!digest.ok()) return std::nullopt;
  file += *digest;
  wire::BundleHeader parsed;
  const sync::NodeSigner* signer = nullptr;
  if (parsed.ParseFromArray(header.data(), static_cast<int>(header.size()))) {
    signer = Deployment::Get().Signer(parsed.sender());
  }
  if (!signer) signer = Deployment::Get().Signer("KH-NCCT");
  auto signature = signer->Sign("accord-bundle-v1\n" + HexEncode(*digest));
  if (!signature.ok()) return std::nullopt;
  wire::BundleSeal seal;
  seal.set_signature(*signature);
  seal.set_certificate_pem(signer->cert_pem());
  std::string seal_bytes = seal.SerializeAsString();
  file += U32(static_cast<uint32_t>(seal_bytes.size()));
  file += seal_bytes;
  return file;
}

struct Harness {
  StoreTemplate base{kSelf};
  ScratchDir files{"accord-fuzz-bundle"};
  std::string path = files.File("in.accord-bundle");
};

}  // namespace
}  // namespace accord::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  accord::fuzz::QuietProtobuf();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace accord;
  using namespace accord::fuzz;
  static Harness* harness = new Harness();
  if (size < 1) return 0;
  const uint8_t mode = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  std::string file(rest);
  if (!(mode & 1)) {
    auto sealed = Seal(rest, mode & 2);
    if (sealed) file = std::move(*sealed);
  }
  {
    std::ofstream out(harness->path, std::ios::binary | std::ios::trunc);
    out.write(file.data(), static_cast<std::streamsize>(file.size()));
    Require(static_cast<bool>(out), "write the bundle file");
  }
  const sync::PeerVerifier& verifier = Deployment::Get().verifier();
  Status verify_error;
  auto inspected = sync::InspectBundle(harness->path, &verifier, &verify_error);
  Note("bundle",
       "inspect: " + (inspected.ok() ? verify_error.ToString() : inspected.status().ToString()));
  if (!verify_error.ok()) {
    // Refused before anything is parsed; ApplyBundle would refuse it the
    // same way (checked on the seeds), so skip the store copy.
    if (!(mode & 4)) return 0;
  }
  std::unique_ptr<Store> store = harness->base.Fresh();
  // This node's key opens what is encrypted for it (format 4).
  const sync::NodeSigner* own_key = Deployment::Get().Signer(kSelf);
  if (mode & 4) {
    auto stop_after_first = [](uint64_t) { return true; };
    (void)sync::ApplyBundle(*store, verifier, harness->path, own_key, {}, stop_after_first);
  }
  auto applied = sync::ApplyBundle(*store, verifier, harness->path, own_key);
  Note("bundle",
       "apply: " + (applied.ok() ? std::to_string(applied->applied.applied) + " applied, " +
                                       std::to_string(applied->applied.refused.size()) + " refused"
                                 : applied.status().ToString()));
  return 0;
}
