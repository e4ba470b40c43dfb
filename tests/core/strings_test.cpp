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

}  // namespace
}  // namespace lethe
