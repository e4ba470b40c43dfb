#include "lethe/tokenize/pretokenize.h"

#include <array>

namespace lethe::tokenize {

namespace {

bool is_space(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
// Called on lower-cased text, so ASCII letters are 'a'..'z'.
bool is_letter(unsigned char c) { return (c >= 'a' && c <= 'z') || c >= 0x80; }
bool is_other(unsigned char c) { return !is_space(c) && !is_letter(c) && !is_digit(c); }

// CLIP tries the English contractions first at each piece start, in this order.
constexpr std::array<std::string_view, 7> kContractions = {"'s", "'t",  "'re", "'ve",
                                                           "'m", "'ll", "'d"};

size_t contraction_length(std::string_view rest) {
  for (auto c : kContractions)
    if (rest.starts_with(c)) return c.size();
  return 0;
}

template <typename Pred>
size_t run_length(std::string_view rest, Pred pred) {
  size_t n = 0;
  while (n < rest.size() && pred(static_cast<unsigned char>(rest[n]))) ++n;
  return n;
}

}  // namespace

std::vector<std::string> pretokenize(std::string_view text) {
  std::string lower(text);
  for (char& c : lower)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  std::string_view rest = lower;
  std::vector<std::string> pieces;
  while (!rest.empty()) {
    auto c = static_cast<unsigned char>(rest.front());
    if (is_space(c)) {
      rest.remove_prefix(1);
      continue;
    }
    size_t len = contraction_length(rest);
    if (len == 0)
      len = is_letter(c)  ? run_length(rest, is_letter)
            : is_digit(c) ? 1
                          : run_length(rest, is_other);
    pieces.emplace_back(rest.substr(0, len));
    rest.remove_prefix(len);
  }
  return pieces;
}

}  // namespace lethe::tokenize
