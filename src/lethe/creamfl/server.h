#pragma once
// The server of a CreamFL federation (METHODS.md §1, steps 1, 2 and 6): the largest CLIP, trained
// on the public set with the contrastive loss, representing P for the clients, and distilling the
// aggregated client representations. It keeps one AdamW across rounds.
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "lethe/core/context.h"
#include "lethe/creamfl/public_set.h"
#include "lethe/creamfl/shares.h"
#include "lethe/models/clip.h"
#include "lethe/train/batches.h"
#include "lethe/train/train_config.h"

namespace lethe::creamfl {

class CreamServer {
 public:
  // tokens: every caption's tokens of `ds`.
  CreamServer(models::Clip& model, const data::Dataset& ds, const torch::Tensor& tokens,
              const train::TrainConfig& train, const Context& ctx);
  // One epoch of the contrastive loss over P (with the run's augmentation); mean loss. With
  // `targets` (the joint distillation, creamfl.distill_mode = "joint"), each step's loss is
  // L_CLIP + β·Σ_m mean ‖ŝ_m − Z̄_m‖² on the same forward pass, so β sets the trade-off.
  double public_epoch(const PublicSet& pub, std::mt19937_64& rng,
                      const Representations* targets = nullptr, double beta = 0.0);
  // G_I, G_T on P: eval mode, no augmentation, unit-norm.
  Representations represent(const PublicSet& pub);
  // The separate pass (distill_mode = "separate", the paper's step 6): one epoch over P of β·Σ_m mean_p ‖ŝ_m(p) − Z̄_m,p‖² over the modalities with a target
  // (ŝ: the server's unit-norm representation); mean loss. No augmentation (the targets were
  // computed without it).
  double distill(const PublicSet& pub, const Representations& targets, double beta,
                 std::mt19937_64& rng);
  // Its AdamW, for checkpoints.
  torch::optim::AdamW& optimizer() { return *opt_; }
  // While `shares` is set and active, every distillation step (joint or separate) books each
  // client's share of it (shares.h); null stops it.
  void track_shares(ShareTracker* shares) { shares_ = shares; }

 private:
  models::Clip& model_;
  train::TrainConfig train_;
  const Context& ctx_;
  train::BatchMaker batches_;
  std::unique_ptr<torch::optim::AdamW> opt_;
  ShareTracker* shares_ = nullptr;
};

}  // namespace lethe::creamfl
