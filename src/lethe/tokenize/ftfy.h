#pragma once
// The deterministic part of ftfy.fix_text (ftfy 6.3 with its default TextFixerConfig), the first
// step of OpenCLIP's caption cleaning. ftfy itself is a Python package with heuristics that
// cannot be reproduced here, so this is a documented subset.
//
// Done, as ftfy does it: the text is cut after each '\n' (and every 1,000,000 code points) into
// segments; from the first segment that contains '<' on, HTML entities are left alone ("auto":
// it may be HTML); each segment goes through the steps below, in ftfy's order, again and again
// until a pass changes nothing ("&amp;amp;" → "&"):
//   unescape_html        "&name;" for HTML5 names with ';' (case-sensitive), ftfy's all-caps
//                        variants of lower-case names ("&EACUTE;" → "É"), and numeric
//                        references that end in ';' ("&#x2019;"); names at most 24 ASCII
//                        letters or digits. No ';'-less forms (html.unescape does those later).
//   fix_c1_controls      U+0080..U+009F read as Windows-1252 (U+0092 → ’, U+0085 → …).
//   fix_latin_ligatures  Ĳ ĳ ŉ Ǳ ǲ ǳ Ǆ ǅ ǆ Ǉ ǈ ǉ Ǌ ǋ ǌ ﬀ ﬁ ﬂ ﬃ ﬄ ﬅ ﬆ → their letters (ﬅ → "ſt").
//   fix_character_width  U+3000 → ' ', fullwidth ASCII U+FF01..U+FF5E → ASCII, and the other
//                        halfwidth/fullwidth forms up to U+FFEF → their NFKC form (ｶ → カ).
//   uncurl_quotes        ‘ ’ ‚ ‛ and ʼ (U+02BC) → ', “ ” „ ‟ → ".
//   fix_line_breaks      CRLF, CR, U+2028, U+2029 and U+0085 → LF.
//   remove_terminal_escapes  ESC '[' (decimal digits | ';')* ASCII-letter, e.g. "\e[31m".
//   remove_control_chars U+0000..0008, 000B, 000E..001F, 007F, 206A..206F, FEFF, FFF9..FFFC.
// Not done: fix_encoding (mojibake repair such as "cafÃ©" → "café": its "is this text bad?"
// heuristic is ftfy's own statistics) and NFC normalisation (e + U+0301 stays two code points
// where ftfy composes "é"). Text that needs either is cleaned differently from OpenCLIP.
// fix_surrogates has nothing to do: decoded UTF-8 holds no surrogates.
#include <string>
#include <string_view>

namespace lethe::tokenize {

std::u32string fix_text(std::u32string_view text);

}  // namespace lethe::tokenize
