#include "lethe/tokenize/html.h"

#include <algorithm>

#include "lethe/tokenize/unicode.h"

namespace lethe::tokenize {

namespace {

constexpr size_t kMaxNameLength = 32;  // code points, as html.unescape's pattern
constexpr char32_t kMaxCodePoint = 0x10FFFF;

bool is_ascii_digit(char32_t c) { return c >= '0' && c <= '9'; }
bool is_ascii_hex(char32_t c) {
  return is_ascii_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}
bool is_name_char(char32_t c) {
  return c != '\t' && c != '\n' && c != '\f' && c != ' ' && c != '<' && c != '&' && c != '#' &&
         c != ';';
}

bool is_invalid_codepoint(char32_t c) {
  const auto& table = unicode_data::kHtmlInvalidCodepoints;
  return std::any_of(table.begin(), table.end(),
                     [c](const unicode_data::Range& r) { return c >= r.first && c <= r.last; });
}

// What a numeric reference to `num` decodes to (html's _replace_charref).
std::u32string numeric_reference(char32_t num) {
  if (num == 0) return std::u32string(1, kReplacementChar);
  if (num == 0x0D) return U"\r";
  if (num >= 0x80 && num <= 0x9F)
    return std::u32string(1, unicode_data::kWindows1252C1[num - 0x80]);
  if ((num >= 0xD800 && num <= 0xDFFF) || num > kMaxCodePoint)
    return std::u32string(1, kReplacementChar);
  if (is_invalid_codepoint(num)) return U"";
  return std::u32string(1, num);
}

// Digits of `base` from text[i..], as a code point saturated just above U+10FFFF (the value of a
// longer number no longer matters: it decodes to U+FFFD). Advances i past them.
char32_t parse_number(std::u32string_view text, size_t& i, int base) {
  uint32_t value = 0;
  for (; i < text.size() && (base == 10 ? is_ascii_digit(text[i]) : is_ascii_hex(text[i])); ++i) {
    const char32_t c = text[i];
    const uint32_t digit = is_ascii_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10;
    value = std::min<uint32_t>(value * base + digit, kMaxCodePoint + 1);
  }
  return value;
}

// A legacy (';'-less) entity called `name`, which may be any code points, or nullptr.
const unicode_data::Entity* find_legacy(std::u32string_view name) {
  const auto* e = find_entity(utf8_encode(name));
  return e && e->legacy ? e : nullptr;
}

}  // namespace

const unicode_data::Entity* find_entity(std::string_view name) {
  const auto& table = unicode_data::kEntities;
  auto it = std::lower_bound(table.begin(), table.end(), name,
                             [](const unicode_data::Entity& e, std::string_view n) {
                               return std::string_view(e.name) < n;
                             });
  return it != table.end() && std::string_view(it->name) == name ? &*it : nullptr;
}

std::u32string html_unescape(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] != '&') {
      out.push_back(text[i++]);
      continue;
    }
    size_t j = i + 1;
    if (j < text.size() && text[j] == '#') {
      ++j;
      int base = 10;
      if (j + 1 < text.size() && (text[j] | 0x20) == 'x' && is_ascii_hex(text[j + 1])) {
        base = 16;
        ++j;
      } else if (j >= text.size() || !is_ascii_digit(text[j])) {
        out.push_back(text[i++]);  // "&#" without digits is not a reference
        continue;
      }
      const char32_t num = parse_number(text, j, base);
      if (j < text.size() && text[j] == ';') ++j;
      out += numeric_reference(num);
      i = j;
      continue;
    }
    while (j < text.size() && j - (i + 1) < kMaxNameLength && is_name_char(text[j])) ++j;
    if (j == i + 1) {
      out.push_back(text[i++]);
      continue;
    }
    const std::u32string_view name = text.substr(i + 1, j - (i + 1));
    const bool semicolon = j < text.size() && text[j] == ';';
    const std::u32string_view reference = text.substr(i + 1, name.size() + (semicolon ? 1 : 0));
    i += 1 + reference.size();
    if (const auto* e = semicolon ? find_entity(utf8_encode(name)) : find_legacy(name)) {
      out += utf8_decode(e->value);
      continue;
    }
    // The longest legacy name of at least 2 characters that starts the reference; the rest of
    // the reference stays as text ("&notit;" → "¬" + "it;").
    bool found = false;
    for (size_t len = reference.size() - 1; len >= 2 && !found; --len) {
      if (const auto* e = find_legacy(reference.substr(0, len))) {
        out += utf8_decode(e->value);
        out += reference.substr(len);
        found = true;
      }
    }
    if (!found) {
      out.push_back('&');
      out += reference;
    }
  }
  return out;
}

}  // namespace lethe::tokenize
