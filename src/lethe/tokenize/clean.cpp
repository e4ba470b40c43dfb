#include "lethe/tokenize/clean.h"

#include "lethe/tokenize/ftfy.h"
#include "lethe/tokenize/html.h"
#include "lethe/tokenize/unicode.h"

namespace lethe::tokenize {

std::u32string clean_code_points(std::u32string_view text) {
  const std::u32string unescaped = html_unescape(html_unescape(fix_text(text)));
  std::u32string collapsed;
  collapsed.reserve(unescaped.size());
  bool pending_space = false;  // a whitespace run seen since the last kept character
  for (char32_t c : unescaped) {
    if (is_space(c)) {
      pending_space = !collapsed.empty();  // leading whitespace is stripped
      continue;
    }
    if (pending_space) collapsed.push_back(' ');
    pending_space = false;
    collapsed.push_back(c);
  }
  return lower(collapsed);
}

std::string clean_text(std::string_view text) {
  return utf8_encode(clean_code_points(utf8_decode(text)));
}

}  // namespace lethe::tokenize
