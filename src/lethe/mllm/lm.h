#pragma once
// Questions → batches for the multimodal LM, and what is computed on them: the answer-token
// NLL (training, saliency, ascent), greedy decoding (exact match) and answer likelihoods
// (4-way multiple choice).
//
// A row is <start_of_text> prompt answer <end_of_text>, zero-padded on the right; the causal
// mask keeps the padding out of every real position. The loss covers the answer's tokens and
// <end_of_text> (the model must also learn where an answer stops).
#include <torch/torch.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "lethe/core/context.h"
#include "lethe/data/dataset.h"
#include "lethe/mllm/mllm_config.h"
#include "lethe/mllm/qa.h"
#include "lethe/models/clip.h"
#include "lethe/models/mmlm.h"
#include "lethe/tokenize/bpe.h"

namespace lethe::mllm {

struct LmBatch {
  torch::Tensor tokens;      // (N,L) int64
  torch::Tensor targets;     // (N,L-1) int64: tokens shifted left
  torch::Tensor mask;        // (N,L-1) float: 1 where the target is an answer token or <end_of_text>
  torch::Tensor images;      // (M,3,S,S) float, normalised, or undefined
  torch::Tensor image_rows;  // (M,) int64
};

// Everything needed to turn questions into batches.
struct LmText {
  const data::Dataset& ds;
  const tokenize::BpeTokenizer& tok;
  int64_t max_text_tokens = 0;  // rows longer than this are an error
};

// The batch of items[ids]; `answers` (same length as ids) replaces their answers when given.
// shift > 0 with rng: random image translation (training).
LmBatch make_batch(const LmText& text, const std::vector<QaItem>& items, const std::vector<int64_t>& ids,
                   const std::vector<std::string>* answers = nullptr, int64_t shift = 0,
                   std::mt19937_64* rng = nullptr);

// Next-token logits of a batch (N,L-1,V), under the context's autocast.
torch::Tensor batch_logits(models::MultimodalLm& model, const LmBatch& b, const Context& ctx);
// Per-row mean NLL over the masked targets (N,); differentiable.
torch::Tensor answer_nll(const torch::Tensor& logits, const LmBatch& b);
inline torch::Tensor answer_nll(models::MultimodalLm& model, const LmBatch& b, const Context& ctx) {
  return answer_nll(batch_logits(model, b, ctx), b);
}

// Greedy answers (no gradient), `batch` questions at a time. Each new token re-runs the whole
// (short: prefix + prompt + answer ≤ max_text_tokens) sequence; no key/value cache.
std::vector<std::string> greedy_answers(models::MultimodalLm& model, const LmText& text,
                                        const std::vector<QaItem>& items, int64_t max_answer_tokens,
                                        int64_t batch, const Context& ctx);

// 4-way multiple choice: per item, the correct answer and 3 distractors of the same question
// (drawn from `pool[q]` with a generator seeded by the item, so every model gets the same
// choices; fewer when the pool has fewer distinct answers); the choice is the lowest mean NLL
// per answer token, a tie a miss. Returns 1/0 per item.
std::vector<int> choice_hits(models::MultimodalLm& model, const LmText& text,
                             const std::vector<QaItem>& items,
                             const std::vector<std::vector<std::string>>& pool, int64_t batch,
                             const Context& ctx);

// The LM's shape for a resolved CLIP (its image tower) and a tokenizer; deterministic in seed.
models::MultimodalLm make_lm(const MllmConfig& cfg, const models::ClipConfig& clip, int64_t vocab_size,
                             int64_t max_text_tokens, uint64_t seed);
// Longest row the LM must hold: every item's full row and every prompt plus a generated answer.
int64_t needed_text_tokens(const QaWorld& world, const tokenize::BpeTokenizer& tok,
                           int64_t max_answer_tokens);

}  // namespace lethe::mllm
