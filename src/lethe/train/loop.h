#pragma once
// The contrastive training loop shared by central training and every federated client.
#include <torch/torch.h>

#include <functional>
#include <random>
#include <string>
#include <vector>

#include "lethe/core/context.h"
#include "lethe/core/progress.h"
#include "lethe/models/clip.h"
#include "lethe/train/batches.h"
#include "lethe/train/schedule.h"
#include "lethe/train/train_config.h"

namespace lethe::train {

// AdamW over a module's trainable parameters; decay only on matrices (OpenCLIP's rule:
// gains, biases and logit_scale are not decayed).
std::unique_ptr<torch::optim::AdamW> make_optimizer(torch::nn::Module& module,
                                                    const TrainConfig& cfg);
inline std::unique_ptr<torch::optim::AdamW> make_optimizer(models::Clip& model,
                                                           const TrainConfig& cfg) {
  return make_optimizer(*model, cfg);
}
void set_lr(torch::optim::Optimizer& opt, double lr);

// Drops the gradients of the optimiser's parameters (PyTorch's zero_grad(set_to_none=True)):
// the next backward writes fresh gradients instead of adding into zero-filled ones, which saves
// a fill and an add per parameter and step. Every reader of .grad() checks defined().
void clear_grads(torch::optim::Optimizer& opt);

// Clips the gradients' global norm at clip_grad (0 = off), then steps the optimiser. Returns
// the factor the gradients were scaled by (1 when not clipped).
double clip_and_step(torch::optim::Optimizer& opt, double clip_grad);

// Clears the gradients, back-propagates `loss`, clips and steps; returns the loss value.
// NumericalError naming `who` when it is not finite (a federated client's divergence is then
// refused by the server, not the end of the run). `clip_factor`: clip_and_step's factor.
double descend(torch::optim::Optimizer& opt, const torch::Tensor& loss, double clip_grad,
               const std::string& who, double* clip_factor = nullptr);

// Both towers' unit-norm fp32 embeddings of one batch (forward under the context's autocast).
struct BatchEmbeddings {
  torch::Tensor image, text;  // (B,D) each
};
BatchEmbeddings embed_batch(models::Clip& model, const Batch& batch, const Context& ctx);

// The contrastive loss of one batch (its similarity matmul under the autocast too).
torch::Tensor batch_loss(models::Clip& model, const Batch& batch, const Context& ctx);

struct LoopHooks {
  // Called after backward and before clipping/stepping: gradient filters (FedProx's proximal
  // gradient, the Forget Lock's projection).
  std::function<void()> after_backward;
};

struct LoopStats {
  int64_t steps = 0;
  int64_t samples = 0;
  double loss_sum = 0;  // Σ per-step loss
  double mean_loss() const { return steps ? loss_sum / double(steps) : 0.0; }
};

// Runs `epochs` passes over `pair_ids`, or stops after max_steps steps (> 0). `step` is the
// schedule's global step, advanced here.
LoopStats run_epochs(models::Clip& model, torch::optim::Optimizer& opt, const BatchMaker& batches,
                     const std::vector<int64_t>& pair_ids, const TrainConfig& cfg,
                     const Context& ctx, const LrSchedule& schedule, int64_t& step,
                     int64_t epochs, std::mt19937_64& rng, const LoopHooks& hooks = {},
                     Progress* progress = nullptr, int64_t max_steps = 0);

// One optimisation step on one batch; returns the loss.
// Wall seconds of the phases of one train_step (benchmarks ask for them).
struct StepTimes {
  double forward_s = 0, backward_s = 0, update_s = 0;  // update: hooks, clipping, optimiser
};

double train_step(models::Clip& model, torch::optim::Optimizer& opt, const Batch& batch,
                  const TrainConfig& cfg, const Context& ctx, const LoopHooks& hooks = {},
                  StepTimes* times = nullptr);

}  // namespace lethe::train
