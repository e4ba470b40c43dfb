#include "lethe/tokenize/unicode.h"

#include <algorithm>
#include <span>

#include "lethe/tokenize/unicode_data.h"

namespace lethe::tokenize {

namespace {

using unicode_data::Range;

constexpr char32_t kCapitalSigma = 0x3A3;
constexpr char32_t kSmallSigma = 0x3C3;
constexpr char32_t kFinalSigma = 0x3C2;

bool in(std::span<const Range> table, char32_t c) {
  auto it = std::upper_bound(table.begin(), table.end(), c,
                             [](char32_t v, const Range& r) { return v < r.first; });
  return it != table.begin() && c <= std::prev(it)->last;
}

bool is_cased(char32_t c) { return in(unicode_data::kCased, c); }
bool is_case_ignorable(char32_t c) { return in(unicode_data::kCaseIgnorable, c); }

// Python's Final_Sigma test for the Σ at text[i]: a cased letter before it and none after it,
// skipping case-ignorable characters in both directions.
bool is_final_sigma(std::u32string_view text, size_t i) {
  size_t j = i;
  while (j > 0 && is_case_ignorable(text[j - 1])) --j;
  if (j == 0 || !is_cased(text[j - 1])) return false;
  size_t k = i + 1;
  while (k < text.size() && is_case_ignorable(text[k])) ++k;
  return k == text.size() || !is_cased(text[k]);
}

// Length of the well-formed UTF-8 sequence of bytes[0..] that starts with a valid lead byte, or
// of its maximal well-formed prefix when it is cut short (Unicode's table 3-7); `complete` says
// which. A lead byte that can start no sequence has length 1, incomplete.
size_t sequence_length(std::string_view bytes, bool& complete) {
  const auto b0 = static_cast<unsigned char>(bytes[0]);
  size_t need;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 3;
    if (b0 == 0xE0) lo = 0xA0;  // no overlong forms
    if (b0 == 0xED) hi = 0x9F;  // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 4;
    if (b0 == 0xF0) lo = 0x90;  // no overlong forms
    if (b0 == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    complete = false;
    return 1;
  }
  size_t n = 1;
  while (n < need && n < bytes.size()) {
    const auto b = static_cast<unsigned char>(bytes[n]);
    if (n == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) break;
    ++n;
  }
  complete = n == need;
  return n;
}

}  // namespace

std::u32string utf8_decode(std::string_view bytes) {
  std::u32string out;
  out.reserve(bytes.size());
  while (!bytes.empty()) {
    const auto b0 = static_cast<unsigned char>(bytes[0]);
    if (b0 < 0x80) {
      out.push_back(b0);
      bytes.remove_prefix(1);
      continue;
    }
    bool complete = false;
    const size_t n = sequence_length(bytes, complete);
    if (!complete) {
      out.push_back(kReplacementChar);
    } else {
      char32_t c = b0 & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);
      for (size_t i = 1; i < n; ++i) c = (c << 6) | (static_cast<unsigned char>(bytes[i]) & 0x3F);
      out.push_back(c);
    }
    bytes.remove_prefix(n);
  }
  return out;
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

std::string utf8_encode(std::u32string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t c : text) append_utf8(out, c);
  return out;
}

bool is_letter(char32_t c) {
  if (c < 0x80) return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
  return in(unicode_data::kLetter, c);
}

bool is_number(char32_t c) {
  if (c < 0x80) return c >= '0' && c <= '9';
  return in(unicode_data::kNumber, c);
}

bool is_decimal(char32_t c) {
  if (c < 0x80) return c >= '0' && c <= '9';
  return in(unicode_data::kDecimal, c);
}

bool is_space(char32_t c) { return in(unicode_data::kSpace, c); }

std::u32string lower(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char32_t c = text[i];
    if (c < 0x80) {
      out.push_back(c >= 'A' && c <= 'Z' ? c + 32 : c);
      continue;
    }
    if (c == kCapitalSigma) {
      out.push_back(is_final_sigma(text, i) ? kFinalSigma : kSmallSigma);
      continue;
    }
    unicode_data::append_mapped(unicode_data::kLowerRuns, unicode_data::kLowerExpansions, c, out);
  }
  return out;
}

const char* unicode_version() { return unicode_data::kUnicodeVersion; }

void unicode_data::append_mapped(std::span<const MapRun> runs,
                                 std::span<const Expansion> expansions, char32_t c,
                                 std::u32string& out) {
  auto e = std::find_if(expansions.begin(), expansions.end(),
                        [c](const Expansion& x) { return x.from == c; });
  if (e != expansions.end()) {
    out += utf8_decode(e->to);
    return;
  }
  auto it = std::upper_bound(runs.begin(), runs.end(), c,
                             [](char32_t v, const MapRun& r) { return v < r.first; });
  if (it != runs.begin()) {
    const auto& run = *std::prev(it);
    if (c <= run.last && (c - run.first) % run.stride == 0) {
      out.push_back(static_cast<char32_t>(static_cast<int64_t>(c) + run.delta));
      return;
    }
  }
  out.push_back(c);
}

}  // namespace lethe::tokenize
