#pragma once
#include <torch/torch.h>

namespace lethe::train {

// Symmetric InfoNCE (METHODS.md §1). img, txt: (B,D) unit-norm; scale: e^γ (scalar);
// groups: (B,) int64 — entries i≠j with groups[i]==groups[j] (same image or same caption unit)
// are removed from the negatives. Returns the scalar loss in float32.
torch::Tensor clip_loss(const torch::Tensor& img, const torch::Tensor& txt,
                        const torch::Tensor& scale, const torch::Tensor& groups);

// The (B,B) logits scale·img·txtᵀ with same-group off-diagonal entries at -inf.
torch::Tensor masked_logits(const torch::Tensor& img, const torch::Tensor& txt,
                            const torch::Tensor& scale, const torch::Tensor& groups);

}  // namespace lethe::train
