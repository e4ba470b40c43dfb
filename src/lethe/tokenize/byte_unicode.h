#pragma once
// GPT-2/CLIP's bytes_to_unicode: every byte value gets a printable unicode character so that
// BPE symbols are readable strings without spaces or control characters. The printable bytes
// ('!'..'~', '¡'..'¬', '®'..'ÿ', 188 of them) map to themselves; the other 68 map to U+0100 + n,
// n counting them in byte order (so ' ' → 'Ġ', U+0120).
#include <array>
#include <cstdint>
#include <string>

namespace lethe::tokenize {

// The 256 byte symbols in CLIP's vocabulary order (the printable bytes first, then the rest):
// id i of the tokenizer is symbol i, and id 256 + i is symbol i followed by "</w>".
struct ByteAlphabet {
  std::array<uint8_t, 256> byte_of_id{};  // id → byte value
  std::array<int32_t, 256> id_of_byte{};  // byte value → id
  std::array<std::string, 256> text{};    // id → the symbol's character, UTF-8 encoded
};

const ByteAlphabet& byte_alphabet();

}  // namespace lethe::tokenize
