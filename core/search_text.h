// Matching and ranking for `accord search` (docs/search.md), apart from
// storage: the same rules judge a value from the full-text index and a
// personal value read (and opened) at search time, so both rank alike.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace accord {

// Text folded for comparison: NFC, then each code point case-folded
// (Unicode's full folding: "Đà Nẵng" and "đà nẵng" compare equal; marks stay,
// so "Viet" does not match "Việt"). `source[i]` is the byte of the original
// text that folded byte i came from, so a match maps back to what was typed.
struct FoldedText {
  std::string folded;
  std::vector<size_t> source;
};
FoldedText FoldForSearch(std::string_view text);

// The words of a query: folded, split at white space, duplicates dropped, in
// the order typed. Thai and Khmer put no spaces between words, so a "word"
// here is whatever the officer typed between spaces.
std::vector<std::string> SearchTerms(std::string_view query);

// Unicode code points in UTF-8 text (malformed bytes count one each).
size_t CodePointCount(std::string_view text);

// Where a value matches every term, and how well. The score grows with the
// share of the value the terms cover, so a title that is the words ranks
// above a long minute that mentions them once; `weight` scales it (label
// fields count double).
struct TextMatch {
  double score = 0;
  size_t first_byte = 0;    // in the original value: the first match
  size_t first_length = 0;  // its length in the original value's bytes
};
std::optional<TextMatch> MatchAllTerms(std::string_view value,
                                       const std::vector<std::string>& terms, double weight = 1);

// The value around a match, at most `context` characters (grapheme
// clusters: a Thai vowel stays with its consonant) each side, the match in
// [brackets] and cut ends shown as "…"; line breaks become spaces.
std::string SearchSnippet(std::string_view value, const TextMatch& match, size_t context = 30);

}  // namespace accord
