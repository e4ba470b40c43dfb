#pragma once
// Membership inference (METHODS.md §6). Per-pair features: matched similarity, InfoNCE loss of
// the pair against a fixed distractor set, and the rank of the true caption among them.
// Attackers are trained with members = retain-train pairs and non-members = test pairs (half of
// each; the other half measures the attack AUC) and then applied to the forget set.
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cstdint>

namespace lethe::eval {

// img, txt: (N,D) unit-norm embeddings of N pairs; distractors: (K,D) unit-norm caption
// embeddings; scale = e^γ. Returns (N,3) float64 [similarity, −loss, −log(1+rank)] — oriented so
// that larger means "looks more like a member".
torch::Tensor mia_features(const torch::Tensor& img, const torch::Tensor& txt,
                           const torch::Tensor& distractors, double scale);

struct MiaResult {
  double auc = 0.5;               // logistic attacker, held-out half
  double threshold_auc = 0.5;     // single-feature (similarity) attacker, held-out half
  double forget_member_rate = 0;  // share of the forget pairs the logistic attacker calls member
  nlohmann::json to_json() const;
  bool operator==(const MiaResult&) const = default;
};

// Logistic regression (standardised features, class-balanced, L2 1e-3, full-batch Newton/IRLS).
MiaResult membership_inference(const torch::Tensor& members, const torch::Tensor& nonmembers,
                               const torch::Tensor& forget, uint64_t seed);

// Fits w,b of a class-balanced logistic regression; x (N,F) standardised, y (N,) {0,1}.
std::pair<torch::Tensor, double> fit_logistic(const torch::Tensor& x, const torch::Tensor& y,
                                              double l2 = 1e-3, int iters = 50);

}  // namespace lethe::eval
