#pragma once
// The pure linear algebra of EASE (METHODS.md §3): orthonormal bases from sketches, the
// Cosine–Sine split of a forget basis against a retain basis, the forget-exclusive basis E,
// and closed-form excision (the Forget Lock's projection is fl::lock_project). Free functions
// on single matrices (one module of one tower); callers loop over modules.
#include <torch/torch.h>

#include <cstdint>

namespace lethe::unlearn {

// Orthonormal basis (d × r, float64) of the column space of `m` (d × n): its left singular
// vectors, truncated to the smallest rank keeping `energy` of Σσ², at most max_rank. An
// all-zero (or empty) `m` gives a d × 0 basis. NumericalError (as every SVD here: fl::thin_svd)
// when `m` is not finite or the SVD fails.
torch::Tensor orthonormal_basis(const torch::Tensor& m, double energy, int64_t max_rank);

// Principal angles between span(Q_f) (d × k) and span(Q_r) (d × r), both orthonormal.
struct PrincipalSplit {
  // Left singular vectors of the residual Q_f − Q_r(Q_rᵀQ_f) (d × k, float64): column i is
  // the direction of forget subspace i orthogonal to the retain subspace (exactly ⊥ Q_r).
  // Columns with sin θ_i = 0 carry no direction and are never selected.
  torch::Tensor directions;
  torch::Tensor sines;   // sin θ_i, descending (k), from the residual (the stable small-angle route)
  torch::Tensor angles;  // θ_i in radians, paired with `sines`, so descending: θ_1 ≥ θ_2 ≥ …
};

// The sine route: sin θ_i are the singular values of the residual; cos θ_i the singular values
// of Q_rᵀQ_f (accurate near 90°); θ_i = atan2(sin θ_i, cos θ_i) is accurate at both ends.
PrincipalSplit principal_split(const torch::Tensor& q_forget, const torch::Tensor& q_retain);

// Forget-exclusive basis E: the split's directions with θ_i ≥ tau (radians). d × |E|, float64.
torch::Tensor exclusive_basis(const PrincipalSplit& split, double tau);

// Closed-form excision of E from a full weight: W − EEᵀ(W − W₀) (the displacement from the
// initial weights loses its E component; W₀'s own E component stays).
torch::Tensor excise_full(const torch::Tensor& w, const torch::Tensor& w0, const torch::Tensor& e);

// Closed-form excision of E from a LoRA factor: (I − EEᵀ)B, so that BA has no E component.
torch::Tensor excise_lora(const torch::Tensor& b, const torch::Tensor& e);

}  // namespace lethe::unlearn
