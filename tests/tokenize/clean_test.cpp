#include "lethe/tokenize/clean.h"

#include <gtest/gtest.h>

namespace lethe::tokenize {
namespace {

// Expected values from OpenCLIP's cleaning as tests/reference/clip_tokenizer.py writes it out.
TEST(CleanText, CollapsesWhitespaceAndLowerCases) {
  EXPECT_EQ(clean_text("  Hello\t\tWORLD \n"), "hello world");
  EXPECT_EQ(clean_text("caf&eacute;\u00a0au\u2003lait"), "café au lait");
  EXPECT_EQ(clean_text("\u3000 ＣＡＴ \u3000"), "cat") << "ideographic space, fullwidth letters";
  EXPECT_EQ(clean_text("&nbsp;x&nbsp"), "x") << "unescaped no-break spaces are stripped";
  EXPECT_EQ(clean_text(""), "");
  EXPECT_EQ(clean_text(" \t\n"), "");
}

TEST(CleanText, UnescapesHtmlThroughFtfyAndTwiceMore) {
  EXPECT_EQ(clean_text("&amp;lt;b&amp;gt;"), "<b>");
  EXPECT_EQ(clean_text("<b>&amp;lt;</b>"), "<b><</b>") << "ftfy skips HTML, html.unescape does not";
  EXPECT_EQ(clean_text("x &#x1c; y"), "x y");
}

TEST(CleanText, AppliesFtfyAndLowerCaseRules) {
  EXPECT_EQ(clean_text("d’Ivoire"), "d'ivoire");
  EXPECT_EQ(clean_text("ΟΔΟΣ ΟΔΟΣ"), "οδος οδος") << "final sigma before a space";
  EXPECT_EQ(clean_text("\x1c a \x1f"), "a");
  EXPECT_EQ(clean_text("a\u0085b"), "a…b") << "NEL is a C1 control, read as Windows-1252";
}

TEST(CleanText, NeverFailsOnInvalidUtf8) {
  EXPECT_EQ(clean_text("A\xff"
                       "B\xe2\x82"),
            "a\uFFFDb\uFFFD");
}

}  // namespace
}  // namespace lethe::tokenize
