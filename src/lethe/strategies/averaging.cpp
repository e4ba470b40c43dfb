#include "lethe/strategies/averaging.h"

#include "lethe/strategies/server_optimizer.h"

namespace lethe::strategies {

AveragingStrategy::AveragingStrategy(const fl::FlConfig& cfg, std::string name, Rule rule,
                                     double proximal_mu)
    : fl::Strategy(cfg), name_(std::move(name)), rule_(rule), proximal_mu_(proximal_mu) {}

std::unique_ptr<fl::UpdateAggregator> AveragingStrategy::make_aggregator(int64_t round) const {
  switch (rule_) {
    case Rule::kWeightedMean: return fl::Strategy::make_aggregator(round);
    case Rule::kTrimmedMean:
      return std::make_unique<BufferedAggregator>(BufferedAggregator::Rule::kTrimmedMean,
                                                  config().trim_fraction);
    case Rule::kMedian:
      return std::make_unique<BufferedAggregator>(BufferedAggregator::Rule::kMedian, 0.0);
  }
  LETHE_ASSERT(false);
}

TensorMap AveragingStrategy::aggregate_fit(int64_t, const TensorMap& global,
                                           const fl::UpdateAggregator& results) {
  auto next = clone(global);
  sgd_step(next, results.result(), config().server_lr);
  return next;
}

fl::FitConfig AveragingStrategy::fit_config(int64_t round) const {
  auto c = fl::Strategy::fit_config(round);
  c.proximal_mu = proximal_mu_;
  return c;
}

}  // namespace lethe::strategies
