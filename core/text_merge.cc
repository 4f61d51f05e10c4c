#include "core/text_merge.h"

#include <algorithm>

namespace accord {

namespace {

std::vector<std::string> SplitLines(std::string_view text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

std::string JoinLines(const std::vector<std::string>& lines) {
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i) out += '\n';
    out += lines[i];
  }
  return out;
}

// For each line of `a`, the index of the line of `b` it is matched to by a
// longest common subsequence, or -1. Quadratic: fine for paragraphs of minutes.
std::vector<int> MatchLines(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  const size_t n = a.size(), m = b.size();
  std::vector<std::vector<int>> lcs(n + 1, std::vector<int>(m + 1, 0));
  for (size_t i = n; i-- > 0;) {
    for (size_t j = m; j-- > 0;) {
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  std::vector<int> match(n, -1);
  size_t i = 0, j = 0;
  while (i < n && j < m) {
    if (a[i] == b[j]) {
      match[i++] = static_cast<int>(j++);
    } else if (lcs[i + 1][j] >= lcs[i][j + 1]) {
      ++i;
    } else {
      ++j;
    }
  }
  return match;
}

std::vector<std::string> Slice(const std::vector<std::string>& v, size_t from, size_t to) {
  return std::vector<std::string>(v.begin() + static_cast<long>(from),
                                  v.begin() + static_cast<long>(to));
}

}  // namespace

TextMerge MergeText(std::string_view ancestor, std::string_view ours, std::string_view theirs) {
  auto base = SplitLines(ancestor), a = SplitLines(ours), b = SplitLines(theirs);
  auto match_a = MatchLines(base, a), match_b = MatchLines(base, b);
  std::vector<std::string> out;
  size_t i = 0, ia = 0, ib = 0;
  while (true) {
    // The next ancestor line both sides kept: a stable point to merge up to.
    size_t next = i;
    while (next < base.size() &&
           (match_a[next] < 0 || match_b[next] < 0 || static_cast<size_t>(match_a[next]) < ia ||
            static_cast<size_t>(match_b[next]) < ib)) {
      ++next;
    }
    size_t end_a = next < base.size() ? static_cast<size_t>(match_a[next]) : a.size();
    size_t end_b = next < base.size() ? static_cast<size_t>(match_b[next]) : b.size();
    auto chunk_base = Slice(base, i, next), chunk_a = Slice(a, ia, end_a),
         chunk_b = Slice(b, ib, end_b);
    if (chunk_a == chunk_base) {
      out.insert(out.end(), chunk_b.begin(), chunk_b.end());
    } else if (chunk_b == chunk_base || chunk_a == chunk_b) {
      out.insert(out.end(), chunk_a.begin(), chunk_a.end());
    } else {
      return TextMerge{false, ""};  // both sides changed the same lines
    }
    if (next >= base.size()) break;
    out.push_back(base[next]);
    i = next + 1;
    ia = end_a + 1;
    ib = end_b + 1;
  }
  return TextMerge{true, JoinLines(out)};
}

std::vector<DiffLine> DiffLines(std::string_view ancestor, std::string_view changed) {
  auto base = SplitLines(ancestor), side = SplitLines(changed);
  auto match = MatchLines(base, side);
  std::vector<DiffLine> diff;
  size_t j = 0;
  for (size_t i = 0; i < base.size(); ++i) {
    if (match[i] < 0) {
      diff.push_back({'-', base[i]});
      continue;
    }
    for (; j < static_cast<size_t>(match[i]); ++j) diff.push_back({'+', side[j]});
    diff.push_back({' ', base[i]});
    j = static_cast<size_t>(match[i]) + 1;
  }
  for (; j < side.size(); ++j) diff.push_back({'+', side[j]});
  return diff;
}

}  // namespace accord
