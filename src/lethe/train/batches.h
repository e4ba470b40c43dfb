#pragma once
// Contrastive batches: shuffled pair ids per epoch and batch assembly with one gather per batch
// (no per-sample tensors).
#include <torch/torch.h>

#include <cstdint>
#include <random>
#include <vector>

#include "lethe/data/dataset.h"

namespace lethe::train {

struct Batch {
  torch::Tensor images;  // (B,3,S,S) float, CLIP-normalised
  torch::Tensor tokens;  // (B,L) int64
  torch::Tensor groups;  // (B,) int64 unit ids (same unit ⇒ not a negative)
};

// Shuffles `pair_ids` and cuts them into batches of `batch_size` (the last one kept if it holds
// at least 2 pairs — a contrastive batch of one has no negatives).
std::vector<std::vector<int64_t>> epoch_batches(const std::vector<int64_t>& pair_ids,
                                                int64_t batch_size, std::mt19937_64& rng);

// Random translation by up to `shift` pixels per image (white fill): images (B,3,S,S) uint8.
torch::Tensor shift_images(const torch::Tensor& images, int64_t shift, std::mt19937_64& rng);

class BatchMaker {
 public:
  // tokens: (NC,L) int64 for every caption of ds. shift: random translation in pixels.
  BatchMaker(const data::Dataset& ds, torch::Tensor tokens, int64_t shift);
  // rng == nullptr: no augmentation (evaluation, deterministic probes).
  Batch make(const std::vector<int64_t>& pair_ids, std::mt19937_64* rng) const;
  const data::Dataset& dataset() const { return ds_; }
  const torch::Tensor& tokens() const { return tokens_; }

 private:
  const data::Dataset& ds_;
  torch::Tensor tokens_;
  int64_t shift_;
};

}  // namespace lethe::train
