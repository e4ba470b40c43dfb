#include "lethe/tokenize/ftfy.h"

#include <algorithm>
#include <array>
#include <utility>

#include "lethe/tokenize/html.h"
#include "lethe/tokenize/unicode.h"
#include "lethe/tokenize/unicode_data.h"

namespace lethe::tokenize {

namespace {

constexpr size_t kMaxSegment = 1'000'000;  // code points: ftfy's max_decode_length
constexpr size_t kMaxEntityName = 24;      // ASCII letters/digits, ftfy's HTML_ENTITY_RE
constexpr char32_t kEscape = 0x1B;

// ftfy's LIGATURES (chardata.py).
constexpr std::array<std::pair<char32_t, std::u32string_view>, 22> kLigatures = {{
    {0x0132, U"IJ"},      {0x0133, U"ij"},      {0x0149, U"\u02BCn"}, {0x01C4, U"D\u017D"},
    {0x01C5, U"D\u017E"}, {0x01C6, U"d\u017E"}, {0x01C7, U"LJ"},      {0x01C8, U"Lj"},
    {0x01C9, U"lj"},      {0x01CA, U"NJ"},      {0x01CB, U"Nj"},      {0x01CC, U"nj"},
    {0x01F1, U"DZ"},      {0x01F2, U"Dz"},      {0x01F3, U"dz"},      {0xFB00, U"ff"},
    {0xFB01, U"fi"},      {0xFB02, U"fl"},      {0xFB03, U"ffi"},     {0xFB04, U"ffl"},
    {0xFB05, U"\u017Ft"}, {0xFB06, U"st"},
}};

bool is_ascii_alnum(char32_t c) {
  return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}
bool is_ascii_letter(char32_t c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }

std::string ascii(std::u32string_view s) { return std::string(s.begin(), s.end()); }

// What ftfy's unescape_html makes of one "&#?[0-9A-Za-z]{1,24};" match.
std::u32string decode_entity(std::u32string_view match) {
  const std::u32string_view inner = match.substr(1, match.size() - 2);
  if (inner.front() == '#') {
    // ftfy asks html.unescape and keeps the match unless it used up the ';'.
    auto decoded = html_unescape(match);
    return decoded.find(';') == std::u32string::npos ? decoded : std::u32string(match);
  }
  const std::string name = ascii(inner);
  if (const auto* e = find_entity(name)) return utf8_decode(e->value);
  std::string lower = name;
  for (char& ch : lower)
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  const bool all_caps =
      std::none_of(name.begin(), name.end(), [](char ch) { return ch >= 'a' && ch <= 'z'; });
  if (const auto* e = find_entity(lower); e && e->upper && all_caps) return utf8_decode(e->upper);
  return std::u32string(match);
}

std::u32string unescape_html(std::u32string_view text) {
  std::u32string out;
  for (size_t i = 0; i < text.size();) {
    if (text[i] == '&') {
      const size_t start = i + 1 + (i + 1 < text.size() && text[i + 1] == '#' ? 1 : 0);
      size_t end = start;
      while (end < text.size() && is_ascii_alnum(text[end])) ++end;
      const size_t n = end - start;
      if (n >= 1 && n <= kMaxEntityName && end < text.size() && text[end] == ';') {
        out += decode_entity(text.substr(i, end + 1 - i));
        i = end + 1;
        continue;
      }
    }
    out.push_back(text[i++]);
  }
  return out;
}

template <class F>
std::u32string translate(std::u32string_view text, F&& f) {
  std::u32string out;
  out.reserve(text.size());
  for (char32_t c : text) f(c, out);
  return out;
}

std::u32string fix_c1_controls(std::u32string_view text) {
  return translate(text, [](char32_t c, std::u32string& out) {
    out.push_back(c >= 0x80 && c <= 0x9F ? unicode_data::kWindows1252C1[c - 0x80] : c);
  });
}

std::u32string fix_latin_ligatures(std::u32string_view text) {
  return translate(text, [](char32_t c, std::u32string& out) {
    auto it = std::find_if(kLigatures.begin(), kLigatures.end(),
                           [c](const auto& l) { return l.first == c; });
    if (it == kLigatures.end())
      out.push_back(c);
    else
      out += it->second;
  });
}

std::u32string fix_character_width(std::u32string_view text) {
  return translate(text, [](char32_t c, std::u32string& out) {
    if (c == 0x3000 || (c >= 0xFF01 && c <= 0xFFEF))
      unicode_data::append_mapped(unicode_data::kWidthRuns, unicode_data::kWidthExpansions, c, out);
    else
      out.push_back(c);
  });
}

std::u32string uncurl_quotes(std::u32string_view text) {
  return translate(text, [](char32_t c, std::u32string& out) {
    if (c == 0x02BC || (c >= 0x2018 && c <= 0x201B))
      out.push_back('\'');
    else if (c >= 0x201C && c <= 0x201F)
      out.push_back('"');
    else
      out.push_back(c);
  });
}

std::u32string fix_line_breaks(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char32_t c = text[i];
    if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;  // CRLF → its LF
    out.push_back(c == '\r' || c == 0x2028 || c == 0x2029 || c == 0x85 ? U'\n' : c);
  }
  return out;
}

std::u32string remove_terminal_escapes(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (text[i] == kEscape && i + 1 < text.size() && text[i + 1] == '[') {
      size_t j = i + 2;
      while (j < text.size() && (is_decimal(text[j]) || text[j] == ';')) ++j;
      if (j < text.size() && is_ascii_letter(text[j])) {
        i = j + 1;
        continue;
      }
    }
    out.push_back(text[i++]);
  }
  return out;
}

bool is_removed_control(char32_t c) {
  return c <= 0x08 || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F ||
         (c >= 0x206A && c <= 0x206F) || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFC);
}

std::u32string remove_control_chars(std::u32string_view text) {
  return translate(text, [](char32_t c, std::u32string& out) {
    if (!is_removed_control(c)) out.push_back(c);
  });
}

// ftfy's fix_and_explain without the steps named in ftfy.h as not done.
std::u32string fix_segment(std::u32string text, bool unescape) {
  while (true) {
    const std::u32string before = text;
    if (unescape) text = unescape_html(text);
    text = fix_c1_controls(text);
    text = fix_latin_ligatures(text);
    text = fix_character_width(text);
    text = uncurl_quotes(text);
    text = fix_line_breaks(text);
    text = remove_terminal_escapes(text);
    text = remove_control_chars(text);
    if (text == before) return text;
  }
}

}  // namespace

std::u32string fix_text(std::u32string_view text) {
  std::u32string out;
  out.reserve(text.size());
  bool unescape = true;  // ftfy's "auto", switched off for good by the first '<'
  for (size_t pos = 0; pos < text.size();) {
    const size_t newline = text.find(U'\n', pos);
    const size_t end = std::min(newline == std::u32string_view::npos ? text.size() : newline + 1,
                                pos + kMaxSegment);
    const std::u32string_view segment = text.substr(pos, end - pos);
    if (segment.find(U'<') != std::u32string_view::npos) unescape = false;
    out += fix_segment(std::u32string(segment), unescape);
    pos = end;
  }
  return out;
}

}  // namespace lethe::tokenize
