#pragma once
// GSD over a model (METHODS.md §3): for every weight matrix ("module"), the forget basis Q_f,
// the retain basis Q_r, their Cosine–Sine split, the forget-exclusive basis E, and the part of
// a matrix EASE removes along them. Built from column-space factors (d × n): the history's
// sketches UΣ (client requests) or stacked gradients (sample and concept requests).
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

#include "lethe/core/tensor_map.h"
#include "lethe/unlearn/subspace.h"

namespace lethe::unlearn {

struct GsdOptions {
  double energy = 0.97;   // energy kept by Q_f and Q_r
  int64_t max_rank = 32;  // rank cap of Q_f (Q_r is capped by its dimension only)
  double tau = 1.1344640137963142;  // 65° in radians
  double soft_power = 1.0;  // soft mode weighs direction i by (sin²θ_i)^soft_power
};

// Which forget directions a removal acts on.
enum class GsdMode {
  kHard,  // E only: the split's directions with θ ≥ τ
  kSoft,  // every forget principal direction f_i, weighted by sin²θ_i (how exclusive it is)
  kOff,   // everything (no GSD: the ablation that removes all of Q_f and beyond)
};
GsdMode parse_gsd_mode(const std::string& s);

struct ModuleSplit {
  torch::Tensor q_forget, q_retain;  // orthonormal, float64
  PrincipalSplit split;
  torch::Tensor exclusive;           // E (d × |E|, float64)
};

class Gsd {
 public:
  // forget: module → d × n factor. retain: module → factors, concatenated column-wise before
  // the truncated SVD (σ-scaled sketches weigh each client by its update energy). A module
  // with no forget factor (or an all-zero one) gets no split; one with no retain factor has an
  // empty Q_r (every forget direction is exclusive, θ = 90°).
  static Gsd compute(const TensorMap& forget,
                     const std::map<std::string, std::vector<torch::Tensor>>& retain,
                     const GsdOptions& opts);

  bool has(const std::string& module) const { return modules_.count(module) > 0; }
  const std::map<std::string, ModuleSplit>& modules() const { return modules_; }

  // The component of x (d × n, in module `module`'s output space) that `mode` removes:
  // hard EEᵀx; soft Q_f·M·Q_fᵀx with M = Q_fᵀ(I − Q_rQ_rᵀ)Q_f = Z·diag(sin²θ)·Zᵀ; off x.
  // A module without a split: x for kOff, zeros otherwise. Float32 result.
  torch::Tensor forget_component(const std::string& module, const torch::Tensor& x, GsdMode mode) const;
  // x − Q_rQ_rᵀx (the retain-orthogonal projection of a gradient); x where there is no Q_r.
  torch::Tensor retain_orthogonal(const std::string& module, const torch::Tensor& x) const;
  // module → E (float32) for every module with |E| ≥ 1: the Forget Lock's bases.
  TensorMap exclusive_bases() const;

  int64_t exclusive_directions() const;  // Σ |E| over modules
  // {"modules": {name: {forget_rank, retain_rank, exclusive, max_angle_deg, min_angle_deg}},
  //  "modules_with_exclusive", "exclusive_directions"}
  nlohmann::json summary() const;

 private:
  std::map<std::string, ModuleSplit> modules_;
  double soft_power_ = 1.0;
};

}  // namespace lethe::unlearn
