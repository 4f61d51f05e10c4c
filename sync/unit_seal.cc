#include "sync/unit_seal.h"

namespace accord::sync {

UnitKey KeyOf(const wire::UnitSeal& seal) {
  return {seal.origin(), seal.counter(), seal.unit()};
}

UnitKey KeyOf(const FieldVersion& state) {
  return {state.origin, state.UnitCounter(), state.unit};
}

std::string UnitSigningInput(const UnitKey& key, const std::vector<std::string>& member_hashes) {
  std::string input = "accord-unit-v1\n";
  input.append(key.origin).append("\n");
  input.append(std::to_string(key.counter)).append("\n");
  input.append(std::to_string(key.unit)).append("\n");
  input.append(std::to_string(member_hashes.size())).append("\n");
  for (const auto& h : member_hashes) input.append(h);
  return input;
}

}  // namespace accord::sync
