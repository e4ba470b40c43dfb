#pragma once
// How one round's client updates combine into one update Δ̄. The engine feeds the answered
// clients' updates one at a time in ascending client id, so a streaming rule holds one running
// sum, never all updates of a round.
#include <cstdint>

#include "lethe/core/tensor_map.h"

namespace lethe::fl {

class UpdateAggregator {
 public:
  virtual ~UpdateAggregator() = default;
  // weight: the client's n_k (≥ 0). Rules that buffer take ownership of `update`.
  virtual void add(int64_t client, TensorMap update, double weight) = 0;
  // Δ̄ over every update added so far, in the dtypes of the first one.
  virtual TensorMap result() const = 0;
  virtual int64_t count() const = 0;
};

// Δ̄ = Σ_k w_k Δ_k / Σ_k w_k: weights renormalise over whoever was added. Streams: holds one
// float64 running sum of the model's size.
class WeightedMean final : public UpdateAggregator {
 public:
  void add(int64_t client, TensorMap update, double weight) override;
  TensorMap result() const override;
  int64_t count() const override { return count_; }
  double total_weight() const { return total_weight_; }

 private:
  TensorMap sum_;   // float64
  TensorMap like_;  // zero-size tensors recording each name's dtype
  double total_weight_ = 0;
  int64_t count_ = 0;
};

}  // namespace lethe::fl
