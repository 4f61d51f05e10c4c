// Columns of text as a terminal shows them, for reports that line up in
// Khmer, Thai, Vietnamese and Chinese as well as English: combining marks
// (Thai and Khmer vowels above and below, Vietnamese tones) take no column,
// CJK characters take two. Bytes and code points both count wrong.
#pragma once

#include <string>
#include <string_view>

namespace accord {

// The columns `text` takes (utf8proc's character widths; a byte that is not
// UTF-8 counts one).
int DisplayWidth(std::string_view text);

// `text` followed by spaces up to `width` columns (unchanged when wider).
std::string PadToWidth(std::string_view text, int width);

// `text` cut to at most `width` columns, ending in "…" when cut. Never cuts
// a mark from the letter it sits on, nor inside a UTF-8 sequence.
std::string TruncateToWidth(std::string_view text, int width);

}  // namespace accord
