#pragma once
// The tables behind unicode.h, html.h and ftfy.h. unicode_data.cpp is generated from Python's
// own data by scripts/gen_unicode_tables.py (see its header for the Python and Unicode
// versions), because the behaviour reproduced is Python's: OpenCLIP's tokenizer is Python code.
#include <array>
#include <cstdint>
#include <span>
#include <string>

namespace lethe::tokenize::unicode_data {

struct Range {
  char32_t first, last;  // inclusive
};

// Run-length coded 1:1 code point map: every c in [first, last] with (c - first) % stride == 0
// maps to c + delta.
struct MapRun {
  char32_t first, last;
  uint32_t stride;
  int32_t delta;
};

// A code point that maps to several code points, given as UTF-8.
struct Expansion {
  char32_t from;
  const char* to;
};

struct Entity {
  const char* name;   // without ';', e.g. "amp"
  const char* value;  // UTF-8
  bool legacy;        // html.unescape also accepts it without ';' ("&amp", "&nbsp")
  const char* upper;  // ftfy decodes "&" + upper-cased name + ";" to this; nullptr if it does not
};

extern const std::span<const Range> kLetter;               // \p{L}
extern const std::span<const Range> kNumber;               // \p{N}
extern const std::span<const Range> kDecimal;              // str.isdecimal: Python re's \d
extern const std::span<const Range> kSpace;                // str.isspace: Python re's \s
extern const std::span<const Range> kCased;                // Cased, not Case_Ignorable
extern const std::span<const Range> kCaseIgnorable;        // Case_Ignorable
extern const std::span<const MapRun> kLowerRuns;           // str.lower, one code point to one
extern const std::span<const Expansion> kLowerExpansions;  // str.lower, one to several (İ)
extern const std::span<const MapRun> kWidthRuns;           // ftfy's fix_character_width
extern const std::span<const Expansion> kWidthExpansions;
extern const std::span<const Entity> kEntities;  // html.entities.html5, sorted by name bytewise
extern const std::span<const Range> kHtmlInvalidCodepoints;  // html.unescape drops these
extern const std::array<char32_t, 32> kWindows1252C1;        // bytes 0x80..0x9F as Windows-1252
extern const char* const kUnicodeVersion;                    // of the tables, e.g. "14.0.0"

// Appends what `c` becomes under the map (runs, expansions): itself when the map leaves it alone.
// The expansion lists are a handful of entries, searched linearly. (In unicode.cpp.)
void append_mapped(std::span<const MapRun> runs, std::span<const Expansion> expansions, char32_t c,
                   std::u32string& out);

}  // namespace lethe::tokenize::unicode_data
