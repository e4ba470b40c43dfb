#pragma once
// The Forget Lock (METHODS.md §3): per weight matrix, a basis E (d × |E|, orthonormal columns)
// of directions that later rounds may not move freely. Two forms:
//  - projection (Lethe's): no move along E (hard, β = 0) or only β of it (soft). The federation
//    projects every client gradient and, because the server never trusts clients, again every
//    incoming update;
//  - penalty (the EASE paper's): every client adds λ/2·‖EEᵀ(θ − θ_u)‖² to its local loss, θ_u
//    the unlearned weights (the anchor), so the drift along E stays bounded, shrinking like
//    1/λ; the server does not project. Clients that cannot carry the term (remote clients over
//    gRPC) get the projection instead (Federation).
// It is saved with the server state, so it stays in force for every later round, across
// --resume (Federation::set_forget_lock).
#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "lethe/core/tensor_map.h"
#include "lethe/fl/client.h"
#include "lethe/fl/strategy.h"

namespace lethe::fl {

// g − (1 − β)·EEᵀg (float64 maths, g's dtype). InputError for β outside [0, 1] or an E whose
// rows do not match g's.
torch::Tensor lock_project(const torch::Tensor& g, const torch::Tensor& e, double beta);

enum class LockForm { kProjection, kPenalty };

struct ForgetLock {
  TensorMap bases;  // tensor name → E
  double beta = 0.0;  // projection: the share of the E component a step keeps
  LockForm form = LockForm::kProjection;
  double lambda = 0.0;  // penalty: strength λ > 0
  TensorMap anchor;     // penalty: θ_u of every locked tensor

  bool empty() const { return bases.empty(); }
  int64_t directions() const;  // Σ |E|
  // lock_project on every tensor of `tensors` that has a basis (others untouched).
  void apply(TensorMap& tensors) const;
  UpdateFilter filter() const;  // apply(), for Federation and LocalRules::gradient_filters
  // The penalty's gradient λ·EEᵀ(θ − θ_u), added to every locked tensor's (LocalRules).
  GradientTerm penalty_term() const;
  // This lock's bases in penalty form: anchored at `weights` (θ_u; every locked tensor must be
  // there), strength λ. InputError for λ ≤ 0 or a missing tensor.
  ForgetLock as_penalty(const TensorMap& weights, double lambda) const;

  StateBlob to_state() const;
  // InputError naming `source` for a blob that is not a lock (bad β, a basis not 2-D, a penalty
  // without λ > 0 or without an anchor matching each basis).
  static ForgetLock from_state(const StateBlob& blob, const std::string& source);
};

}  // namespace lethe::fl
