#include "core/search_text.h"

#include <utf8proc.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>

namespace accord {

namespace {

// The length of the UTF-8 sequence starting at `pos` (1 for a malformed byte).
size_t SequenceLength(std::string_view text, size_t pos) {
  utf8proc_int32_t cp = 0;
  auto n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(text.data() + pos),
                            static_cast<utf8proc_ssize_t>(text.size() - pos), &cp);
  return n > 0 ? static_cast<size_t>(n) : 1;
}

std::string Nfc(std::string_view text) {
  std::string copy(text);
  if (copy.find('\0') != std::string::npos) return copy;  // utf8proc_NFC stops at a NUL
  std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> nfc(
      utf8proc_NFC(reinterpret_cast<const utf8proc_uint8_t*>(copy.c_str())), &std::free);
  return nfc ? std::string(reinterpret_cast<const char*>(nfc.get())) : copy;
}

void AppendCodePoint(std::string& out, utf8proc_int32_t cp) {
  utf8proc_uint8_t bytes[4];
  auto n = utf8proc_encode_char(cp, bytes);
  out.append(reinterpret_cast<const char*>(bytes), static_cast<size_t>(n));
}

bool IsSpace(utf8proc_int32_t cp) {
  auto category = utf8proc_category(cp);
  return cp == '\t' || cp == '\n' || cp == '\r' || category == UTF8PROC_CATEGORY_ZS ||
         category == UTF8PROC_CATEGORY_ZL || category == UTF8PROC_CATEGORY_ZP;
}

// Folds one NFC text; `source` maps back into `text` itself.
FoldedText FoldNfc(std::string_view text) {
  FoldedText out;
  out.folded.reserve(text.size());
  out.source.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    utf8proc_int32_t cp = 0;
    auto n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(text.data() + pos),
                              static_cast<utf8proc_ssize_t>(text.size() - pos), &cp);
    if (n <= 0) {  // a malformed byte stands for itself
      out.folded += text[pos];
      out.source.push_back(pos);
      ++pos;
      continue;
    }
    utf8proc_int32_t folded[8];
    int last_boundclass = 0;
    auto count = utf8proc_decompose_char(cp, folded, 8, UTF8PROC_CASEFOLD, &last_boundclass);
    if (count <= 0 || count > 8) {
      AppendCodePoint(out.folded, cp);
    } else {
      for (int i = 0; i < count; ++i) AppendCodePoint(out.folded, folded[i]);
    }
    out.source.resize(out.folded.size(), pos);
    pos += static_cast<size_t>(n);
  }
  return out;
}

}  // namespace

FoldedText FoldForSearch(std::string_view text) {
  return FoldNfc(Nfc(text));
}

std::vector<std::string> SearchTerms(std::string_view query) {
  std::string folded = FoldForSearch(query).folded;
  std::vector<std::string> terms;
  std::string current;
  auto flush = [&] {
    if (!current.empty() && std::find(terms.begin(), terms.end(), current) == terms.end()) {
      terms.push_back(current);
    }
    current.clear();
  };
  size_t pos = 0;
  while (pos < folded.size()) {
    size_t n = SequenceLength(folded, pos);
    utf8proc_int32_t cp = 0;
    utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(folded.data() + pos),
                     static_cast<utf8proc_ssize_t>(n), &cp);
    if (IsSpace(cp)) {
      flush();
    } else {
      current.append(folded, pos, n);
    }
    pos += n;
  }
  flush();
  return terms;
}

size_t CodePointCount(std::string_view text) {
  size_t count = 0;
  for (size_t pos = 0; pos < text.size(); pos += SequenceLength(text, pos)) ++count;
  return count;
}

std::optional<TextMatch> MatchAllTerms(std::string_view value,
                                       const std::vector<std::string>& terms, double weight) {
  if (terms.empty()) return std::nullopt;
  // Stored values are NFC already (core/text_rule.h); folding maps back into
  // the value as given.
  FoldedText text = FoldNfc(value);
  TextMatch match;
  size_t covered = 0;  // bytes of the folded value the terms' occurrences cover
  bool first = true;
  for (const std::string& term : terms) {
    size_t at = text.folded.find(term);
    if (at == std::string::npos) return std::nullopt;
    if (first || text.source[at] < match.first_byte) {
      size_t end = at + term.size();
      size_t source_end = end < text.source.size() ? text.source[end] : value.size();
      match.first_byte = text.source[at];
      match.first_length = source_end - match.first_byte;
      first = false;
    }
    for (; at != std::string::npos; at = text.folded.find(term, at + term.size())) {
      covered += term.size();
    }
  }
  // Coverage (0..1], softened so that one mention in a paragraph still
  // counts: sqrt keeps a 10-word title far above a 300-word minute without
  // making the minute vanish.
  double share = std::min(1.0, static_cast<double>(covered) /
                                   static_cast<double>(std::max<size_t>(text.folded.size(), 1)));
  match.score = weight * std::sqrt(share);
  return match;
}

std::string SearchSnippet(std::string_view value, const TextMatch& match, size_t context) {
  // Byte offsets where a user-perceived character (a grapheme cluster)
  // starts: a Thai or Khmer vowel sign or tone mark is never cut from its
  // consonant.
  std::vector<size_t> starts;
  utf8proc_int32_t previous = -1;
  utf8proc_int32_t state = 0;
  for (size_t pos = 0; pos < value.size();) {
    utf8proc_int32_t cp = 0;
    auto n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(value.data() + pos),
                              static_cast<utf8proc_ssize_t>(value.size() - pos), &cp);
    if (n <= 0) cp = 0xFFFD;
    if (previous < 0 || utf8proc_grapheme_break_stateful(previous, cp, &state)) {
      starts.push_back(pos);
    }
    previous = cp;
    pos += n > 0 ? static_cast<size_t>(n) : 1;
  }
  starts.push_back(value.size());
  auto cluster_at = [&](size_t byte) {  // the cluster holding `byte`
    return static_cast<size_t>(std::upper_bound(starts.begin(), starts.end(), byte) -
                               starts.begin() - 1);
  };
  size_t match_end = std::min(value.size(), match.first_byte + match.first_length);
  size_t first = cluster_at(match.first_byte);
  size_t last = match_end == 0 ? 0 : cluster_at(match_end - 1) + 1;  // one past
  size_t from = first > context ? first - context : 0;
  size_t to = std::min(starts.size() - 1, last + context);
  size_t match_from = starts[first], match_to = starts[last];
  std::string out;
  if (from > 0) out += "…";
  out.append(value.substr(starts[from], match_from - starts[from]));
  out += "[";
  out.append(value.substr(match_from, match_to - match_from));
  out += "]";
  out.append(value.substr(match_to, starts[to] - match_to));
  if (starts[to] < value.size()) out += "…";
  for (char& c : out) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  return out;
}

}  // namespace accord
