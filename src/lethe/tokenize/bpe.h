#pragma once
// Byte-level BPE in the CLIP format: bytes map to printable unicode characters
// (GPT-2's bytes_to_unicode), words end with "</w>", merges are ranked pairs, one per line of a
// merges file whose first line is a "#version" comment. Ids: 256 byte symbols, 256 byte
// symbols + "</w>", one id per merge in rank order, then <start_of_text>, <end_of_text>; so
// OpenCLIP's bpe_simple_vocab_16e6.txt loaded with max_merges = 48894 gives OpenCLIP's ids
// (49408 tokens) for text that pre-tokenises the same way (see pretokenize.h).
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace lethe::tokenize {

class BpeTokenizer {
 public:
  BpeTokenizer();  // no merges: every byte is a token

  // Learns up to `num_merges` merges from a corpus (deterministic: ties broken by symbol order).
  static BpeTokenizer train(const std::vector<std::string>& corpus, int num_merges);
  // Loads a CLIP-format merges file (e.g. OpenCLIP's bpe_simple_vocab_16e6.txt, uncompressed).
  // `max_merges` < 0 keeps all of them. Bad files throw InputError naming the file and line.
  static BpeTokenizer load(const std::string& merges_path, int max_merges = -1);
  // The same from the file's text; `source` names it in error messages.
  static BpeTokenizer from_merges_text(std::string_view text,
                                       const std::string& source = "merges text",
                                       int max_merges = -1);
  void save(const std::string& merges_path) const;  // atomic (temp file + rename)
  std::string to_merges_text() const;               // what save() writes

  // Text → ids without special tokens. Text is lower-cased and whitespace-normalised.
  std::vector<int64_t> encode(std::string_view text) const;
  // Ids → text; special tokens are dropped, "</w>" becomes a space between words (none after
  // the last). InputError on an id outside [0, vocab_size).
  std::string decode(const std::vector<int64_t>& ids) const;
  // (N, context_length) int64: <start_of_text> ids <end_of_text>, zero-padded; long texts are
  // truncated so that <end_of_text> is always the last non-pad token.
  torch::Tensor encode_batch(const std::vector<std::string>& texts, int64_t context_length) const;

  int64_t vocab_size() const { return static_cast<int64_t>(vocab_.size()); }
  int64_t sot() const { return vocab_size() - 2; }
  int64_t eot() const { return vocab_size() - 1; }
  size_t num_merges() const { return merges_.size(); }
  const std::vector<std::pair<std::string, std::string>>& merges() const { return merges_; }
  const std::string& token(int64_t id) const;  // id → symbol, e.g. "face</w>"

 private:
  struct MergeTarget {
    int64_t rank;
    int64_t id;  // id of the merged symbol
  };

  explicit BpeTokenizer(std::vector<std::pair<std::string, std::string>> merges);
  void encode_piece(const std::string& piece, std::vector<int64_t>& out) const;

  std::vector<std::pair<std::string, std::string>> merges_;
  std::vector<std::string> vocab_;                    // id → symbol
  std::vector<std::string> text_;                     // id → its bytes, + ' ' after a word end
  std::unordered_map<std::string, int64_t> encoder_;  // symbol → id (the last one, as CLIP)
  std::unordered_map<uint64_t, MergeTarget> merge_of_pair_;  // (left id << 32 | right id) → merge
};

}  // namespace lethe::tokenize
