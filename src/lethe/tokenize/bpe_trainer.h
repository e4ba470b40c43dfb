#pragma once
// Learning BPE merges from a corpus (the training half of BpeTokenizer::train).
//
// Words are the corpus's pre-tokenised pieces (pretokenize.h: cleaned as encoding cleans) in
// byte-symbol form, the last symbol carrying "</w>"; the special-token pieces are left out, as
// encoding maps them straight to their ids. Each step merges the most frequent adjacent symbol
// pair, counted over word occurrences, into one symbol in every word, left to right as encoding
// does. Ties go to the lexicographically smallest pair (first symbol, then second, compared as
// UTF-8 bytes), so the result depends only on the corpus's multiset of pieces. Pair counts are
// kept incrementally: a step only revisits the words that contain the merged pair.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace lethe::tokenize {

// Up to `num_merges` merges in rank order (fewer when no adjacent pair is left).
std::vector<std::pair<std::string, std::string>> learn_merges(
    const std::vector<std::string>& corpus, int num_merges);

// Key of the adjacent symbol pair (a, b) in hash maps.
inline uint64_t pair_key(int32_t a, int32_t b) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
}

// Applies one merge to a word of symbol ids: every non-overlapping occurrence of (a, b), left to
// right ("a a a" → "aa a"), becomes `merged`. Training and encoding share it so that they agree.
void merge_pair(std::vector<int32_t>& word, int32_t a, int32_t b, int32_t merged);

}  // namespace lethe::tokenize
