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

// Expected pieces from OpenCLIP's cleaning and regex (tests/reference/clip_tokenizer.py).
TEST(Pretokenize, SplitsOnUnicodeLettersAndNumbers) {
  EXPECT_EQ(pretokenize("Café piñata, 😀 hi😀"), (Pieces{"café", "piñata", ",", "😀", "hi", "😀"}))
      << "an emoji is not a letter: it splits off";
  EXPECT_EQ(pretokenize("hi😀! ok"), (Pieces{"hi", "😀!", "ok"})) << "symbols join punctuation";
  EXPECT_EQ(pretokenize("ΟΔΟΣ Мир 日本語のテキスト"), (Pieces{"οδος", "мир", "日本語のテキスト"}));
  EXPECT_EQ(pretokenize("x²3 ½ Ⅻ"), (Pieces{"x", "²", "3", "½", "ⅻ"})) << "\\p{N}: one each";
  EXPECT_EQ(pretokenize("e\u0301t\u00e9"), (Pieces{"e", "\u0301", "té"}))
      << "a combining mark is no letter (and no NFC here)";
  EXPECT_EQ(pretokenize("α\u0345β !\u0345!"), (Pieces{"α", "β", "!", "!"}))
      << "the regex module matches U+0345 nowhere under IGNORECASE";
}

TEST(Pretokenize, LowerCasesAsPython) {
  EXPECT_EQ(pretokenize("ÉCOLE"), Pieces{"école"});
  EXPECT_EQ(pretokenize("İstanbul"), (Pieces{"i", "\u0307", "stanbul"}));
}

TEST(Pretokenize, CleansBeforeSplitting) {
  EXPECT_EQ(pretokenize("flag: Côte d’Ivoire"), (Pieces{"flag", ":", "côte", "d", "'", "ivoire"}))
      << "the curly apostrophe is uncurled; \"'i\" is no contraction";
  EXPECT_EQ(pretokenize("it’s Tom&amp;Jerry"), (Pieces{"it", "'s", "tom", "&", "jerry"}));
}

TEST(Pretokenize, SpecialTokensArePiecesOfTheirOwn) {
  EXPECT_EQ(pretokenize("<start_of_text>cat<END_OF_TEXT>"),
            (Pieces{"<start_of_text>", "cat", "<end_of_text>"}));
  // IGNORECASE lets 'ſ' match 's'; only a piece at a piece start is special.
  EXPECT_EQ(pretokenize("<ſtart_of_text> it'ſ <<start_of_text>"),
            (Pieces{"<ſtart_of_text>", "it", "'ſ", "<<", "start", "_", "of", "_", "text", ">"}));
}

}  // namespace
}  // namespace lethe::tokenize
