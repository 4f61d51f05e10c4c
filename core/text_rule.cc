#include "core/text_rule.h"

#include <utf8proc.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace accord {

namespace {

std::string CodePoint(utf8proc_int32_t cp) {
  char text[16];
  std::snprintf(text, sizeof(text), "U+%04X", static_cast<unsigned>(cp));
  return text;
}

// Decodes, refuses what the rule forbids, and turns "\r\n" and "\r" into "\n".
// `below_combining` tells whether every code point is below U+0300.
Result<std::string> Clean(std::string_view text, bool long_text, bool& below_combining) {
  below_combining = true;
  std::string out;
  out.reserve(text.size());
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  size_t pos = 0;
  while (pos < text.size()) {
    utf8proc_int32_t cp = 0;
    utf8proc_ssize_t n =
        utf8proc_iterate(bytes + pos, static_cast<utf8proc_ssize_t>(text.size() - pos), &cp);
    if (n <= 0) {
      return InvalidArgument("is not valid UTF-8 at byte " + std::to_string(pos) +
                             " (text from another encoding, e.g. Windows-874?)");
    }
    bool line_break = cp == '\n' || cp == '\r';
    if (line_break && !long_text) {
      return InvalidArgument("is one line of text; it has a line break at byte " +
                             std::to_string(pos));
    }
    if (cp == '\r') {
      out += '\n';
      if (pos + 1 < text.size() && text[pos + 1] == '\n') ++pos;  // "\r\n" is one break
      ++pos;
      continue;
    }
    bool allowed_control = long_text && (cp == '\n' || cp == '\t');
    bool control = cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
    if (control && !allowed_control) {
      return InvalidArgument(std::string(cp == 0 ? "holds a NUL byte"
                                                 : "holds the control character " + CodePoint(cp)) +
                             " at byte " + std::to_string(pos));
    }
    if (cp >= 0x300) below_combining = false;
    out.append(text.substr(pos, static_cast<size_t>(n)));
    pos += static_cast<size_t>(n);
  }
  return out;
}

}  // namespace

std::string_view CutToBytes(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t cut = max_bytes;
  // Back to the first byte of the sequence the cut falls in.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut);
}

std::string EscapeForLog(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  size_t pos = 0;
  auto escape = [&out](unsigned char byte) {
    char hex[8];
    std::snprintf(hex, sizeof(hex), "\\x%02X", byte);
    out += hex;
  };
  while (pos < text.size()) {
    utf8proc_int32_t cp = 0;
    utf8proc_ssize_t n =
        utf8proc_iterate(bytes + pos, static_cast<utf8proc_ssize_t>(text.size() - pos), &cp);
    if (n <= 0) {
      escape(bytes[pos]);
      ++pos;
      continue;
    }
    if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
      for (utf8proc_ssize_t i = 0; i < n; ++i) escape(bytes[pos + static_cast<size_t>(i)]);
    } else {
      out.append(text.substr(pos, static_cast<size_t>(n)));
    }
    pos += static_cast<size_t>(n);
  }
  return out;
}

Result<std::string> NormalizeText(std::string_view text, bool long_text) {
  bool below_combining = true;
  ASSIGN_OR_RETURN(std::string normalized, Clean(text, long_text, below_combining));
  // Text below U+0300 (ASCII, Latin-1, most Latin letters) is its own NFC:
  // every character that NFC can change or compose starts at U+0300 (Unicode's
  // NFC_Quick_Check is Yes for all below). Most minutes are English: this
  // skips a copy and a table walk for each of their values.
  if (!below_combining) {
    // utf8proc_NFC reads up to a NUL, which Clean has just ruled out.
    std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> nfc(
        utf8proc_NFC(reinterpret_cast<const utf8proc_uint8_t*>(normalized.c_str())), &std::free);
    if (!nfc) return Internal("Unicode normalisation failed");
    normalized.assign(reinterpret_cast<const char*>(nfc.get()));
  }
  if (normalized.size() > kMaxValueBytes) {
    return InvalidArgument("is " + std::to_string(normalized.size()) +
                           " bytes, over the limit of " + std::to_string(kMaxValueBytes) +
                           " for one value (attach large documents instead)");
  }
  return normalized;
}

Status CheckText(std::string_view text, bool long_text) {
  ASSIGN_OR_RETURN(std::string normalized, NormalizeText(text, long_text));
  if (normalized != text) {
    return InvalidArgument("is not in Unicode NFC form (or has \"\\r\" line breaks)");
  }
  return Status::Ok();
}

}  // namespace accord
