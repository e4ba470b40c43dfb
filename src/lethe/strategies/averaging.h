#pragma once
// Strategies whose server step is θ^{t+1} = θ^t + η·Δ̄ and which differ in how Δ̄ is formed
// and what clients are told:
//   fedavg        Δ̄ = Σ_k n_k Δ_k / Σ_k n_k over the clients that answered
//   fedprox       the same, and clients add (μ/2)‖θ − θ^t‖² to their local loss
//   trimmed_mean  coordinate-wise trimmed mean of the Δ_k (aggregate.h)
//   median        coordinate-wise median of the Δ_k
// Stateless: nothing but the global model carries over between rounds.
#include <string>

#include "lethe/fl/strategy.h"
#include "lethe/strategies/aggregate.h"

namespace lethe::strategies {

class AveragingStrategy final : public fl::Strategy {
 public:
  enum class Rule { kWeightedMean, kTrimmedMean, kMedian };
  AveragingStrategy(const fl::FlConfig& cfg, std::string name, Rule rule, double proximal_mu);

  std::string name() const override { return name_; }
  std::unique_ptr<fl::UpdateAggregator> make_aggregator(int64_t round) const override;
  TensorMap aggregate_fit(int64_t round, const TensorMap& global,
                          const fl::UpdateAggregator& results) override;

 protected:
  fl::FitConfig fit_config(int64_t round) const override;

 private:
  std::string name_;
  Rule rule_;
  double proximal_mu_;
};

}  // namespace lethe::strategies
