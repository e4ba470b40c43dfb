#pragma once
// The in-process transport: one Client object plays every virtual client, one at a time, in
// ascending id. Faults are injected from the (seed, round, client) fault stream (sampling.h):
// a failed client never answers; a client's simulated response time is steps × sim_step_s
// (× straggler_slowdown for stragglers) and past deadline_s its update is dropped. A client
// whose training fails numerically (NumericalError: a diverged loss) is refused for the round,
// as a deployed server refuses such a client's report; the run goes on.
#include <cstdint>
#include <functional>

#include "lethe/fl/fl_config.h"
#include "lethe/fl/transport.h"

namespace lethe::fl {

// Sees (and may change) every answer before the server does: the hook for injecting broken or
// hostile clients (NaN, ±Inf, huge or sign-flipped updates) in tests and drills.
using AnswerHook = std::function<void(int64_t round, int64_t client, FitRes& res)>;

class SimulationTransport final : public Transport {
 public:
  SimulationTransport(Client& client, const FlConfig& cfg, uint64_t seed);

  void set_answer_hook(AnswerHook hook) { answer_hook_ = std::move(hook); }

  std::vector<ClientReport> fit(int64_t round, const TensorMap& global,
                                const std::vector<FitInstruction>& instructions,
                                const LocalRules& local,
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
  AnswerHook answer_hook_;
};

}  // namespace lethe::fl
