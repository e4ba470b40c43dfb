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
// Per coordinate: drop the ⌊fraction·K⌋ smallest and largest values, average the rest.
TensorMap trimmed_mean(const std::vector<TensorMap>& updates, double fraction);
// Per coordinate: the middle value; the mean of the two middle values when K is even.
TensorMap coordinate_median(const std::vector<TensorMap>& updates);

// Keeps every update of the round and applies a robust rule at the end (weights ignored).
class BufferedAggregator final : public fl::UpdateAggregator {
 public:
  enum class Rule { kTrimmedMean, kMedian };
  BufferedAggregator(Rule rule, double trim_fraction);
  void add(int64_t client, TensorMap update, double weight) override;
  TensorMap result() const override;
  int64_t count() const override { return static_cast<int64_t>(updates_.size()); }

 private:
  Rule rule_;
  double trim_fraction_;
  std::vector<TensorMap> updates_;
};

}  // namespace lethe::strategies
