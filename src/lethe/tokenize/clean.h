#pragma once
// OpenCLIP's caption cleaning ahead of its regex split (SimpleTokenizer with clean="lower"):
//   ftfy.fix_text           → the subset in ftfy.h (no mojibake repair, no NFC)
//   html.unescape, twice    → html.h
//   strip; whitespace runs → one ' '; strip   (Python's str.isspace characters)
//   str.lower()             → unicode.h (full mappings, final sigma)
// Invalid UTF-8 is decoded as Python's errors="replace" would (unicode.h), so any bytes clean.
#include <string>
#include <string_view>

namespace lethe::tokenize {

std::u32string clean_code_points(std::u32string_view text);
std::string clean_text(std::string_view text);  // the same on UTF-8

}  // namespace lethe::tokenize
