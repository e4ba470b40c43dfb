#pragma once
// Strategies by name (fl.strategy), for the engine and `lethe methods`.
#include <functional>
#include <memory>

#include "lethe/core/registry.h"
#include "lethe/fl/strategy.h"

namespace lethe::strategies {

using StrategyFactory = std::function<std::unique_ptr<fl::Strategy>(const fl::FlConfig&)>;

// fedavg, fedprox, fedavgm, fedadam, fedyogi, fedadagrad, trimmed_mean, median, creamfl.
Registry<StrategyFactory>& strategies();
// The strategy cfg.strategy names (InputError listing the valid names if unknown).
std::unique_ptr<fl::Strategy> make_strategy(const fl::FlConfig& cfg);

}  // namespace lethe::strategies
