#include "core/display_width.h"

#include <utf8proc.h>

namespace accord {

namespace {

// The next character of `text` at `i`: its byte length and columns.
std::pair<size_t, int> NextChar(std::string_view text, size_t i) {
  utf8proc_int32_t cp = 0;
  utf8proc_ssize_t n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(text.data() + i),
                                        static_cast<utf8proc_ssize_t>(text.size() - i), &cp);
  if (n <= 0) return {1, 1};
  if (cp == '\t') return {static_cast<size_t>(n), 1};
  return {static_cast<size_t>(n), utf8proc_charwidth(cp)};
}

}  // namespace

int DisplayWidth(std::string_view text) {
  int width = 0;
  for (size_t i = 0; i < text.size();) {
    auto [bytes, columns] = NextChar(text, i);
    width += columns;
    i += bytes;
  }
  return width;
}

std::string PadToWidth(std::string_view text, int width) {
  std::string out(text);
  int have = DisplayWidth(text);
  if (have < width) out.append(static_cast<size_t>(width - have), ' ');
  return out;
}

std::string TruncateToWidth(std::string_view text, int width) {
  if (DisplayWidth(text) <= width) return std::string(text);
  if (width <= 0) return "";
  const int room = width - 1;  // the ellipsis takes one column
  int used = 0;
  size_t cut = 0;
  for (size_t i = 0; i < text.size();) {
    auto [bytes, columns] = NextChar(text, i);
    // A zero-width mark stays with the letter before it, which is in.
    if (columns > 0 && used + columns > room) break;
    used += columns;
    i += bytes;
    cut = i;
  }
  return std::string(text.substr(0, cut)) + "…";
}

}  // namespace accord
