#pragma once
// The federated CLIP client: one model replica plays every virtual client. Each turn loads the
// global trainable weights, runs local epochs of the shared training loop on that client's
// pairs with a fresh AdamW (METHODS.md §1) — or, with keep_optimizer, with that client's AdamW
// moments from its previous round — applies the round's gradient filters (the Forget Lock) and
// FedProx's proximal gradient, and returns θ_k − θ^t.
#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

#include "lethe/core/context.h"
#include "lethe/data/dataset.h"
#include "lethe/fl/client.h"
#include "lethe/models/clip.h"
#include "lethe/train/batches.h"
#include "lethe/train/train_config.h"

namespace lethe::experiment {

class ClipClient final : public fl::Client {
 public:
  // train_pairs[k] / val_pairs[k]: pair ids client k trains on / holds out.
  ClipClient(models::Clip model, const data::Dataset& ds, torch::Tensor tokens,
             std::vector<std::vector<int64_t>> train_pairs,
             std::vector<std::vector<int64_t>> val_pairs, train::TrainConfig cfg, Context ctx,
             bool keep_optimizer = false);

  fl::FitRes fit(int64_t client, const fl::FitIns& ins) override;
  // Loss and R@1 of the global model on the client's validation pairs.
  fl::EvaluateRes evaluate(int64_t client, const fl::EvaluateIns& ins) override;
  // keep_optimizer: every client's AdamW state, as "K/exp_avg.NAME" etc.
  fl::StateBlob state() const override;
  void load_state(const fl::StateBlob& state, const std::string& source) override;

  models::Clip& model() { return model_; }

 private:
  void load_global(const TensorMap& global);

  models::Clip model_;
  const data::Dataset& ds_;
  train::BatchMaker batches_;
  std::vector<std::vector<int64_t>> train_, val_;
  train::TrainConfig cfg_;
  Context ctx_;
  bool keep_optimizer_;
  std::map<int64_t, TensorMap> optimizer_state_;  // by client id (keep_optimizer)
};

// Copies `weights` into the model's parameters of the same names (no grad); every name must
// exist with the same shape.
void load_parameters(models::Clip& model, const TensorMap& weights);
// The model's trainable parameters (requires_grad), detached copies.
TensorMap trainable_parameters(models::Clip& model);

}  // namespace lethe::experiment
