#pragma once
// Pure aggregation maths (Flower's aggregate.py): how client updates combine into one.
// Robust rules are coordinate-wise and unweighted; they need every update of the round at
// once, so a round costs (answered clients × model size) of memory with them.
#include <cstdint>
#include <vector>

#include "lethe/core/tensor_map.h"
#include "lethe/fl/aggregator.h"

namespace lethe::strategies {

// Σ_k w_k·u_k / Σ_k w_k (fl::WeightedMean, the streaming form the engine uses).
TensorMap weighted_average(const std::vector<TensorMap>& updates, const std::vector<double>& weights);
// Per coordinate: drop the trim_count(K, fraction) smallest and largest values, average the rest.
TensorMap trimmed_mean(const std::vector<TensorMap>& updates, double fraction);
// ⌊fraction·K⌋, the values cut at each end; fraction ∈ [0, 0.5) (InputError otherwise). The
// floor has a 1e-9 tolerance, so 0.29·100 (28.999… in binary floating point) cuts 29; at most
// ⌊(K − 1)/2⌋, so at least one value is left.
int64_t trim_count(int64_t k, double fraction);
// Per coordinate: the middle value; the mean of the two middle values when K is even.
TensorMap coordinate_median(const std::vector<TensorMap>& updates);

// Keeps every update of the round and applies a robust rule at the end. Weights are ignored
// except that a client reporting n_k = 0 examples (it did not train; its update is zero) is
// counted but left out of the rule, as WeightedMean gives it no weight: otherwise empty
// clients would vote for "no change" in every coordinate. Negative weights are rejected.
class BufferedAggregator final : public fl::UpdateAggregator {
 public:
  enum class Rule { kTrimmedMean, kMedian };
  BufferedAggregator(Rule rule, double trim_fraction);
  void add(int64_t client, TensorMap update, double weight) override;
  TensorMap result() const override;
  int64_t count() const override { return count_; }

 private:
  Rule rule_;
  double trim_fraction_;
  std::vector<TensorMap> updates_;  // those with n_k > 0
  int64_t count_ = 0;               // every update added
};

}  // namespace lethe::strategies
