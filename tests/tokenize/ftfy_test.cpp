#include "lethe/tokenize/ftfy.h"

#include <gtest/gtest.h>

#include "lethe/tokenize/unicode.h"

namespace lethe::tokenize {
namespace {

std::string fix(const std::string& s) { return utf8_encode(fix_text(utf8_decode(s))); }

// Expected values worked out from ftfy 6.3's fixes.py and chardata.py (and checked against
// tests/reference/clip_tokenizer.py, which writes the same steps out in Python).
TEST(FixText, UnescapesHtmlUntilNothingChanges) {
  EXPECT_EQ(fix("&amp;amp;amp;lt;"), "<") << "one level per pass, passes until stable";
  EXPECT_EQ(fix("&EACUTE; &SZLIG; &eAcute; &Eacute;"), "É SS &eAcute; É");
  EXPECT_EQ(fix("&#x2019;s"), "'s") << "decoded, then uncurled on the next pass";
  EXPECT_EQ(fix("&#59;"), "&#59;") << "ftfy keeps a numeric reference that decodes to ';'";
  EXPECT_EQ(fix("&#65a;"), "&#65a;");
  EXPECT_EQ(fix("&amp"), "&amp") << "no ';'-less forms";
  EXPECT_EQ(fix("&#x1b;[31mz"), "[31mz") << "&#x1b; decodes to nothing";
}

TEST(FixText, LeavesEntitiesAloneFromTheFirstLineWithALessThanSign) {
  EXPECT_EQ(fix("&amp; <b>&amp;</b>"), "&amp; <b>&amp;</b>");
  EXPECT_EQ(fix("x&amp;\n<b>\n&amp;"), "x&\n<b>\n&amp;");
}

TEST(FixText, UncurlsQuotesAndSplitsLigatures) {
  EXPECT_EQ(fix("it’s “q” ‚a‛ „ ʼ"), "it's \"q\" 'a' \" '");
  EXPECT_EQ(fix("ﬁne ﬅ ŉ Ǆ"), "fine ſt 'n DŽ");
}

TEST(FixText, NormalisesCharacterWidth) {
  EXPECT_EQ(fix("Ａｂｃ\u3000！ ｶﾞ ￣"), "Abc ! カ\u3099  \u0304");
}

TEST(FixText, ReadsC1ControlsAsWindows1252) {
  EXPECT_EQ(fix("a\u0093b\u0094 \u0085 \u0081"), "a\"b\" … \u0081");
}

TEST(FixText, RemovesTerminalEscapesAndControlCharacters) {
  EXPECT_EQ(fix("\x1b[31mred\x1b[0m \x1b[1;2H \x1b[\u0663m \x1b[x"), "red   ");
  EXPECT_EQ(fix(std::string("a\0b\x07"
                            "c\x0b"
                            "d\x1f"
                            "e\x7f"
                            "f",
                            11) +
                "\u206ag\ufeffh\ufffci\u200bj\tk"),
            "abcdefghi\u200bj\tk");
}

TEST(FixText, UnifiesLineBreaks) { EXPECT_EQ(fix("a\r\nb\rc\u2028d"), "a\nb\nc\nd"); }

}  // namespace
}  // namespace lethe::tokenize
