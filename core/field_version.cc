#include "core/field_version.h"

#include <algorithm>
#include <tuple>

#include "core/sha256.h"

namespace accord {

bool UnitKey::operator<(const UnitKey& o) const {
  return std::tie(origin, counter, unit) < std::tie(o.origin, o.counter, o.unit);
}

bool UnitKey::operator==(const UnitKey& o) const {
  return origin == o.origin && counter == o.counter && unit == o.unit;
}

std::string UnitKey::ToString() const {
  return origin + ":" + std::to_string(counter) + "#" + std::to_string(unit);
}

Result<size_t> ProvisionalWinner(const std::vector<const FieldVersion*>& live) {
  if (live.size() < 2) return size_t{0};
  std::vector<std::string> vectors;
  vectors.reserve(live.size());
  for (const FieldVersion* v : live) vectors.push_back(v->version.ToText());
  std::vector<std::string> sorted = vectors;
  std::sort(sorted.begin(), sorted.end());
  std::string all;
  for (const auto& text : sorted) all += text + "\n";
  ASSIGN_OR_RETURN(std::string seed, Sha256Of(all));
  size_t best = 0;
  std::string best_score;
  for (size_t i = 0; i < vectors.size(); ++i) {
    ASSIGN_OR_RETURN(std::string score, Sha256Of(seed + vectors[i]));
    if (i == 0 || score < best_score) {
      best = i;
      best_score = std::move(score);
    }
  }
  return best;
}

}  // namespace accord
