#include "lethe/tokenize/byte_unicode.h"

#include <gtest/gtest.h>

#include <set>

namespace lethe::tokenize {
namespace {

TEST(ByteUnicode, PrintableBytesComeFirstAndMapToThemselves) {
  const auto& a = byte_alphabet();
  EXPECT_EQ(a.byte_of_id[0], '!');
  EXPECT_EQ(a.text[0], "!");
  EXPECT_EQ(a.id_of_byte['a'], 64);
  EXPECT_EQ(a.id_of_byte['~'], 93);
  EXPECT_EQ(a.id_of_byte[0xA1], 94);  // '¡' follows '~'
  EXPECT_EQ(a.text[94], "\u00A1");
  EXPECT_EQ(a.id_of_byte[0xAE], 106);  // '®' follows '¬'; 0xAD (soft hyphen) is not printable
  EXPECT_EQ(a.id_of_byte[0xFF], 187);
  EXPECT_EQ(a.text[187], "\u00FF");
}

TEST(ByteUnicode, OtherBytesMapToU0100PlusTheirRank) {
  const auto& a = byte_alphabet();
  EXPECT_EQ(a.id_of_byte[0], 188);
  EXPECT_EQ(a.text[188], "\u0100");
  EXPECT_EQ(a.id_of_byte[' '], 220);
  EXPECT_EQ(a.text[220], "\u0120");  // 'Ġ', the familiar GPT-2 space
  EXPECT_EQ(a.id_of_byte[0x7F], 221);
  EXPECT_EQ(a.text[221], "\u0121");
  EXPECT_EQ(a.id_of_byte[0xAD], 255);
  EXPECT_EQ(a.text[255], "\u0143");
}

TEST(ByteUnicode, IsABijection) {
  const auto& a = byte_alphabet();
  std::set<std::string> texts(a.text.begin(), a.text.end());
  EXPECT_EQ(texts.size(), 256u);
  for (int id = 0; id < 256; ++id) EXPECT_EQ(a.id_of_byte[a.byte_of_id[id]], id);
}

}  // namespace
}  // namespace lethe::tokenize
