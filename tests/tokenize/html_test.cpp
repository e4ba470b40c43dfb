#include "lethe/tokenize/html.h"

#include <gtest/gtest.h>

#include "lethe/tokenize/unicode.h"

namespace lethe::tokenize {
namespace {

std::string unescape(const std::string& s) { return utf8_encode(html_unescape(utf8_decode(s))); }

// Expected values from Python 3.11's html.unescape.
TEST(HtmlUnescape, NamedReferences) {
  EXPECT_EQ(unescape("&amp; &lt;&gt; &quot;"), "& <> \"");
  EXPECT_EQ(unescape("&NotEqual;"), "≠");
  EXPECT_EQ(unescape("&fjlig;"), "fj") << "a value of two code points";
  EXPECT_EQ(unescape("&AMP;"), "&") << "an upper-case legacy name of its own";
  EXPECT_EQ(unescape("&Amp;"), "&Amp;") << "names are case-sensitive";
  EXPECT_EQ(unescape("&amp;amp;"), "&amp;") << "one level per call";
  EXPECT_EQ(unescape("a&b&c;"), "a&b&c;");
  EXPECT_EQ(unescape("& amp;"), "& amp;");
  EXPECT_EQ(unescape("&" + std::string(40, 'a') + ";"), "&" + std::string(40, 'a') + ";");
}

TEST(HtmlUnescape, LegacyNamesWithoutSemicolon) {
  EXPECT_EQ(unescape("&amp"), "&");
  EXPECT_EQ(unescape("&nbsp"), "\u00A0");
  EXPECT_EQ(unescape("&ampxyz"), "&xyz") << "the longest legacy prefix";
  EXPECT_EQ(unescape("&notit;"), "¬it;");
  EXPECT_EQ(unescape("&not;"), "¬");
  EXPECT_EQ(unescape("&nbsp\ry"), "\u00A0\ry") << "'\\r' may be part of a name";
  EXPECT_EQ(unescape("&amp\u0085;"), "&\u0085;");
  EXPECT_EQ(unescape("&x"), "&x");
}

TEST(HtmlUnescape, NumericReferences) {
  EXPECT_EQ(unescape("&#39;"), "'");
  EXPECT_EQ(unescape("&#x41;&#X42;"), "AB");
  EXPECT_EQ(unescape("&#65"), "A") << "';' is optional";
  EXPECT_EQ(unescape("&#0;"), "\uFFFD");
  EXPECT_EQ(unescape("&#13;"), "\r");
  EXPECT_EQ(unescape("&#128;&#x92;&#129;"), "€’\u0081") << "Windows-1252, undefined bytes kept";
  EXPECT_EQ(unescape("&#1;x"), "x") << "invalid code points vanish";
  EXPECT_EQ(unescape("&#xD800;"), "\uFFFD");
  EXPECT_EQ(unescape("&#99999999999999;"), "\uFFFD");
  EXPECT_EQ(unescape("&#;"), "&#;");
  EXPECT_EQ(unescape("&# ;"), "&# ;");
}

TEST(FindEntity, LooksUpNamesWithoutSemicolon) {
  const auto* e = find_entity("eacute");
  ASSERT_NE(e, nullptr);
  EXPECT_STREQ(e->value, "é");
  EXPECT_TRUE(e->legacy);
  EXPECT_STREQ(e->upper, "É") << "ftfy decodes &EACUTE;";
  EXPECT_EQ(find_entity("eacute;"), nullptr);
  EXPECT_EQ(find_entity("nosuch"), nullptr);
  EXPECT_FALSE(find_entity("hellip")->legacy);
}

}  // namespace
}  // namespace lethe::tokenize
