#pragma once
// The Forget Lock (METHODS.md §3): per weight matrix, a basis E (d × |E|, orthonormal columns)
// of directions that later rounds may not move (hard, β = 0) or may move by only β of their
// component (soft). The federation applies it to every client gradient and, because the server
// never trusts clients, again to every incoming update; it is saved with the server state, so
// it stays in force for every later round, across --resume (Federation::set_forget_lock).
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

struct ForgetLock {
  TensorMap bases;  // tensor name → E
  double beta = 0.0;

  bool empty() const { return bases.empty(); }
  int64_t directions() const;  // Σ |E|
  // lock_project on every tensor of `tensors` that has a basis (others untouched).
  void apply(TensorMap& tensors) const;
  UpdateFilter filter() const;  // apply(), for Federation and FitIns::gradient_filters

  StateBlob to_state() const;
  // InputError naming `source` for a blob that is not a lock (bad β, a basis not 2-D).
  static ForgetLock from_state(const StateBlob& blob, const std::string& source);
};

}  // namespace lethe::fl
