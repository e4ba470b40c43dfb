#include "lethe/train/text.h"

namespace lethe::train {

TextData learn_text(const data::Dataset& ds, int64_t num_merges, int64_t context_length) {
  return encode_text(ds, tokenize::BpeTokenizer::train(ds.captions, static_cast<int>(num_merges)),
                     context_length);
}

TextData encode_text(const data::Dataset& ds, tokenize::BpeTokenizer tokenizer,
                     int64_t context_length) {
  auto tokens = tokenizer.encode_batch(ds.captions, context_length);
  return {std::move(tokenizer), std::move(tokens)};
}

}  // namespace lethe::train
