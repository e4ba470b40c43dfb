#include "lethe/tokenize/byte_unicode.h"

namespace lethe::tokenize {

namespace {

bool printable(int b) { return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE; }

// Code points here are below U+0800, so two UTF-8 bytes at most.
std::string utf8(uint32_t cp) {
  if (cp < 0x80) return std::string(1, static_cast<char>(cp));
  return {static_cast<char>(0xC0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3F))};
}

ByteAlphabet make_alphabet() {
  ByteAlphabet a;
  int id = 0;
  auto add = [&](int byte, uint32_t cp) {
    a.byte_of_id[id] = static_cast<uint8_t>(byte);
    a.id_of_byte[byte] = id;
    a.text[id] = utf8(cp);
    ++id;
  };
  for (int b = 0; b < 256; ++b)
    if (printable(b)) add(b, static_cast<uint32_t>(b));
  uint32_t n = 0;
  for (int b = 0; b < 256; ++b)
    if (!printable(b)) add(b, 256 + n++);
  return a;
}

}  // namespace

const ByteAlphabet& byte_alphabet() {
  static const ByteAlphabet kAlphabet = make_alphabet();
  return kAlphabet;
}

}  // namespace lethe::tokenize
