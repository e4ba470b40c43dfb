#pragma once
// From a model and a list of pair ids to a gallery of unit-norm embeddings and its positives.
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <unordered_map>
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

// Rows [0, n) encoded `batch` at a time (encode(s, e) returns rows s..e-1) under the context's
// autocast → (n, D) unit-norm float on the CPU. The caller holds the no-grad / eval scopes.
torch::Tensor embed_batches(int64_t n, int64_t batch, const Context& ctx,
                            const std::function<torch::Tensor(int64_t, int64_t)>& encode);

// Puts a module in eval mode for the scope and restores its previous mode.
class EvalMode {
 public:
  explicit EvalMode(torch::nn::Module& m) : m_(m), was_training_(m.is_training()) { m.eval(); }
  ~EvalMode() { m_.train(was_training_); }
  EvalMode(const EvalMode&) = delete;
  EvalMode& operator=(const EvalMode&) = delete;

 private:
  torch::nn::Module& m_;
  bool was_training_;
};

// images_u8 (N,3,S,S) uint8 → (N,D) unit-norm float, eval mode, no grad, in batches.
torch::Tensor embed_images(models::Clip& model, const torch::Tensor& images_u8, const Context& ctx,
                           int64_t batch = 512);
// tokens (N,L) int64 → (N,D) unit-norm float.
torch::Tensor embed_texts(models::Clip& model, const torch::Tensor& tokens, const Context& ctx,
                          int64_t batch = 512);

// Unit-norm embeddings of each pair's own image and caption: row i of both = pair_ids[i] (an
// image with several captions is encoded once and repeated), so (image * text).sum(1) scores each
// (image, own caption) pair explicitly.
struct PairEmbeddings {
  torch::Tensor image, text;  // (n,D) float
};

// Every distinct image and caption of some pairs encoded once by one model; galleries and pair
// rows of any subset are then looked up, not encoded again. An audit evaluates overlapping sets
// (retain and test folds drawn with repetition, the AUC's and the MIA's pairs) on one model: the
// table encodes each image and caption once instead of once per set.
class EmbeddingTable {
 public:
  // `tokens` holds every dataset caption's tokens.
  EmbeddingTable(models::Clip& model, const data::Dataset& ds, const torch::Tensor& tokens,
                 const std::vector<int64_t>& pair_ids, const Context& ctx);
  // Recall on the gallery of `pair_ids` (each must be one of the table's pairs).
  RecallBlock evaluate(const std::vector<int64_t>& pair_ids) const;
  PairEmbeddings pairs(const std::vector<int64_t>& pair_ids) const;

 private:
  torch::Tensor rows(const std::unordered_map<int64_t, int64_t>& row_of, const torch::Tensor& table,
                     const std::vector<int64_t>& ids, const char* what) const;
  const data::Dataset& ds_;
  std::unordered_map<int64_t, int64_t> image_row_, caption_row_;
  torch::Tensor images_, captions_;  // (distinct, D) float
};

// Recall of `model` on the gallery of `pair_ids`.
RecallBlock evaluate_pairs(models::Clip& model, const data::Dataset& ds, const torch::Tensor& tokens,
                           const std::vector<int64_t>& pair_ids, const Context& ctx);
PairEmbeddings pair_embeddings(models::Clip& model, const data::Dataset& ds, const torch::Tensor& tokens,
                               const std::vector<int64_t>& pair_ids, const Context& ctx);

}  // namespace lethe::eval
