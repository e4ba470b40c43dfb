#pragma once
// The gradient-ascent family's shared local loop (METHODS.md §2: ga, npo, graddiff, klmin).
// Every holder of D_f starts from θ^T and takes optimiser steps on batches of its own forget
// pairs (graddiff and klmin alternate them with steps on retain batches) until the step cap or
// the stopping rule ρ; the server then averages the holders' models, weighted by their forget
// pairs: one round. docs/methods/ga.md, npo.md and graddiff.md give the equations and choices.
#include <torch/torch.h>

#include <functional>

#include "lethe/train/batches.h"
#include "lethe/unlearn/unlearner.h"

namespace lethe::unlearn {

enum class AscentObjective {
  kGradientAscent,  // maximise L_CLIP on D_f
  kNpo,             // minimise (2/β)·mean log(1 + (π_θ/π_ref)^β) on D_f, π_ref from θ^T
  kGradDiff,        // −L_CLIP(D_f) steps alternating with +L_CLIP(D_r) steps
  kKlMin,           // graddiff, plus kl_weight·KL(p_θ^T ‖ p_θ) on the D_r steps
  kBke,             // EASE's bilateral knowledge excision (bke_loss) on D_f
};

// What a caller may change about the loop (defaults: the [unlearn] ascent knobs, from θ^T).
struct AscentOptions {
  AscentObjective objective = AscentObjective::kGradientAscent;
  const TensorMap* start = nullptr;  // the holders' starting weights (θ^T when null)
  int64_t steps = 0;                 // step cap (0 = unlearn.ascent_steps)
  double lr = 0;                     // (0 = unlearn.ascent_lr)
  // Alternate every forget step with a descent step on the holder's retained pairs, as
  // graddiff does (always on for kGradDiff and kKlMin): EASE's BKE anchoring the neighbours.
  bool retain_anchor = false;
  std::string stop = {};  // the stopping rule ρ: budget | holdout | test ("" = unlearn.stop)
  // Concept requests: ρ read only on the rule's pairs that mention the concept, a gallery as
  // hard as the forget gallery (hearts among hearts, not among anything).
  bool matched_proxy = false;
  // Called on the trainable parameters' gradients (name → grad, in place) after every
  // backward pass of a forget step, before the clip: EASE's retain-orthogonal projection and
  // tower selection.
  std::function<void(TensorMap& grads)> gradient_filter = {};
  // The same on the retain steps (graddiff, klmin, the anchor); none when empty.
  std::function<void(TensorMap& grads)> retain_gradient_filter = {};
};

// Unit-norm float32 embeddings of one batch (the model's mode as it is) and the losses on them.
struct Embedded {
  torch::Tensor img, txt, scale, groups;
  torch::Tensor clip_loss() const;  // train::clip_loss
  torch::Tensor logits() const;     // train::masked_logits
};
Embedded embed(models::Clip& model, const train::Batch& b, const Context& ctx);

// Negative preference optimisation on one batch. logits, ref_logits: (B,B) in-batch logits of
// the current and the reference model (train::masked_logits: same-unit negatives at -inf).
// π_i is pair i's softmax probability among its row (i2t) and among its column (t2i):
//   (2/β)·mean_i ½[log(1 + (π^i2t_i/π^i2t_ref,i)^β) + log(1 + (π^t2i_i/π^t2i_ref,i)^β)].
// Scalar float32. At logits == ref_logits its gradient is −∇L_CLIP for every β.
torch::Tensor npo_loss(const torch::Tensor& logits, const torch::Tensor& ref_logits, double beta);

// KL(p_ref ‖ p) between the in-batch softmax distributions of two (B,B) logit matrices, rows
// (i2t) and columns (t2i), averaged over the B rows and the two directions. -inf entries (masked
// negatives, -inf in both) contribute nothing. Scalar float32, ≥ 0.
torch::Tensor in_batch_kl(const torch::Tensor& ref_logits, const torch::Tensor& logits);

// EASE's bilateral knowledge excision loss on one batch (METHODS.md §3):
//   ½·mean_i[−log(1 − P^i2t_ii) − log(1 − P^t2i_ii)] + λ_d·(D_v + D_t),
//   D_v = mean_i [cos(v_i, v_i^T) − m]₊, D_t likewise for the texts,
// with P the in-batch softmax of `logits` (B,B; −inf entries are masked negatives), img/txt the
// current unit-norm embeddings and ref_img/ref_txt θ^T's. The un-alignment term is bounded
// below by 0 (unlike −L_CLIP, it cannot run off to −∞); rows with no negative add nothing.
torch::Tensor bke_loss(const torch::Tensor& logits, const torch::Tensor& img, const torch::Tensor& txt,
                       const torch::Tensor& ref_img, const torch::Tensor& ref_txt, double margin,
                       double lambda_d);

// One local optimiser step of an unlearning method: the loss `loss_fn` builds (under the
// context's autocast policy, as train::train_step), its gradients passed through `filter` (if
// any, name → grad of the trainable parameters `params`) and their norm clipped to `clip`
// (0 = off). Error naming the method's loss when it is not finite.
void local_step(torch::optim::Optimizer& opt, const Context& ctx, double clip,
                const std::function<torch::Tensor()>& loss_fn, const TensorMap& params,
                const std::function<void(TensorMap&)>& filter = {});

// Holder k's training pairs that are in D_f.
std::vector<int64_t> forget_pairs_of(const UnlearnInputs& in, int64_t k);

// The server's step after the holders' local runs: start + Σ_k (n_k/n)·(θ_k − start), n_k a
// holder's forget pairs (one holder: its model as it is).
TensorMap combine_holders(const TensorMap& start, const std::vector<std::pair<const TensorMap*, int64_t>>& holders);

// Runs the local loop on every holder of in.forget with ≥ 2 forget pairs and averages their
// models. cost: optimiser steps, 1 round, 2 × parameter bytes per holder. details: "stop",
// "steps", "stopped_early", "proxy_r1", "forget_r1" (means over holders weighted by forget
// pairs; null where no probe ran) and "holders" (per holder: the same and more).
UnlearnOutput run_ascent(const UnlearnInputs& in, const AscentOptions& opts);
inline UnlearnOutput run_ascent(const UnlearnInputs& in, AscentObjective objective) {
  return run_ascent(in, AscentOptions{.objective = objective});
}

}  // namespace lethe::unlearn
