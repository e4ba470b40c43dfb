#include "lethe/strategies/registry.h"

#include "lethe/strategies/averaging.h"
#include "lethe/strategies/fedavgm.h"
#include "lethe/strategies/fedopt.h"

namespace lethe::strategies {

namespace {

void add_builtin_strategies(Registry<StrategyFactory>& r) {
  using Rule = AveragingStrategy::Rule;
  r.add("fedavg", "example-weighted average of client updates (McMahan et al. 2017)",
        [](const fl::FlConfig& c) {
          return std::make_unique<AveragingStrategy>(c, "fedavg", Rule::kWeightedMean, 0.0);
        });
  r.add("fedprox", "FedAvg with a proximal term (mu/2)|theta - theta_t|^2 in local training",
        [](const fl::FlConfig& c) {
          return std::make_unique<AveragingStrategy>(c, "fedprox", Rule::kWeightedMean,
                                                     c.proximal_mu);
        });
  r.add("fedavgm", "FedAvg with server momentum (Hsu et al. 2019)",
        [](const fl::FlConfig& c) { return std::make_unique<FedAvgM>(c); });
  r.add("fedadam", "server Adam on the averaged update (Reddi et al. 2021)",
        [](const fl::FlConfig& c) { return std::make_unique<FedOpt>(c, Adaptivity::kAdam); });
  r.add("fedyogi", "server Yogi on the averaged update (Reddi et al. 2021)",
        [](const fl::FlConfig& c) { return std::make_unique<FedOpt>(c, Adaptivity::kYogi); });
  r.add("fedadagrad", "server Adagrad on the averaged update (Reddi et al. 2021)",
        [](const fl::FlConfig& c) { return std::make_unique<FedOpt>(c, Adaptivity::kAdagrad); });
  r.add("trimmed_mean", "coordinate-wise trimmed mean of client updates (robust)",
        [](const fl::FlConfig& c) {
          return std::make_unique<AveragingStrategy>(c, "trimmed_mean", Rule::kTrimmedMean, 0.0);
        });
  r.add("median", "coordinate-wise median of client updates (robust)", [](const fl::FlConfig& c) {
    return std::make_unique<AveragingStrategy>(c, "median", Rule::kMedian, 0.0);
  });
  // CreamFL exchanges representations of a public set, not weights: lethe train runs it through
  // creamfl::train_creamfl (experiment.cpp); it is listed here so that fl.strategy and
  // `lethe methods` know it, and asking it for a weight-averaging strategy is a one-line error.
  r.add("creamfl",
        "representation ensemble on a public set for heterogeneous clients (Yu et al. 2023)",
        [](const fl::FlConfig&) -> std::unique_ptr<fl::Strategy> {
          throw InputError(
              "strategy 'creamfl' exchanges representations, not weights: it runs through lethe "
              "train (creamfl), not a weight-averaging federation (lethe server, unlearning replays)");
        });
}

}  // namespace

Registry<StrategyFactory>& strategies() {
  static Registry<StrategyFactory> registry("strategy", add_builtin_strategies);
  return registry;
}

std::unique_ptr<fl::Strategy> make_strategy(const fl::FlConfig& cfg) {
  return strategies().get(cfg.strategy).factory(cfg);
}

}  // namespace lethe::strategies
