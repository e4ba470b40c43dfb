#include "lethe/strategies/aggregate.h"

#include <algorithm>
#include <cmath>

#include "lethe/core/error.h"

namespace lethe::strategies {

namespace {
// Applies `rule` to each tensor name over the stacked updates (K, ...) sorted along dim 0.
template <class Rule>
TensorMap per_coordinate(const std::vector<TensorMap>& updates, Rule rule) {
  LETHE_ASSERT(!updates.empty());
  for (size_t i = 1; i < updates.size(); ++i)
    check_same_layout(updates[0], updates[i], fmt::format("update {}", i));
  torch::NoGradGuard no_grad;
  TensorMap out;
  for (const auto& [name, first] : updates[0]) {
    std::vector<torch::Tensor> column;
    column.reserve(updates.size());
    for (const auto& u : updates) column.push_back(u.at(name).to(torch::kFloat64));
    auto sorted = std::get<0>(torch::stack(column).sort(0));
    out.emplace(name, rule(sorted).to(first.scalar_type()));
  }
  return out;
}
}  // namespace

TensorMap weighted_average(const std::vector<TensorMap>& updates, const std::vector<double>& weights) {
  LETHE_ASSERT(updates.size() == weights.size() && !updates.empty());
  fl::WeightedMean mean;
  for (size_t i = 0; i < updates.size(); ++i)
    mean.add(static_cast<int64_t>(i), updates[i], weights[i]);
  return mean.result();
}

int64_t trim_count(int64_t k, double fraction) {
  LETHE_CHECK(fraction >= 0 && fraction < 0.5, "trim fraction {} is not in [0, 0.5)", fraction);
  // Tolerance for products that should be whole but land just below (0.29 × 100 = 28.999…);
  // the cap keeps at least one value when the tolerance meets a fraction a hair under 0.5.
  const auto cut = static_cast<int64_t>(std::floor(fraction * double(k) + 1e-9));
  return std::min(cut, (k - 1) / 2);
}

TensorMap trimmed_mean(const std::vector<TensorMap>& updates, double fraction) {
  const auto k = static_cast<int64_t>(updates.size());
  const auto cut = trim_count(k, fraction);
  return per_coordinate(updates, [&](const torch::Tensor& sorted) {
    return sorted.narrow(0, cut, k - 2 * cut).mean(0);
  });
}

TensorMap coordinate_median(const std::vector<TensorMap>& updates) {
  const auto k = static_cast<int64_t>(updates.size());
  return per_coordinate(updates, [&](const torch::Tensor& sorted) {
    return k % 2 ? sorted.select(0, k / 2) : sorted.narrow(0, k / 2 - 1, 2).mean(0);
  });
}

BufferedAggregator::BufferedAggregator(Rule rule, double trim_fraction)
    : rule_(rule), trim_fraction_(trim_fraction) {}

void BufferedAggregator::add(int64_t client, TensorMap update, double weight) {
  LETHE_CHECK(weight >= 0, "client {} reported a negative weight {}", client, weight);
  ++count_;
  if (weight > 0) updates_.push_back(std::move(update));
}

TensorMap BufferedAggregator::result() const {
  LETHE_ASSERT(count_ > 0);
  LETHE_CHECK(!updates_.empty(), "all {} answering clients reported 0 examples", count_);
  return rule_ == Rule::kMedian ? coordinate_median(updates_) : trimmed_mean(updates_, trim_fraction_);
}

}  // namespace lethe::strategies
