#pragma once
// Code points, UTF-8 and the Unicode properties CLIP's tokenizer uses, with Python's semantics
// (OpenCLIP's tokenizer is Python): the tables come from Python's unicodedata through
// scripts/gen_unicode_tables.py (Unicode 14.0.0 for Debian's Python 3.11).
//
// Decoding never fails: each maximal ill-formed subsequence of the input (a stray continuation
// byte, a truncated sequence, an overlong form, a surrogate, anything above U+10FFFF) becomes one
// U+FFFD, exactly as Python's bytes.decode("utf-8", errors="replace") does.
#include <string>
#include <string_view>

namespace lethe::tokenize {

constexpr char32_t kReplacementChar = 0xFFFD;

std::u32string utf8_decode(std::string_view bytes);
std::string utf8_encode(std::u32string_view text);
void append_utf8(std::string& out, char32_t c);  // c must be a scalar value (not a surrogate)

bool is_letter(char32_t c);   // \p{L}: general category Lu, Ll, Lt, Lm or Lo
bool is_number(char32_t c);   // \p{N}: Nd, Nl or No
bool is_decimal(char32_t c);  // str.isdecimal, which is Python re's \d
bool is_space(char32_t c);    // str.isspace, which is Python re's \s and what str.split() splits on

// Python's str.lower(): full lower-case mappings (U+0130 'İ' → "i̇", two code points) and the
// final-sigma rule (U+03A3 'Σ' → 'ς' after a cased letter and not before one, case-ignorable
// characters such as apostrophes and combining marks skipped on both sides).
std::u32string lower(std::u32string_view text);

// Unicode version of the tables, e.g. "14.0.0".
const char* unicode_version();

}  // namespace lethe::tokenize
