#pragma once
// FedAvgM (Hsu et al. 2019): FedAvg's weighted mean Δ̄, then server momentum
// v ← β·v + Δ̄, θ ← θ + η·v. The velocity v is server state (checkpointed).
#include "lethe/fl/strategy.h"

namespace lethe::strategies {

class FedAvgM final : public fl::Strategy {
 public:
  explicit FedAvgM(const fl::FlConfig& cfg) : fl::Strategy(cfg) {}
  std::string name() const override { return "fedavgm"; }
  TensorMap aggregate_fit(int64_t round, const TensorMap& global,
                          const fl::UpdateAggregator& results) override;
  fl::StateBlob state() const override;
  void load_state(const fl::StateBlob& state) override;

 private:
  TensorMap velocity_;  // empty before the first aggregated round
};

}  // namespace lethe::strategies
