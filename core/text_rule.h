// The one rule for text, applied at every door: `accord put` and `resolve`,
// `accord load`, the review page and its API (all through the Store's
// writes), and every state that arrives by sync or bundle.
//
//  - Valid UTF-8. Bytes in another encoding (Thai pasted from a Windows-874
//    file) would make the value impossible to show, export or sync.
//  - No NUL and no control characters (U+0000-U+001F, U+007F-U+009F), except
//    line breaks and tabs in long text. A NUL cuts values short in SQL and C.
//    "\r\n" and a lone "\r" become "\n".
//  - Normalised to NFC (utf8proc): the same Vietnamese word typed as
//    precomposed (NFC) or combining (NFD) characters is one value, not a
//    false conflict, and `--where` finds it either way.
//  - At most kMaxValueBytes once normalised: large documents are attachments.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/status.h"

namespace accord {

inline constexpr size_t kMaxValueBytes = 256 * 1024;

// The text as it will be stored, or kInvalidArgument saying what is wrong
// and at which byte. `long_text` allows line breaks and tabs.
Result<std::string> NormalizeText(std::string_view text, bool long_text);

// For text that must already follow the rule (a signed state cannot be
// changed on the way): kInvalidArgument unless NormalizeText would return
// `text` unchanged.
Status CheckText(std::string_view text, bool long_text);

// The longest start of `text` of at most `max_bytes` that does not end
// inside a UTF-8 sequence: cutting valid UTF-8 (a Thai or Khmer reason from
// a peer) leaves valid UTF-8.
std::string_view CutToBytes(std::string_view text, size_t max_bytes);

// `text` as one line of a log: control characters (line breaks, ESC, the
// C1 range) and bytes that are not UTF-8 become "\xNN", so that text from a
// peer can neither forge log lines nor drive the terminal showing them.
std::string EscapeForLog(std::string_view text);

}  // namespace accord
