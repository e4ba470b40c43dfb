#pragma once
// CreamFL's local regularisers (METHODS.md §1, step 3), on a batch of public samples. z holds
// the client's unit-norm representations of public samples `idx`; G the server's global
// representations of all of P (unit-norm rows).
#include <torch/torch.h>

namespace lethe::creamfl {

// L_inter: cross-entropy over every public sample j of ⟨z_i, G_other_j⟩/τ with target j = idx_i.
// Other samples of the target's unit (units: (|P|) int64) are not negatives: they are masked,
// as the contrastive loss masks same-unit pairs. z (B,D), other (|P|,D), idx (B) int64.
torch::Tensor inter_modal_loss(const torch::Tensor& z, const torch::Tensor& other,
                               const torch::Tensor& idx, const torch::Tensor& units, double tau);

// L_intra: −log(e^{⟨z,s⟩/τ} / (e^{⟨z,s⟩/τ} + e^{⟨z,o⟩/τ})) averaged over the batch, with the
// server's same-modality vector s as the positive and the client's own start-of-round
// representation o as the negative. z, same, old: (B,D).
torch::Tensor intra_modal_loss(const torch::Tensor& z, const torch::Tensor& same,
                               const torch::Tensor& old, double tau);

}  // namespace lethe::creamfl
