#pragma once
// CLIP's pre-tokenisation, ahead of BPE: the text is cleaned as OpenCLIP cleans it (clean.h:
// ftfy subset, HTML unescaping, whitespace collapsed, lower-cased) and split, code point by code
// point, like OpenCLIP's regex (the `regex` module, IGNORECASE)
//   <start_of_text>|<end_of_text>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
// At each position the first alternative that matches wins; whitespace between pieces is
// dropped. So "d'ivoire" → d ' ivoire, "it's" → it 's, "hi😀!" → hi 😀! (letters and other
// symbols part), "1984" → 1 9 8 4, and "ΟΔΟΣ" → οδος with a final ς. Two effects of the regex
// module's IGNORECASE are kept: 'ſ' (U+017F) stands for 's' in the literals ("'ſ" is a
// contraction), and U+0345 (which case-folds to the letter ι) matches nothing and is dropped.
// The special tokens come out as pieces of their own; BpeTokenizer maps exactly
// kStartOfText / kEndOfText to their ids and encodes any other piece (e.g. "<ſtart_of_text>")
// byte by byte, as OpenCLIP does. Each other piece becomes one BPE word ending in "</w>".
#include <string>
#include <string_view>
#include <vector>

namespace lethe::tokenize {

constexpr std::string_view kStartOfText = "<start_of_text>";
constexpr std::string_view kEndOfText = "<end_of_text>";

std::vector<std::string> pretokenize(std::string_view text);

}  // namespace lethe::tokenize
