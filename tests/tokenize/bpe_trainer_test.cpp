#include "lethe/tokenize/bpe_trainer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "lethe/core/error.h"
#include "lethe/tokenize/byte_unicode.h"
#include "lethe/tokenize/pretokenize.h"

namespace lethe::tokenize {
namespace {

using Merges = std::vector<std::pair<std::string, std::string>>;
using ::testing::HasSubstr;

// The textbook algorithm, recounting every pair at every step, on symbol strings: the reference
// that the incremental trainer must match exactly.
Merges naive_merges(const std::vector<std::string>& corpus, int num_merges) {
  std::map<std::vector<std::string>, int64_t> words;
  for (const auto& text : corpus)
    for (const auto& piece : pretokenize(text)) {
      std::vector<std::string> w;
      for (unsigned char b : piece)
        w.push_back(byte_alphabet().text[byte_alphabet().id_of_byte[b]]);
      w.back() += "</w>";
      ++words[w];
    }
  Merges merges;
  while (static_cast<int>(merges.size()) < num_merges) {
    std::map<std::pair<std::string, std::string>, int64_t> counts;  // ordered: ties → smallest
    for (const auto& [w, c] : words)
      for (size_t i = 0; i + 1 < w.size(); ++i) counts[{w[i], w[i + 1]}] += c;
    if (counts.empty()) break;
    auto best = counts.begin();
    for (auto it = counts.begin(); it != counts.end(); ++it)
      if (it->second > best->second) best = it;
    const auto [a, b] = best->first;
    merges.emplace_back(a, b);
    std::map<std::vector<std::string>, int64_t> next;
    for (const auto& [w, c] : words) {
      std::vector<std::string> out;
      for (size_t i = 0; i < w.size(); ++i) {
        if (i + 1 < w.size() && w[i] == a && w[i + 1] == b) {
          out.push_back(a + b);
          ++i;
        } else {
          out.push_back(w[i]);
        }
      }
      next[out] += c;
    }
    words = std::move(next);
  }
  return merges;
}

TEST(MergePair, MergesNonOverlappingOccurrencesLeftToRight) {
  std::vector<int32_t> w = {1, 1, 1, 2, 1, 1, 1, 1};
  merge_pair(w, 1, 1, 9);
  EXPECT_EQ(w, (std::vector<int32_t>{9, 1, 2, 9, 9}));
  merge_pair(w, 3, 4, 7);
  EXPECT_EQ(w, (std::vector<int32_t>{9, 1, 2, 9, 9}));
}

TEST(LearnMerges, MostFrequentPairFirstAndTiesToTheSmallestPair) {
  // "ab" twice vs "cd" twice: equal counts, so (a, b) goes first; then their "</w>" forms.
  Merges expected = {{"a", "b</w>"}, {"c", "d</w>"}, {"x", "y</w>"}};
  EXPECT_EQ(learn_merges({"cd ab", "xy ab cd"}, 10), expected);
  EXPECT_EQ(learn_merges({"xy xy xy ab", "cd"}, 1), (Merges{{"x", "y</w>"}}));
}

TEST(LearnMerges, StopsWhenNoPairIsLeft) {
  EXPECT_EQ(learn_merges({"a b c", "1 2 3"}, 5), Merges{});
  EXPECT_EQ(learn_merges({}, 5), Merges{});
  EXPECT_EQ(learn_merges({"abc"}, 100).size(), 2u);
  EXPECT_EQ(learn_merges({"abc"}, 0), Merges{});
}

TEST(LearnMerges, RejectsNegativeMergeCount) {
  try {
    learn_merges({"abc"}, -1);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("num_merges must be >= 0, got -1"));
  }
}

TEST(LearnMerges, MatchesTheNaiveAlgorithmOnARandomCorpus) {
  // Few letters and long repeats ("aaaa") exercise overlapping pairs and repeated symbols.
  std::mt19937 gen(7);
  const std::vector<std::string> letters = {"a", "a", "b", "é", "!"};
  std::uniform_int_distribution<int> letter(0, 4), len(1, 9), words(1, 6);
  std::vector<std::string> corpus;
  for (int c = 0; c < 300; ++c) {
    std::string text;
    for (int w = words(gen); w > 0; --w) {
      for (int i = len(gen); i > 0; --i) text += letters[letter(gen)];
      text += ' ';
    }
    corpus.push_back(text);
  }
  auto fast = learn_merges(corpus, 150);
  EXPECT_EQ(fast.size(), 150u);
  EXPECT_EQ(fast, naive_merges(corpus, 150));
}

}  // namespace
}  // namespace lethe::tokenize
