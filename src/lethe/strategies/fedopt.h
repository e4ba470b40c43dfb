#pragma once
// FedAdam, FedYogi, FedAdagrad (Reddi et al. 2021, "Adaptive Federated Optimization"):
// FedAvg's weighted mean Δ̄ as the negated pseudo-gradient of a server optimiser
// (server_optimizer.h). Its moments m and v are server state (checkpointed as "m/<name>",
// "v/<name>").
#include "lethe/fl/strategy.h"
#include "lethe/strategies/server_optimizer.h"

namespace lethe::strategies {

class FedOpt final : public fl::Strategy {
 public:
  FedOpt(const fl::FlConfig& cfg, Adaptivity kind);
  std::string name() const override;
  TensorMap aggregate_fit(int64_t round, const TensorMap& global,
                          const fl::UpdateAggregator& results) override;
  fl::StateBlob state() const override;
  void load_state(const fl::StateBlob& state) override;

 private:
  Adaptivity kind_;
  TensorMap m_, v_;  // empty before the first aggregated round
};

}  // namespace lethe::strategies
