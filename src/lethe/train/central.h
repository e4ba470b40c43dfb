#pragma once
// Central (non-federated) CLIP training and the evaluation block of summary.json.
#include <nlohmann/json.hpp>

#include "lethe/core/context.h"
#include "lethe/core/metrics.h"
#include "lethe/data/dataset.h"
#include "lethe/models/clip.h"
#include "lethe/train/loop.h"
#include "lethe/train/train_config.h"

namespace lethe::train {

// Trains `model` on `pair_ids` for cfg.epochs with warm-up + cosine; one "epoch" metrics event
// per epoch (loss, lr, steps).
LoopStats train_central(models::Clip& model, const data::Dataset& ds, const torch::Tensor& tokens,
                        const std::vector<int64_t>& pair_ids, const TrainConfig& cfg,
                        const Context& ctx, MetricsWriter& metrics);

// {"test": RecallBlock (the dataset's test split), "train": RecallBlock (eval.train_units units
// sampled with the run's seed from `train_ids`)}.
nlohmann::json evaluate_summary(models::Clip& model, const data::Dataset& ds,
                                const torch::Tensor& tokens, const std::vector<int64_t>& train_ids,
                                const EvalConfig& cfg, const Context& ctx);

// Pair ids of `n_units` units drawn (seeded) from the units of `pair_ids`.
std::vector<int64_t> sample_units(const data::Dataset& ds, const std::vector<int64_t>& pair_ids,
                                  int64_t n_units, uint64_t seed);

// Up to `folds` disjoint galleries of `n_units` units each, drawn (seeded) from the units of
// `pair_ids`: as many as the units fill (at least one, smaller when there are fewer than
// `n_units` units). The first fold is sample_units(ds, pair_ids, n_units, seed).
std::vector<std::vector<int64_t>> unit_folds(const data::Dataset& ds,
                                             const std::vector<int64_t>& pair_ids, int64_t n_units,
                                             int64_t folds, uint64_t seed);

}  // namespace lethe::train
