#pragma once
// Byte-level BPE in the CLIP format: bytes map to printable unicode characters
// (GPT-2's bytes_to_unicode), words end with "</w>", merges are ranked pairs, one per line of a
// merges file whose first line is a "#version" comment (plain or gzip-compressed). Ids: 256 byte
// symbols, 256 byte symbols + "</w>", one id per merge in rank order, then <start_of_text>,
// <end_of_text>. So for_vocab_size(OpenCLIP's bpe_simple_vocab_16e6.txt.gz, 49408) is OpenCLIP's
// SimpleTokenizer: the same cleaning and split (pretokenize.h, which says what of ftfy is not
// reproduced) and the same ids.
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
  // Loads a CLIP-format merges file, plain or gzip-compressed (OpenCLIP's
  // bpe_simple_vocab_16e6.txt.gz). `max_merges` < 0 keeps all of them. Bad files throw
  // InputError naming the file and line.
  static BpeTokenizer load(const std::string& merges_path, int max_merges = -1);
  // The same from the file's bytes; `source` names it in error messages.
  static BpeTokenizer from_merges_text(std::string_view bytes,
                                       const std::string& source = "merges text",
                                       int max_merges = -1);
  // A vocabulary of exactly `vocab_size` tokens, as OpenCLIP builds it: the file's first
  // vocab_size - 514 merges. InputError when the file has fewer or vocab_size < 514.
  static BpeTokenizer for_vocab_size(const std::string& merges_path, int64_t vocab_size);
  // Atomic (temp file + rename); gzip-compressed when the path ends in ".gz".
  void save(const std::string& merges_path) const;
  std::string to_merges_text() const;  // what save() writes, uncompressed

  // Text → ids: cleaned and split as pretokenize.h says; the pieces "<start_of_text>" and
  // "<end_of_text>" become sot() and eot(), as in OpenCLIP. encode_batch adds its own.
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
