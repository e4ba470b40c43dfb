#pragma once
// MultiDelete (Cheng & Amiri, ECCV 2024; METHODS.md §4) for CLIP: the holder of D_f trains a
// copy M′ of the original M so that M′ scores each deleted pair the way M scores an unrelated
// pair (modality decoupling), while M′'s similarity structure on retained pairs (multimodal
// retention) and its embeddings of single images and texts (unimodal retention) stay M's. Run
// by every holder of D_f and averaged (a central model is a federation of one holder).
// docs/methods/multidelete.md gives the equations and where Lethe departs from the code.
#include <torch/torch.h>

#include <random>

#include "lethe/unlearn/ascent.h"

namespace lethe::unlearn {

struct MultiDeleteTerms {
  torch::Tensor decoupling;  // L_MD = MSE(S^{M′}(I_f, T_f), S^M(I_f, T_{f,π}))
  torch::Tensor multimodal;  // L_MKR = MSE(S^{M′}(I_r, T_r), S^M(I_r, T_r))
  torch::Tensor unimodal;    // L_UKR = MSE(v^{M′}, v^M) + MSE(t^{M′}, t^M)
  torch::Tensor task;        // L_CLIP of M′ on the D_r batch (Lethe's addition, not the paper's)
  // L_MD + λ·(L_MKR + L_UKR) + w·L_CLIP; λ = 1, w = 0 is the paper's objective.
  torch::Tensor total(double retention_weight = 1.0, double task_weight = 0.0) const {
    return decoupling + retention_weight * (multimodal + unimodal) + task_weight * task;
  }
};

// The terms of one step. forget / retain: M′'s unit-norm embeddings of a D_f and a D_r
// batch; forget_ref / retain_ref: M's of the same batches. S(I, T) = I·Tᵀ (cosine similarity),
// MSE = mean over entries. perm (B_f) int64: caption perm[j] stands in for caption j in M's
// scores, so M′'s diagonal is pulled to M's score of an unrelated pair. unimodal_on_forget:
// L_UKR on the D_f batch (the released code) or on the D_r batch. whole_matrix: every entry of
// S^{M′}(I_f, T_f) is pulled to the permuted S^M (the paper); otherwise only the diagonal (the
// deleted pairs) is, and the other entries to M's own scores of the same (image, caption).
MultiDeleteTerms multidelete_loss(const Embedded& forget, const Embedded& forget_ref,
                                  const torch::Tensor& perm, const Embedded& retain,
                                  const Embedded& retain_ref, bool unimodal_on_forget,
                                  bool whole_matrix = true);

// A permutation π of a batch's rows (B) int64 that sends as few rows as possible to a row of the
// same unit (a caption of the same image is no unrelated text): the best of several random
// cyclic shifts of random orders. For B ≥ 2 π(i) ≠ i always; with all units distinct, no row
// meets its own unit.
torch::Tensor unrelated_permutation(const torch::Tensor& groups, std::mt19937_64& rng);

}  // namespace lethe::unlearn
