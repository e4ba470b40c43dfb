#pragma once
// From a model and a list of pair ids to a gallery of unit-norm embeddings and its positives.
#include <torch/torch.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "lethe/core/context.h"
#include "lethe/data/dataset.h"
#include "lethe/eval/retrieval.h"
#include "lethe/models/clip.h"

namespace lethe::eval {

// The distinct images and captions of some pairs, and which (image, caption) are positives,
// as indices into `images` / `captions`.
struct Gallery {
  std::vector<int64_t> images;    // dataset image ids
  std::vector<int64_t> captions;  // dataset caption ids
  std::vector<std::pair<int64_t, int64_t>> positives;
};
Gallery make_gallery(const data::Dataset& ds, const std::vector<int64_t>& pair_ids);

// images_u8 (N,3,S,S) uint8 → (N,D) unit-norm float, eval mode, no grad, in batches.
torch::Tensor embed_images(models::Clip& model, const torch::Tensor& images_u8, const Context& ctx,
                           int64_t batch = 512);
// tokens (N,L) int64 → (N,D) unit-norm float.
torch::Tensor embed_texts(models::Clip& model, const torch::Tensor& tokens, const Context& ctx,
                          int64_t batch = 512);

// Recall of `model` on the gallery of `pair_ids`; `tokens` holds every dataset caption's tokens.
RecallBlock evaluate_pairs(models::Clip& model, const data::Dataset& ds, const torch::Tensor& tokens,
                           const std::vector<int64_t>& pair_ids, const Context& ctx);

}  // namespace lethe::eval
