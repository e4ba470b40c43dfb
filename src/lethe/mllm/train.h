#pragma once
// Training and evaluating the multimodal LM (METHODS.md §5). A run pretrains a CLIP centrally
// (the [train] settings), moves its image tower into the LM, and trains the LM on the answer-token
// NLL of the image questions (train images) and the text-only questions of every entity. The
// retrain reference of an unlearning request is the same pipeline with the forgotten entities'
// images left out of both stages; their text questions stay in.
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

#include "lethe/core/context.h"
#include "lethe/core/metrics.h"
#include "lethe/mllm/lm.h"
#include "lethe/mllm/qa_scores.h"
#include "lethe/train/train_config.h"

namespace lethe::mllm {

// A multimodal LM with its tokenizer.
struct LmModel {
  models::MultimodalLm model{nullptr};
  tokenize::BpeTokenizer tok;
  int64_t max_text_tokens = 0;
  LmText text(const data::Dataset& ds) const { return {ds, tok, max_text_tokens}; }
};

// What training reads.
struct LmSetup {
  const data::Dataset& ds;
  const QaWorld& world;
  const torch::Tensor& clip_tokens;        // every caption's CLIP tokens
  const models::ClipConfig& clip_cfg;      // resolved, vocab set
  const train::TrainConfig& clip_train;    // CLIP pretraining (epochs, lr, ...; augment_shift also for the LM)
  const MllmConfig& cfg;
  const Context& ctx;
};

// The LM's tokenizer (learnt on every question and answer) and an untrained LM of the run's shape.
LmModel make_untrained_lm(const LmSetup& s);

// Trains CLIP then the LM, never showing the images of `hidden` entities. metrics gets "epoch"
// (CLIP) and "lm_epoch" events. clip_out: receives the pretrained CLIP.
LmModel train_lm(const LmSetup& s, const std::vector<int64_t>& hidden, MetricsWriter& metrics,
                 models::Clip* clip_out = nullptr);

// The LM's training questions without `hidden`'s images.
std::vector<QaItem> training_items(const QaWorld& world, const std::vector<int64_t>& hidden);

// Exact match (greedy decoding) and 4-way multiple choice on named question groups:
// Per group: overall and per question kind (to_json: {group: {"n", "exact", "choice" (both %),
// "by_question": {name: {"n", "exact", "choice"}}}}).
using QaGroups = std::vector<std::pair<std::string, std::vector<QaItem>>>;
QaScores evaluate_lm(LmModel& lm, const data::Dataset& ds, const QaWorld& world, const QaGroups& groups,
                     const MllmConfig& cfg, const Context& ctx);

// The groups of a trained LM's summary: image questions on the train images ("vqa_seen") and
// on the held-out vendor's ("vqa_heldout"), text questions ("qa"), on cfg.eval_entities
// entities sampled with `seed`.
QaGroups summary_groups(const QaWorld& world, const MllmConfig& cfg, uint64_t seed);

// Up to n entities of `ids` (all when n = 0 or n ≥ |ids|), a seeded sample otherwise.
std::vector<int64_t> sample_entities(const std::vector<int64_t>& ids, int64_t n, uint64_t seed);

// A fresh LM of `like`'s shape and tokenizer holding `weights`.
LmModel lm_with(const LmModel& like, const TensorMap& weights, const MllmConfig& cfg,
                const models::ClipConfig& clip);

// Checkpoint: the LM's weights with its tokenizer and row length in the metadata.
void save_lm(const std::string& path, LmModel& lm, std::map<std::string, std::string> extra = {});
// Rebuilds an LM of the run's shape from a checkpoint; InputError naming the file if it does
// not hold one.
LmModel load_lm(const std::string& path, const MllmConfig& cfg, const models::ClipConfig& clip);

}  // namespace lethe::mllm
