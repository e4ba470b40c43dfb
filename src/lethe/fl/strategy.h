#pragma once
// The server side of a federation (Flower's Strategy): which clients train and how, how their
// updates become the next global model, and the server-optimiser state that goes into every
// checkpoint. Strategies never see a transport: simulation and deployment run the same code.
// Implementations: strategies/ (registry in strategies/registry.h).
#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lethe/core/tensor_map.h"
#include "lethe/fl/aggregator.h"
#include "lethe/fl/client.h"
#include "lethe/fl/fl_config.h"
#include "lethe/fl/state_blob.h"

namespace lethe::fl {

class Strategy {
 public:
  explicit Strategy(const FlConfig& cfg) : cfg_(cfg) {}
  virtual ~Strategy() = default;
  virtual std::string name() const = 0;

  // Clients to train in `round` (1-based) among `available`, ascending, with their configs.
  // Default: sample_clients() (sampling.h) with the configured size, fit_config() for each.
  virtual std::vector<FitInstruction> configure_fit(int64_t round,
                                                    const std::vector<int64_t>& available,
                                                    uint64_t seed) const;
  // How this round's updates combine; default: WeightedMean by n_k (streaming).
  virtual std::unique_ptr<UpdateAggregator> make_aggregator(int64_t round) const;
  // θ^{t+1} from θ^t and the round's aggregated updates (at least one); advances the
  // server-optimiser state.
  virtual TensorMap aggregate_fit(int64_t round, const TensorMap& global,
                                  const UpdateAggregator& results) = 0;

  // Clients to evaluate (fraction_evaluate of `available`, its own RNG stream).
  virtual std::vector<int64_t> configure_evaluate(int64_t round,
                                                  const std::vector<int64_t>& available,
                                                  uint64_t seed) const;
  // Example-weighted means of loss and metrics over clients with examples, plus "clients" and
  // "num_examples".
  virtual std::map<std::string, double> aggregate_evaluate(
      int64_t round, const std::vector<std::pair<int64_t, EvaluateRes>>& results) const;

  // Server-optimiser state (empty for stateless strategies) and its restore.
  virtual StateBlob state() const { return {}; }
  virtual void load_state(const StateBlob& state);

 protected:
  // Per-client settings of a round; default: local_epochs from the config.
  virtual FitConfig fit_config(int64_t round) const;
  const FlConfig& config() const { return cfg_; }

 private:
  FlConfig cfg_;
};

// The clients' learning-rate multiplier in `round` (1-based) under cfg.lr_schedule.
double round_lr_scale(const FlConfig& cfg, int64_t round);

}  // namespace lethe::fl
