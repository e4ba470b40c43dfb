#include "lethe/tokenize/pretokenize.h"

#include <gtest/gtest.h>

namespace lethe::tokenize {
namespace {

using Pieces = std::vector<std::string>;

TEST(Pretokenize, LowerCasesAndSplitsOnWhitespaceRuns) {
  EXPECT_EQ(pretokenize("  Grinning\tFACE \n with  Big\r\nEyes "),
            (Pieces{"grinning", "face", "with", "big", "eyes"}));
  EXPECT_EQ(pretokenize(""), Pieces{});
  EXPECT_EQ(pretokenize(" \t\n "), Pieces{});
}

TEST(Pretokenize, DigitsArePiecesOfOne) {
  EXPECT_EQ(pretokenize("route66 1984"), (Pieces{"route", "6", "6", "1", "9", "8", "4"}));
}

TEST(Pretokenize, PunctuationRunsArePieces) {
  EXPECT_EQ(pretokenize("boat: light--skin!!! (tone)"),
            (Pieces{"boat", ":", "light", "--", "skin", "!!!", "(", "tone", ")"}));
}

TEST(Pretokenize, ContractionsSplitAsInClip) {
  EXPECT_EQ(pretokenize("It's a DOG'S life, don't we'll I'd they're"),
            (Pieces{"it", "'s", "a", "dog", "'s", "life", ",", "don", "'t", "we", "'ll", "i", "'d",
                    "they", "'re"}));
  // A punctuation run swallows the apostrophe; a contraction is only tried where a piece starts.
  EXPECT_EQ(pretokenize("?'s '''s 'hello"), (Pieces{"?'", "s", "'''", "s", "'", "hello"}));
}

TEST(Pretokenize, NonAsciiBytesAreLetters) {
  EXPECT_EQ(pretokenize("Café piñata, 😀 hi😀"), (Pieces{"café", "piñata", ",", "😀", "hi😀"}));
  EXPECT_EQ(pretokenize("ÉCOLE"), Pieces{"École"}) << "only ASCII letters are lower-cased";
}

}  // namespace
}  // namespace lethe::tokenize
