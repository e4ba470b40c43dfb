#pragma once
// Each client's share of the server's displacement in a CreamFL round: what a CreamFL run keeps
// in its update history (fl/history.h) so that the history-based unlearning methods have a
// per-client contribution to work with (docs/methods/creamfl.md, "Forgetting a client").
//
// The distillation term β·mean_b ‖ŝ_b − Z̄_b‖² with Z̄_b = Σ_k w_{k,b}·z_{k,b} and Σ_k w_{k,b} = 1
// has the same gradient in ŝ as Σ_k β·mean_b w_{k,b}·‖ŝ_b − z_{k,b}‖², so client k's part of
// every step's gradient is g_k = ∇_θ of its own term (one extra backward pass per client and
// step). AdamW's step is linear in its first moment given the second: the tracker keeps one
// first moment per client, m_k ← β₁·m_k + (1 − β₁)·c·g_k (c: the step's gradient-clipping
// factor), and adds −lr/(1 − β₁ᵗ) · m_k / (√(v/(1 − β₂ᵗ)) + ε) — the optimiser's own v and t —
// to client k's share. The shares and the rest (the contrastive loss on P, weight decay, and
// the momentum carried in from earlier rounds, which every round starts without) add up to the
// round's displacement exactly.
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "lethe/core/tensor_map.h"
#include "lethe/creamfl/public_set.h"
#include "lethe/models/clip.h"

namespace lethe::creamfl {

// One client's part of the round's distillation targets: Z̄_m = Σ_k w_{k,m} ⊙ z_{k,m}.
struct TargetPart {
  int64_t client = 0;
  Representations reps;     // (|P|,D) per modality the client sent; undefined otherwise
  Representations weights;  // (|P|) its ensemble weights w_{k,m}, where reps are defined
};

class ShareTracker {
 public:
  // The server and its AdamW (every trainable parameter in the optimiser's groups).
  ShareTracker(models::Clip& server, torch::optim::AdamW& opt);

  // Starts a round: the clients' parts of the targets; shares and moments start at zero.
  void begin_round(std::vector<TargetPart> parts);
  bool active() const { return !parts_.empty(); }

  // One optimiser step in place of train::descend: `loss` (the step's whole loss), ŝ of the
  // batch per modality (undefined where there is no target) and the batch's public positions.
  // Backpropagates each client's term and the loss, clips, steps, and books the shares.
  double descend(const torch::Tensor& loss, const torch::Tensor& image, const torch::Tensor& text,
                 const torch::Tensor& idx, double beta, double clip_grad, const std::string& who);

  // The clients of this round, in begin_round's order, and each one's share so far, by
  // parameter name (the names of the server's trainable parameters).
  std::vector<int64_t> clients() const;
  TensorMap share(int64_t client) const;

 private:
  torch::optim::AdamW& opt_;
  std::vector<torch::Tensor> params_;  // the optimiser's, in group order
  std::vector<std::string> names_;     // their names in the server
  std::vector<const torch::optim::AdamWOptions*> options_;  // their groups' (lr changes in place)
  std::vector<TargetPart> parts_;
  std::vector<std::vector<torch::Tensor>> moment_, share_;  // [part][param]
};

}  // namespace lethe::creamfl
