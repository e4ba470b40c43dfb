#include "lethe/core/strings.h"

#include <gtest/gtest.h>

namespace lethe {
namespace {

using Strings = std::vector<std::string>;

TEST(Strings, EditDistance) {
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("abc", ""), 3u);
  EXPECT_EQ(edit_distance("same", "same"), 0u);
  EXPECT_EQ(edit_distance("epochs", "epoch"), 1u);
  EXPECT_EQ(edit_distance("trian", "train"), 1u);  // adjacent swap
  EXPECT_EQ(edit_distance("ab", "ba"), 1u);  // an adjacent swap is one edit (Damerau)
}

TEST(Strings, ClosestMatchOnlyForPlausibleTypos) {
  Strings c{"epochs", "lr", "batch_size"};
  EXPECT_EQ(closest_match("epoch", c), "epochs");
  EXPECT_EQ(closest_match("batch-size", c), "batch_size");
  EXPECT_EQ(closest_match("lt", c), "lr");  // short names still allow one edit
  EXPECT_EQ(closest_match("momentum", c), "");
  EXPECT_EQ(closest_match("x", {}), "");
  EXPECT_EQ(did_you_mean("epoch", c), " (did you mean 'epochs'?)");
  EXPECT_EQ(did_you_mean("momentum", c), "");
}

TEST(Strings, JoinSplitTrim) {
  EXPECT_EQ(join({"a", "b", "c"}, ", "), "a, b, c");
  EXPECT_EQ(join({}, ","), "");
  EXPECT_EQ(split("a.b.c", '.'), (Strings{"a", "b", "c"}));
  EXPECT_EQ(split("", '.'), (Strings{""}));
  EXPECT_EQ(split("a..b.", '.'), (Strings{"a", "", "b", ""}));
  EXPECT_EQ(trim("  \t x y \r\n"), "x y");
  EXPECT_EQ(trim(" \n "), "");
  EXPECT_TRUE(starts_with("train.epochs", "train."));
  EXPECT_FALSE(starts_with("tr", "train"));
  EXPECT_TRUE(starts_with("x", ""));
}

TEST(Strings, PrintableKeepsUtf8TextAndEscapesEverythingElse) {
  EXPECT_EQ(printable("plain ascii, tab\tkept"), "plain ascii, tab\tkept");
  EXPECT_EQ(printable("caf\xc3\xa9 \xf0\x9f\x98\x80"), "caf\xc3\xa9 \xf0\x9f\x98\x80");  // é, 😀
  EXPECT_EQ(printable("a\xff\x80" "b"), "a\\xFF\\x80b");          // bytes that start nothing
  EXPECT_EQ(printable("\xc3"), "\\xC3");                           // a sequence cut short
  EXPECT_EQ(printable("\xc0\xaf"), "\\xC0\\xAF");                 // an overlong '/'
  EXPECT_EQ(printable("\xed\xa0\x80"), "\\xED\\xA0\\x80");        // a UTF-16 surrogate
  EXPECT_EQ(printable("\xf4\x90\x80\x80"), "\\xF4\\x90\\x80\\x80");  // above U+10FFFF
  // Controls would break the line or drive the terminal: newline, CR, ESC, DEL, C1 (U+009B).
  EXPECT_EQ(printable("one\ntwo\r\x1b[31m\x7f\xc2\x9b"), "one\\x0Atwo\\x0D\\x1B[31m\\x7F\\xC2\\x9B");
  EXPECT_EQ(printable(std::string("nul\0byte", 8)), "nul\\x00byte");
  const std::string once = printable("\xff\n");
  EXPECT_EQ(printable(once), once);
}

}  // namespace
}  // namespace lethe
