#pragma once
// Captions → tokens: a BPE tokenizer learned on the dataset's captions (deterministic), and the
// token matrix of every caption.
#include <torch/torch.h>

#include "lethe/data/dataset.h"
#include "lethe/tokenize/bpe.h"

namespace lethe::train {

struct TextData {
  tokenize::BpeTokenizer tokenizer;
  torch::Tensor tokens;  // (NC, context_length) int64, row c = caption c
};

TextData learn_text(const data::Dataset& ds, int64_t num_merges, int64_t context_length);
TextData encode_text(const data::Dataset& ds, tokenize::BpeTokenizer tokenizer,
                     int64_t context_length);

}  // namespace lethe::train
