#include "lethe/fl/strategy.h"

#include <cmath>

#include "lethe/core/error.h"
#include "lethe/fl/sampling.h"

namespace lethe::fl {

std::vector<FitInstruction> Strategy::configure_fit(int64_t round,
                                                    const std::vector<int64_t>& available,
                                                    uint64_t seed) const {
  const auto m = sample_size(static_cast<int64_t>(available.size()), cfg_.fraction_fit,
                             cfg_.clients_per_round, cfg_.min_fit_clients);
  std::vector<FitInstruction> out;
  for (int64_t c : sample_clients(seed, round, available, m)) out.push_back({c, fit_config(round)});
  return out;
}

std::unique_ptr<UpdateAggregator> Strategy::make_aggregator(int64_t) const {
  return std::make_unique<WeightedMean>();
}

std::vector<int64_t> Strategy::configure_evaluate(int64_t round,
                                                  const std::vector<int64_t>& available,
                                                  uint64_t seed) const {
  if (cfg_.fraction_evaluate <= 0) return {};
  const auto m = sample_size(static_cast<int64_t>(available.size()), cfg_.fraction_evaluate, 0, 1);
  return sample_clients(seed, round, available, m, Stream::kEval);
}

std::map<std::string, double> Strategy::aggregate_evaluate(
    int64_t, const std::vector<std::pair<int64_t, EvaluateRes>>& results) const {
  std::map<std::string, double> sums;
  double total = 0;
  int64_t clients = 0;
  for (const auto& [client, r] : results) {
    if (r.num_examples <= 0) continue;
    const auto w = static_cast<double>(r.num_examples);
    sums["loss"] += w * r.loss;
    for (const auto& [k, v] : r.metrics) sums[k] += w * v;
    total += w;
    ++clients;
  }
  std::map<std::string, double> out;
  for (const auto& [k, s] : sums) out[k] = s / total;
  out["clients"] = static_cast<double>(clients);
  out["num_examples"] = total;
  return out;
}

void Strategy::load_state(const StateBlob& state) {
  LETHE_CHECK(state.empty(), "strategy '{}' keeps no server state, but the checkpoint has {} "
              "tensors of it", name(), state.tensors.size());
}

FitConfig Strategy::fit_config(int64_t round) const {
  FitConfig c;
  c.local_epochs = cfg_.local_epochs;
  c.local_steps = cfg_.local_steps;
  c.lr_scale = round_lr_scale(cfg_, round);
  return c;
}

double round_lr_scale(const FlConfig& cfg, int64_t round) {
  if (cfg.lr_schedule == "constant" || cfg.rounds <= 1) return 1.0;
  const double progress = static_cast<double>(round - 1) / static_cast<double>(cfg.rounds - 1);
  return cfg.lr_min_ratio + (1.0 - cfg.lr_min_ratio) * 0.5 * (1.0 + std::cos(M_PI * progress));
}

}  // namespace lethe::fl
