#include "lethe/strategies/fedavgm.h"

#include "lethe/strategies/server_optimizer.h"

namespace lethe::strategies {

TensorMap FedAvgM::aggregate_fit(int64_t, const TensorMap& global,
                                 const fl::UpdateAggregator& results) {
  if (velocity_.empty()) velocity_ = zeros_like(global);
  auto next = clone(global);
  momentum_step(next, velocity_, results.result(), config().server_lr, config().server_momentum,
                config().server_nesterov);
  return next;
}

fl::StateBlob FedAvgM::state() const { return {clone(velocity_), nlohmann::json::object()}; }

void FedAvgM::load_state(const fl::StateBlob& state) { velocity_ = clone(state.tensors); }

}  // namespace lethe::strategies
