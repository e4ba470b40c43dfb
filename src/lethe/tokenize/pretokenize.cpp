#include "lethe/tokenize/pretokenize.h"

#include <array>

#include "lethe/tokenize/clean.h"
#include "lethe/tokenize/unicode.h"

namespace lethe::tokenize {

namespace {

// The literal alternatives, in the regex's order: special tokens, then the contractions.
constexpr std::array<std::u32string_view, 9> kLiterals = {
    U"<start_of_text>", U"<end_of_text>", U"'s", U"'t", U"'re", U"'ve", U"'m", U"'ll", U"'d"};

// Whether `c` matches the pattern character `p` under the regex module's IGNORECASE (simple case
// folding). Of the letters in the literals only 's' has a fold partner that survives lower():
// U+017F LATIN SMALL LETTER LONG S.
bool matches_ignoring_case(char32_t c, char32_t p) {
  if (c == p) return true;
  if (p >= 'a' && p <= 'z' && c == p - 'a' + 'A') return true;
  return p == 's' && c == 0x17F;
}

size_t literal_length(std::u32string_view rest) {
  for (auto lit : kLiterals) {
    if (rest.size() < lit.size()) continue;
    bool all = true;
    for (size_t i = 0; i < lit.size() && all; ++i) all = matches_ignoring_case(rest[i], lit[i]);
    if (all) return lit.size();
  }
  return 0;
}

// U+0345 COMBINING GREEK YPOGEGRAMMENI case-folds to ι, a letter, so under IGNORECASE the regex
// module's [^\s\p{L}\p{N}] does not match it, while [\p{L}] does not either: findall skips it
// like whitespace. (The only such code point: an exhaustive check of regex 2022.10.31.)
constexpr char32_t kYpogegrammeni = 0x345;

bool is_other(char32_t c) {
  return !is_space(c) && !is_letter(c) && !is_number(c) && c != kYpogegrammeni;
}

template <typename Pred>
size_t run_length(std::u32string_view rest, Pred pred) {
  size_t n = 0;
  while (n < rest.size() && pred(rest[n])) ++n;
  return n;
}

}  // namespace

std::vector<std::string> pretokenize(std::string_view text) {
  const std::u32string cleaned = clean_code_points(utf8_decode(text));
  std::u32string_view rest = cleaned;
  std::vector<std::string> pieces;
  while (!rest.empty()) {
    const char32_t c = rest.front();
    size_t len = literal_length(rest);
    if (len == 0) {
      if (is_letter(c))
        len = run_length(rest, is_letter);
      else if (is_number(c))
        len = 1;
      else if (is_other(c))
        len = run_length(rest, is_other);
    }
    if (len == 0) {  // whitespace, or U+0345
      rest.remove_prefix(1);
      continue;
    }
    pieces.push_back(utf8_encode(rest.substr(0, len)));
    rest.remove_prefix(len);
  }
  return pieces;
}

}  // namespace lethe::tokenize
