#pragma once
// Python's html.unescape (Python 3.11's html/__init__.py), which OpenCLIP applies twice to every
// caption, on code points. References it decodes, left to right:
//   &#NNN / &#xHHH, ';' optional: the code point, except 0 → U+FFFD, 0x0D → '\r', 0x80..0x9F →
//     Windows-1252 ("&#146;" → ’), surrogates and values above U+10FFFF → U+FFFD, and the
//     noncharacters and most C0/C1 controls (html._invalid_codepoints) → nothing;
//   &name; for every HTML5 entity name (case-sensitive; "&NotEqual;");
//   &name without ';' for the 106 legacy names ("&amp", "&nbsp", "&copy"), also as the longest
//     such prefix of a longer name ("&notit;" → "¬it;", "&amp3" → "&3");
//   anything else is left as it is ("&foo;", "& ", "&#;").
// A name is at most 32 characters other than tab, LF, FF, space, '<', '&', '#' and ';'.
#include <string>
#include <string_view>

#include "lethe/tokenize/unicode_data.h"

namespace lethe::tokenize {

std::u32string html_unescape(std::u32string_view text);

// The HTML5 entity called `name` (without ';', case-sensitive), or nullptr.
const unicode_data::Entity* find_entity(std::string_view name);

}  // namespace lethe::tokenize
