#pragma once
// The in-process transport: one Client object plays every virtual client, one at a time, in
// ascending id. Faults are injected from the (seed, round, client) fault stream (sampling.h):
// a failed client never answers; a client's simulated response time is steps × sim_step_s
// (× straggler_slowdown for stragglers) and past deadline_s its update is dropped.
#include <cstdint>

#include "lethe/fl/fl_config.h"
#include "lethe/fl/transport.h"

namespace lethe::fl {

class SimulationTransport final : public Transport {
 public:
  SimulationTransport(Client& client, const FlConfig& cfg, uint64_t seed);

  std::vector<ClientReport> fit(int64_t round, const TensorMap& global,
                                const std::vector<FitInstruction>& instructions,
                                const std::vector<UpdateFilter>& gradient_filters,
                                const FitResultFn& on_result) override;
  std::vector<std::pair<int64_t, EvaluateRes>> evaluate(
      int64_t round, const TensorMap& global, const std::vector<int64_t>& clients) override;
  StateBlob client_state() const override { return client_.state(); }
  void load_client_state(const StateBlob& state, const std::string& source) override {
    client_.load_state(state, source);
  }

 private:
  Client& client_;
  FlConfig cfg_;
  uint64_t seed_;
};

}  // namespace lethe::fl
