#pragma once
// Server optimiser steps on the aggregated update Δ̄ (the negated pseudo-gradient), in place.
#include "lethe/core/tensor_map.h"

namespace lethe::strategies {

// θ ← θ + η·Δ̄ (FedAvg with server learning rate η; η = 1 is plain averaging).
void sgd_step(TensorMap& theta, const TensorMap& delta, double lr);

// FedAvgM (Hsu et al. 2019): v ← β·v + Δ̄; θ ← θ + η·v. `velocity` starts at zeros.
// nesterov: θ ← θ + η·(Δ̄ + β·v) with the updated v (the outer step of DiLoCo, Douillard et al.
// 2023, which pairs it with clients that keep their AdamW state).
void momentum_step(TensorMap& theta, TensorMap& velocity, const TensorMap& delta, double lr,
                   double momentum, bool nesterov = false);

enum class Adaptivity { kAdam, kYogi, kAdagrad };

struct AdaptiveParams {
  double lr = 0.01;  // η
  double beta1 = 0.9;
  double beta2 = 0.99;
  double tau = 1e-3;
};

// FedAdam / FedYogi / FedAdagrad (Reddi et al. 2021, Algorithm 2, no bias correction):
//   m ← β1·m + (1−β1)·Δ̄
//   v ← β2·v + (1−β2)·Δ̄²              (Adam)
//   v ← v − (1−β2)·Δ̄²·sign(v − Δ̄²)    (Yogi)
//   v ← v + Δ̄²                        (Adagrad)
//   θ ← θ + η·m / (√v + τ)
// m starts at zeros and v at τ² (the paper's v₋₁ ≥ τ²): initial_moments() makes them.
void adaptive_step(Adaptivity kind, TensorMap& theta, TensorMap& m, TensorMap& v,
                   const TensorMap& delta, const AdaptiveParams& p);
void initial_moments(const TensorMap& like, double tau, TensorMap& m, TensorMap& v);

}  // namespace lethe::strategies
