// Line-based three-way merge for long text fields (minutes, descriptions,
// notes), used to *suggest* a merged value to a conflict reviewer — never
// applied without the reviewer's choice.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace accord {

struct TextMerge {
  bool clean = false;  // the sides changed different lines
  std::string merged;  // with clean: the suggestion
};

// Merges `ours` and `theirs`, both edited from `ancestor`.
TextMerge MergeText(std::string_view ancestor, std::string_view ours, std::string_view theirs);

struct DiffLine {
  char op;  // ' ' kept, '-' removed from the ancestor, '+' added
  std::string text;
};

// A line diff of `changed` against `ancestor` (longest common subsequence).
std::vector<DiffLine> DiffLines(std::string_view ancestor, std::string_view changed);

}  // namespace accord
