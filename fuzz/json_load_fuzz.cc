// The `accord load` JSON loader: ParseLoadDocument, and for a document that
// parses, Store::PutMany into a store reset from an empty one afterwards,
// then the canonical dump of what went in.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "core/json_codec.h"
#include "fuzz/fuzz_support.h"

namespace accord::fuzz {
namespace {

// More records than this in one input would make single inputs slow without
// reaching new code: the loader treats each record alike.
constexpr size_t kMaxRecords = 500;

struct Harness {
  StoreTemplate base{"KH-NCCT"};
  std::unique_ptr<Store> store = base.Fresh();
};

}  // namespace
}  // namespace accord::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace accord;
  using namespace accord::fuzz;
  static Harness* harness = new Harness();
  std::string text(reinterpret_cast<const char*>(data), size);
  auto writes = ParseLoadDocument(text);
  if (!writes.ok() || writes->size() > kMaxRecords) return 0;
  Store& store = *harness->store;
  auto ids = store.PutMany(*writes);
  Note("json_load", "put " + std::to_string(writes->size()) + ": " + ids.status().ToString());
  if (!ids.ok()) return 0;  // all or nothing: the store is unchanged
  std::ostringstream dump;
  (void)store.Dump(dump);
  for (const std::string& id : *ids) {
    auto record = store.Get(id);
    if (record.ok()) (void)RecordJson(*record).dump();
  }
  (void)store.GetStatus();
  harness->store.reset();
  harness->store = harness->base.Fresh();
  return 0;
}
