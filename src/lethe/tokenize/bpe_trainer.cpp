#include "lethe/tokenize/bpe_trainer.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <queue>
#include <unordered_map>

#include "lethe/core/error.h"
#include "lethe/tokenize/byte_unicode.h"
#include "lethe/tokenize/pretokenize.h"

namespace lethe::tokenize {

namespace {

using PairKey = uint64_t;  // pair_key(left symbol, right symbol)

int32_t left_of(PairKey p) { return static_cast<int32_t>(p >> 32); }
int32_t right_of(PairKey p) { return static_cast<int32_t>(p & 0xFFFFFFFFu); }

struct Word {
  std::vector<int32_t> symbols;
  int64_t count = 0;  // occurrences in the corpus
};

struct Candidate {
  int64_t count;
  PairKey pair;
};

class Trainer {
 public:
  explicit Trainer(const std::vector<std::string>& corpus)
      : queue_([this](const Candidate& x, const Candidate& y) { return ranks_below(x, y); }) {
    const auto& alphabet = byte_alphabet();
    for (const auto& t : alphabet.text) intern(t);
    for (const auto& t : alphabet.text) intern(t + "</w>");

    std::map<std::string, int64_t> pieces;
    for (const auto& text : corpus)
      for (auto& piece : pretokenize(text))
        if (piece != kStartOfText && piece != kEndOfText) ++pieces[piece];  // never BPE-encoded
    for (const auto& [piece, count] : pieces) {
      Word w;
      w.count = count;
      for (unsigned char b : piece) w.symbols.push_back(alphabet.id_of_byte[b]);
      w.symbols.back() += 256;  // the "</w>" form of the last byte
      words_.push_back(std::move(w));
    }

    std::unordered_map<PairKey, int64_t> delta;
    for (int32_t w = 0; w < static_cast<int32_t>(words_.size()); ++w) add_pairs(w, +1, delta);
    apply(delta);
  }

  std::vector<std::pair<std::string, std::string>> run(int num_merges) {
    std::vector<std::pair<std::string, std::string>> merges;
    while (static_cast<int>(merges.size()) < num_merges && !queue_.empty()) {
      auto top = queue_.top();
      queue_.pop();
      auto it = counts_.find(top.pair);
      if (it == counts_.end() || it->second != top.count) continue;  // stale entry
      auto a = symbols_[left_of(top.pair)];  // copies: intern() may grow symbols_
      auto b = symbols_[right_of(top.pair)];
      merge(top.pair, intern(a + b));
      merges.emplace_back(std::move(a), std::move(b));
    }
    return merges;
  }

 private:
  // Priority order: higher count first, then the lexicographically smaller pair.
  bool ranks_below(const Candidate& x, const Candidate& y) const {
    if (x.count != y.count) return x.count < y.count;
    const auto& xa = symbols_[left_of(x.pair)];
    const auto& ya = symbols_[left_of(y.pair)];
    if (xa != ya) return xa > ya;
    return symbols_[right_of(x.pair)] > symbols_[right_of(y.pair)];
  }

  // The same string can come from two different merges ("a"+"bc", "ab"+"c"): one symbol.
  int32_t intern(const std::string& s) {
    auto [it, inserted] = symbol_ids_.try_emplace(s, static_cast<int32_t>(symbols_.size()));
    if (inserted) symbols_.push_back(s);
    return it->second;
  }

  void add_pairs(int32_t w, int64_t sign, std::unordered_map<PairKey, int64_t>& delta) {
    const auto& s = words_[w].symbols;
    for (size_t i = 0; i + 1 < s.size(); ++i) {
      auto p = pair_key(s[i], s[i + 1]);
      delta[p] += sign * words_[w].count;
      if (sign > 0) where_[p].push_back(w);
    }
  }

  void apply(const std::unordered_map<PairKey, int64_t>& delta) {
    for (const auto& [p, d] : delta) {
      if (d == 0) continue;
      int64_t c = (counts_[p] += d);
      if (c > 0)
        queue_.push({c, p});
      else
        counts_.erase(p);
    }
  }

  // Replaces every occurrence of `pair` by `merged` in the words that hold it.
  void merge(PairKey pair, int32_t merged) {
    auto node = where_.extract(pair);
    LETHE_ASSERT(!node.empty());
    auto& holders = node.mapped();  // may repeat words and list words that lost the pair
    std::sort(holders.begin(), holders.end());
    holders.erase(std::unique(holders.begin(), holders.end()), holders.end());
    const int32_t a = left_of(pair), b = right_of(pair);
    std::unordered_map<PairKey, int64_t> delta;
    for (int32_t w : holders) {
      auto& s = words_[w].symbols;
      auto holds = [&](int32_t x, int32_t y) { return x == a && y == b; };
      if (std::adjacent_find(s.begin(), s.end(), holds) == s.end()) continue;
      add_pairs(w, -1, delta);
      merge_pair(s, a, b, merged);
      add_pairs(w, +1, delta);
    }
    apply(delta);
    LETHE_ASSERT(!counts_.contains(pair));
  }

  std::vector<std::string> symbols_;  // training symbol id → text (byte-unicode, maybe "</w>")
  std::unordered_map<std::string, int32_t> symbol_ids_;
  std::vector<Word> words_;
  std::unordered_map<PairKey, int64_t> counts_;              // pair → occurrences, all > 0
  std::unordered_map<PairKey, std::vector<int32_t>> where_;  // pair → words that held it
  std::priority_queue<Candidate, std::vector<Candidate>,
                      std::function<bool(const Candidate&, const Candidate&)>>
      queue_;  // lazily updated: entries whose count is no longer current are skipped
};

}  // namespace

void merge_pair(std::vector<int32_t>& word, int32_t a, int32_t b, int32_t merged) {
  size_t out = 0;
  for (size_t i = 0; i < word.size();) {
    if (i + 1 < word.size() && word[i] == a && word[i + 1] == b) {
      word[out++] = merged;
      i += 2;
    } else {
      word[out++] = word[i++];
    }
  }
  word.resize(out);
}

std::vector<std::pair<std::string, std::string>> learn_merges(
    const std::vector<std::string>& corpus, int num_merges) {
  LETHE_CHECK(num_merges >= 0, "BPE training: num_merges must be >= 0, got {}", num_merges);
  return Trainer(corpus).run(num_merges);
}

}  // namespace lethe::tokenize
