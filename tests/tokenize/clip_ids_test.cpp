// CLIP token ids worked out by hand for the cases where OpenCLIP's tokenizer differs from a
// plain ASCII one. Each expectation follows from two rules:
//
// Byte ids (GPT-2's bytes_to_unicode order): '!'..'~' → b - 33 (a=64 ... z=89, '=6, &=5,
// <=27, >=29, .=13, ?=30, _=62, 0..9 = 15..24); 0xA1..0xAC → b - 67; 0xAE..0xFF → b - 68;
// 0x7F..0xA0 → b + 94; the last byte of a word adds 256 (its "</w>" form).
//
// The merges (ids from 512 in rank order): 512 h+i</w>, 513 '+s</w>, 514 a+t</w>,
// 515 c+at</w>, 516 Ã+©</w> (é = C3 A9 at a word end), 517 c+a, 518 ca+f, 519 caf+é</w>;
// then 520 <start_of_text>, 521 <end_of_text>. BPE applies the lowest-ranked pair first, so
// "cat" = c a t</w> → c at</w> (514 beats 517) → cat</w> = 515.
#include <gtest/gtest.h>

#include "lethe/tokenize/bpe.h"

namespace lethe::tokenize {
namespace {

using Ids = std::vector<int64_t>;

BpeTokenizer tiny() {
  return BpeTokenizer::from_merges_text(
      "#version: 0.2\nh i</w>\n' s</w>\na t</w>\nc at</w>\n\u00c3 \u00a9</w>\nc a\nca f\n"
      "caf \u00c3\u00a9</w>\n");
}

TEST(ClipIds, TinyVocabulary) {
  auto tok = tiny();
  EXPECT_EQ(tok.vocab_size(), 522);
  EXPECT_EQ(tok.token(515), "cat</w>");
  EXPECT_EQ(tok.token(519), "caf\u00c3\u00a9</w>");
  EXPECT_EQ(tok.encode("cat"), Ids{515});
  EXPECT_EQ(tok.encode("café"), Ids{519}) << "é</w> (rank 4), ca (5), caf (6), café</w> (7)";
}

TEST(ClipIds, Contractions) {
  auto tok = tiny();
  // cat | 's | i t</w> | 's | t h e y</w> | ' r e</w>: the curly ’ is uncurled first.
  EXPECT_EQ(tok.encode("Cat's it’s they’re"),
            (Ids{515, 513, 72, 339, 513, 83, 71, 68, 344, 6, 81, 324}));
  // w e</w> | ' v e</w> | i</w> | ' m</w> | y o u</w> | ' l l</w> | h e</w> | ' d</w> |
  // d o n</w> | ' t</w>
  EXPECT_EQ(tok.encode("we've I'm you'll he'd don't"),
            (Ids{86, 324, 6,  85,  324, 328, 6,  332, 88,  78, 340, 6,
                 75, 331, 71, 324, 6,   323, 67, 78,  333, 6,  339}));
}

TEST(ClipIds, DigitsAndPunctuation) {
  auto tok = tiny();
  EXPECT_EQ(tok.encode("cat 1984"), (Ids{515, 272, 280, 279, 275})) << "one piece per digit";
  EXPECT_EQ(tok.encode("hi!!! ...?"), (Ids{512, 0, 0, 256, 13, 13, 13, 286}));
}

TEST(ClipIds, NonAsciiLetters) {
  auto tok = tiny();
  // café | ñ a ñ a</w>: ñ = C3 B1 → 127 109, a 64, a</w> 320
  EXPECT_EQ(tok.encode("Café ÑAÑA"), (Ids{519, 127, 109, 64, 127, 109, 320}));
  EXPECT_EQ(tok.encode("Ñ"), (Ids{127, 365})) << "B1</w> = 109 + 256";
  // ο = CE BF, δ = CE B4, ς = CF 82 (final sigma), σ = CF 83: CE 138, BF 123, B4 112, CF 139,
  // 82 224, 83 225.
  EXPECT_EQ(tok.encode("ΟΔΟΣ ΣΟ"),
            (Ids{138, 123, 138, 112, 138, 123, 139, 480, 139, 225, 138, 379}));
  // м = D0 BC, и = D0 B8, р = D1 80: D0 140, BC 120, B8 116, D1 141, 80</w> 478.
  EXPECT_EQ(tok.encode("Мир"), (Ids{140, 120, 140, 116, 141, 478}));
  // 日 = E6 97 A5, 本 = E6 9C AC: E6 162, 97 245, A5 98, 9C 250, AC</w> 361.
  EXPECT_EQ(tok.encode("日本"), (Ids{162, 245, 98, 162, 250, 361}));
}

TEST(ClipIds, EmojiSplitsFromLetters) {
  // hi</w> | 😀 = F0 9F 98 80: 172 253 246 478
  EXPECT_EQ(tiny().encode("hi😀"), (Ids{512, 172, 253, 246, 478}));
}

TEST(ClipIds, HtmlEntities) {
  // → "cat & hi<3 's at x y" (&nbsp without ';' is U+00A0, then whitespace):
  // cat | &</w> 261 | hi | <</w> 283 | 3</w> 274 | 's | at</w> 514 | x</w> 343 | y</w> 344
  EXPECT_EQ(tiny().encode("cat &amp; hi&lt;3 &#39;s &#x41;t x&nbspy"),
            (Ids{515, 261, 512, 283, 274, 513, 514, 343, 344}));
}

TEST(ClipIds, FullwidthLetters) {
  EXPECT_EQ(tiny().encode("ＣＡＴ\u3000ｈｉ！"), (Ids{515, 512, 256}));
}

TEST(ClipIds, SpecialTokenText) {
  auto tok = tiny();
  EXPECT_EQ(tok.encode("<start_of_text>cat<END_OF_TEXT>"), (Ids{520, 515, 521}));
  // 'ſ' (C5 BF: 129 123) matches the pattern's 's' but the piece is not the token: bytes.
  EXPECT_EQ(tok.encode("<ſtart_of_text>"),
            (Ids{27, 129, 123, 83, 64, 81, 83, 62, 78, 69, 62, 83, 68, 87, 83, 285}));
  auto row = tok.encode_batch({"<start_of_text>cat<end_of_text>"}, 7);
  EXPECT_TRUE(torch::equal(row, torch::tensor({{520, 520, 515, 521, 521, 0, 0}}, torch::kInt64)));
}

TEST(ClipIds, LongCaptionKeepsEndOfTextLast) {
  auto row = tiny().encode_batch({"cat cat cat cat cat"}, 5);
  EXPECT_TRUE(torch::equal(row, torch::tensor({{520, 515, 515, 515, 521}}, torch::kInt64)));
}

}  // namespace
}  // namespace lethe::tokenize
