// Writes the seed corpus of every fuzz target from real inputs:
//   fuzz_make_corpus OUT_DIR SAMPLE_JSON
// OUT_DIR/<target>/seed-* : frames of a real sync between two offices (each
// request and reply), a real bundle and acknowledgement, the sample data and
// the malformed load files the CLI tests use, signed request headers, and
// review API requests. The committed fuzz/corpus/ was made with it and then
// grown and minimised by fuzzing (scripts/fuzz.sh, docs/fuzzing.md).
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "fuzz/fuzz_support.h"
#include "net/request_signing.h"
#include "sync/bundle.h"
#include "sync/wire_codec.h"

namespace accord::fuzz {
namespace {

class Seeds {
 public:
  Seeds(const std::string& root, const std::string& target) : dir_(root + "/" + target) {
    std::filesystem::create_directories(dir_);
  }
  void Add(const std::string& name, std::string_view bytes) {
    std::ofstream out(dir_ + "/seed-" + name, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    Require(static_cast<bool>(out), "write seed " + name);
  }
  void Add(const std::string& name, uint8_t mode, std::string_view bytes) {
    Add(name, std::string(1, static_cast<char>(mode)) + std::string(bytes));
  }

 private:
  std::string dir_;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  Require(static_cast<bool>(in), "read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Plain(const std::string& frame) {
  auto plain = sync::Decompress(frame, sync::kMaxFrameBytes);
  Require(plain.status(), "decompress a frame");
  return *plain;
}

void FrameSeeds(const std::string& root, const std::vector<InProcessTransport::Exchange>& frames) {
  Seeds seeds(root, "frame");
  int n = 0;
  for (const auto& e : frames) {
    std::string name = std::to_string(++n) + "-" + e.op;
    // Plain envelopes, units signed again by the harness (mode 2).
    seeds.Add(name + "-request", 2, Plain(e.request));
    seeds.Add(name + "-reply", 2, Plain(e.reply));
  }
  // Two as sent, compressed (mode 1), and an error reply.
  seeds.Add("raw-request", 1, frames.front().request);
  seeds.Add("raw-reply", 1, frames.back().reply);
  auto error = sync::EncodeError(FailedPrecondition("push starts after sequence 9"), "TH-MSDHS", 4);
  Require(error.status(), "error frame");
  seeds.Add("error", 0, Plain(*error));
}

// A sealed bundle back to its unsealed form (fuzz/bundle_fuzz.cc): chunks
// decompressed, no checksum or seal.
std::string Unseal(const std::string& file) {
  std::string_view in(file);
  std::string out(in.substr(0, 8));
  in.remove_prefix(8);
  auto section = [&in]() {
    uint32_t n = 0;
    for (int i = 3; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(in[i]);
    std::string_view s = in.substr(4, n);
    in.remove_prefix(4 + n);
    return s;
  };
  auto u32 = [](size_t n) {
    std::string s(4, '\0');
    for (int i = 0; i < 4; ++i) s[i] = static_cast<char>((n >> (8 * i)) & 0xff);
    return s;
  };
  std::string_view header = section();
  out += u32(header.size()) + std::string(header);
  while (true) {
    std::string_view chunk = section();
    if (chunk.empty()) break;
    std::string plain = Plain(std::string(chunk));
    out += u32(plain.size()) + plain;
  }
  out += u32(0);
  std::string_view summary = section();
  out += u32(summary.size()) + std::string(summary);
  return out;
}

void BundleSeeds(const std::string& root, Store& kh, const std::string& scratch) {
  Seeds seeds(root, "bundle");
  const sync::NodeSigner& signer = *Deployment::Get().Signer("KH-NCCT");
  sync::BundleCreateOptions options;
  options.receiver = "TH-MSDHS";
  options.from_scratch = true;
  options.chunk_states = 4;
  std::string path = scratch + "/kh.accord-bundle";
  Require(sync::CreateBundle(kh, signer, path, options).status(), "bundle");
  std::string file = ReadFile(path);
  seeds.Add("changes", 2, Unseal(file));
  seeds.Add("changes-resumed", 6, Unseal(file));
  seeds.Add("changes-raw", 1, file);
  std::string ack = scratch + "/kh.ack";
  Require(sync::CreateAck(kh, signer, ack, "TH-MSDHS").status(), "ack");
  seeds.Add("ack", 0, Unseal(ReadFile(ack)));
}

void JsonSeeds(const std::string& root, const std::string& sample_path) {
  Seeds seeds(root, "json_load");
  std::string sample = ReadFile(sample_path);
  seeds.Add("sample", sample);
  // The first records of the sample: small inputs that load.
  auto doc = nlohmann::json::parse(sample);
  nlohmann::json head = {{"records", nlohmann::json::array()}};
  for (size_t i = 0; i < 12 && i < doc["records"].size(); ++i) {
    head["records"].push_back(doc["records"][i]);
  }
  seeds.Add("sample-head", head.dump(1));
  // The malformed load files of tests/cli_test.cc.
  seeds.Add("bad",
            "{\"records\": [{\"type\": \"plan\", \"id\": \"p1\", \"title\": \"ok\"}, "
            "{\"type\": \"plan\", \"id\": \"p2\", \"status\": \"approved\"}]}");
  seeds.Add("broken", "{\"records\": [");
  seeds.Add("dangling",
            "{\"records\": [{\"type\": \"objective\", \"plan\": \"nope\", \"number\": \"9\", "
            "\"text\": \"t\"}]}");
  // The other forms the loader takes: an array, integers and nulls.
  seeds.Add("array",
            "[{\"type\": \"meeting\", \"id\": \"mtg-1\", \"title\": \"Bilateral\", "
            "\"start_date\": \"2023-01-18\", \"city\": null},"
            " {\"type\": \"minute\", \"meeting\": \"mtg-1\", \"number\": 6, "
            "\"text\": \"Both sides reviewed the plan.\"}]");
}

void RequestAuthSeeds(const std::string& root,
                      const std::vector<InProcessTransport::Exchange>& frames) {
  Seeds seeds(root, "request_auth");
  const sync::NodeSigner& kh = *Deployment::Get().Signer("KH-NCCT");
  const std::string session = "000102030405060708090a0b0c0d0e0f";
  auto lines = [](std::vector<std::string> fields) {
    std::string out;
    for (size_t i = 0; i < fields.size(); ++i) out += (i ? "\n" : "") + fields[i];
    return out;
  };
  int n = 0;
  for (const auto& e : frames) {
    if (++n > 4) break;
    bool hello = e.op == "hello";
    seeds.Add(std::to_string(n) + "-" + e.op,
              lines({e.op, "KH-NCCT", "TH-MSDHS", hello ? "-" : session, hello ? "0" : "1", "@",
                     "@", "KH-NCCT", e.request}));
  }
  // With a real certificate and signature as sent (from the PKI this
  // generator made: another CA than a fuzz run's).
  std::string body = frames.front().request;
  auto input = net::RequestSigningInput({"hello", "KH-NCCT", "TH-MSDHS", "-", 0}, body);
  Require(input.status(), "signing input");
  auto signature = kh.Sign(*input);
  Require(signature.status(), "sign");
  seeds.Add("signed-hello",
            lines({"hello", "KH-NCCT", "TH-MSDHS", "-", "0", sync::Base64Encode(kh.cert_pem()),
                   sync::Base64Encode(*signature), "KH-NCCT", body}));
  seeds.Add("other-server",
            lines({"pull", "KH-NCCT", "KH-POIPET", session, "7", "@", "@", "KH-NCCT", "x"}));
  seeds.Add("relayed",
            lines({"push", "KH-POIPET", "TH-MSDHS", session, "2", "@", "@", "KH-NCCT", "x"}));
  seeds.Add("form", lines({"pull", "KH-NCCT", "TH-MSDHS", "-", "3", "@", "@", "KH-NCCT",
                           "a=1&b=x%20y+z&c=%zz&&d"}));
}

void ReviewSeeds(const std::string& root) {
  Seeds seeds(root, "review_api");
  const std::string local = "host: 127.0.0.1:8080\norigin: http://127.0.0.1:8080\n";
  seeds.Add("page", "GET /\nhost: 127.0.0.1:8080\n\n");
  seeds.Add("status", "GET /api/status\n" + local + "\n");
  seeds.Add("list", "GET /api/conflicts?type=minute&offset=0&limit=2\n" + local + "\n");
  seeds.Add("list-all", "GET /api/conflicts?offset=1&limit=999999999999999999999\n\n");
  seeds.Add("one", "GET /api/conflicts/@1\n" + local + "\n");
  seeds.Add("take", "POST /api/conflicts/@1/resolve\n" + local + "\n{\"take\": \"KH-NCCT\"}");
  seeds.Add("value",
            "POST /api/conflicts/@2/resolve\n" + local +
                "\n{\"value\": \"Both sides reviewed the plan.\", \"by\": \"Officer Dara\"}");
  seeds.Add("clear", "POST /api/conflicts/@3/resolve\n" + local + "\n{\"value\": null}");
  seeds.Add("take-other", "POST /api/conflicts/@3/resolve\n" + local +
                              "\n{\"take\": \"TH-MSDHS\", \"by\": \"Somchai\"}");
  seeds.Add("not-json", "POST /api/conflicts/@1/resolve\n" + local + "\n{\"take\": ");
  seeds.Add("cross-site",
            "POST /api/conflicts/@1/resolve\nhost: 127.0.0.1:8080\n"
            "sec-fetch-site: cross-site\norigin: http://evil.example\n\n{}");
  seeds.Add("unknown", "DELETE /api/conflicts/@1\n" + local + "\n");
  // The office's page's read-only views (server/office_api.h).
  seeds.Add("actions",
            "GET /api/actions?open=1&overdue=1&party=KH&today=2023-06-14\n" + local + "\n");
  seeds.Add("plans", "GET /api/plans\n" + local + "\n");
  seeds.Add("plan", "GET /api/plan?id=mtg-1\n" + local + "\n");
  seeds.Add("search", "GET /api/search?q=reviewed+the&type=minute&limit=3\n" + local + "\n");
  seeds.Add("record", "GET /api/record?id=min-6.2\n" + local + "\n");
  seeds.Add("record-meeting", "GET /api/record?id=mtg-1\n" + local + "\n");
}

}  // namespace
}  // namespace accord::fuzz

int main(int argc, char** argv) {
  using namespace accord;
  using namespace accord::fuzz;
  if (argc != 3) {
    std::cerr << "usage: fuzz_make_corpus OUT_DIR SAMPLE_JSON\n";
    return 2;
  }
  std::string root = argv[1];
  ScratchDir scratch("accord-fuzz-corpus");
  FuzzClock clock;
  auto kh = Store::Create(scratch.File("KH-NCCT.db"), "KH-NCCT", StoreOptions{clock.Fn()});
  Require(kh.status(), "KH-NCCT store");
  std::vector<InProcessTransport::Exchange> frames;
  MakeConflicts(**kh, scratch.path(), &frames, /*page_size=*/3);
  FrameSeeds(root, frames);
  BundleSeeds(root, **kh, scratch.path());
  JsonSeeds(root, argv[2]);
  RequestAuthSeeds(root, frames);
  ReviewSeeds(root);
  std::cout << "seeds written to " << root << "\n";
  return 0;
}
