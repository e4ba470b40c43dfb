#pragma once
// CLIP's text normalisation and pre-tokenisation, ahead of BPE. Text is lower-cased (ASCII
// letters only), whitespace runs separate pieces, and the text is split like CLIP's regex
//   's|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
// with one simplification: every byte >= 0x80 counts as a letter, so a non-ASCII character
// (é, ñ, 😀, ’) joins the letter run around it ("café" is one piece, as in CLIP; "hi😀" is one
// piece where CLIP would split off the emoji). Only ASCII digits are digits and only ASCII
// whitespace separates pieces. Each piece later becomes one BPE word ending in "</w>".
#include <string>
#include <string_view>
#include <vector>

namespace lethe::tokenize {

std::vector<std::string> pretokenize(std::string_view text);

}  // namespace lethe::tokenize
