#include "lethe/tokenize/unicode.h"

#include <gtest/gtest.h>

#include <string>

namespace lethe::tokenize {
namespace {

using CodePoints = std::u32string;

TEST(Utf8, DecodesAndEncodesEveryLength) {
  const std::string text = "a\u00e9\u20ac\U0001F600";  // 1, 2, 3 and 4 bytes
  EXPECT_EQ(utf8_decode(text), (CodePoints{0x61, 0xE9, 0x20AC, 0x1F600}));
  EXPECT_EQ(utf8_encode(utf8_decode(text)), text);
  EXPECT_EQ(utf8_decode(""), CodePoints{});
  EXPECT_EQ(utf8_encode(CodePoints{0x7F, 0x80, 0x7FF, 0x800, 0xFFFF, 0x10000, 0x10FFFF}),
            "\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf");
}

TEST(Utf8, InvalidBytesBecomeOneReplacementPerMaximalSubpart) {
  // Expected values from Python: bytes.decode("utf-8", errors="replace").
  constexpr char32_t R = kReplacementChar;
  struct Case {
    std::string bytes;
    CodePoints expected;
  };
  const std::vector<Case> cases = {
      {"a\x80!", {'a', R, '!'}},            // stray continuation byte
      {"\xe2\x82", {R}},                    // truncated at the end
      {"\xe2\x82x", {R, 'x'}},              // truncated before ASCII
      {"\xc0\xaf", {R, R}},                 // overlong lead byte
      {"\xe0\x80\xaf", {R, R, R}},          // overlong 3-byte form
      {"\xed\xa0\x80", {R, R, R}},          // a UTF-16 surrogate
      {"\xf4\x90\x80\x80", {R, R, R, R}},   // above U+10FFFF
      {"\xf0\x9f\x98", {R}},                // emoji cut short
      {"\xf0\x9f\x98\xc3\xa9", {R, 0xE9}},  // ... followed by a valid é
      {"\xff", {R}},
  };
  for (const auto& c : cases) EXPECT_EQ(utf8_decode(c.bytes), c.expected) << c.bytes;
}

TEST(UnicodeProperties, FollowPythonsCategories) {
  for (char32_t c : {U'a', U'Z', U'é', U'ß', U'Σ', U'ж', U'日', U'ア', U'한', U'ʰ', U'ª'})
    EXPECT_TRUE(is_letter(c)) << static_cast<uint32_t>(c);
  for (char32_t c : {U'1', U' ', U'_', U'\'', U'😀', U'\u0301', U'\u00A0', U'Ⅻ', U'²'})
    EXPECT_FALSE(is_letter(c)) << static_cast<uint32_t>(c);
  for (char32_t c : {U'0', U'٣', U'Ⅻ', U'²', U'½', U'①'}) EXPECT_TRUE(is_number(c));
  EXPECT_FALSE(is_number(U'a'));
  EXPECT_TRUE(is_decimal(U'٣'));
  EXPECT_FALSE(is_decimal(U'²')) << "category No, not Nd";
  for (char32_t c : {U' ', U'\t', U'\n', U'\r', U'\v', U'\f', U'\x1c', U'\x1f', U'\u0085',
                     U'\u00A0', U'\u2003', U'\u2028', U'\u3000'})
    EXPECT_TRUE(is_space(c)) << static_cast<uint32_t>(c);
  for (char32_t c : {U'\u200B', U'\uFEFF', U'\u180E', U'a'}) EXPECT_FALSE(is_space(c));
}

TEST(Lower, IsPythonsStrLower) {
  auto low = [](const std::string& s) { return utf8_encode(lower(utf8_decode(s))); };
  EXPECT_EQ(low("Hello, WORLD 42"), "hello, world 42");
  EXPECT_EQ(low("ÉCOLE ÑANDÚ"), "école ñandú");
  EXPECT_EQ(low("İ"), "i\u0307") << "one code point becomes two";
  EXPECT_EQ(low("ẞ ǅ Ω \u212a"), "ß ǆ ω k");
  EXPECT_EQ(low("ſ"), "ſ") << "already lower case";
  EXPECT_EQ(low("МИР"), "мир");
}

TEST(Lower, AppliesTheFinalSigmaRule) {
  auto low = [](const std::string& s) { return utf8_encode(lower(utf8_decode(s))); };
  // Expected values from Python's str.lower.
  EXPECT_EQ(low("ΟΔΟΣ"), "οδος");
  EXPECT_EQ(low("ΟΔΟΣ."), "οδος.");
  EXPECT_EQ(low("ΑΣ Β"), "ας β");
  EXPECT_EQ(low("ΣΑ"), "σα") << "nothing cased before";
  EXPECT_EQ(low("Σ"), "σ");
  EXPECT_EQ(low("ΑΣ'"), "ας'");
  EXPECT_EQ(low("ΑΣ'Α"), "ασ'α") << "the apostrophe is case-ignorable: a letter follows";
  EXPECT_EQ(low("Α'Σ"), "α'ς") << "... and skipped before the sigma too";
  EXPECT_EQ(low("ΑΣ\u0301"), "ας\u0301") << "combining marks are case-ignorable";
  EXPECT_EQ(low("ΑΣ\u0301Β"), "ασ\u0301β");
}

}  // namespace
}  // namespace lethe::tokenize
