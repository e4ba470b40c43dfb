#include "lethe/fl/aggregator.h"

#include "lethe/core/error.h"

namespace lethe::fl {

void WeightedMean::add(int64_t client, TensorMap update, double weight) {
  LETHE_CHECK(weight >= 0, "client {} reported a negative weight {}", client, weight);
  torch::NoGradGuard no_grad;
  if (count_ == 0) {
    for (const auto& [name, t] : update) {
      sum_.emplace(name, t.to(torch::kFloat64) * weight);
      like_.emplace(name, torch::empty({0}, t.options()));
    }
  } else {
    LETHE_CHECK(update.size() == sum_.size(), "update of client {} has {} tensors, expected {}",
                client, update.size(), sum_.size());
    for (auto& [name, s] : sum_) {
      auto it = update.find(name);
      LETHE_CHECK(it != update.end(), "update of client {} lacks tensor '{}'", client, name);
      LETHE_CHECK(it->second.sizes() == s.sizes(),
                  "update of client {}: tensor '{}' changed shape within the round", client, name);
      s.add_(it->second.to(torch::kFloat64), weight);
    }
  }
  total_weight_ += weight;
  ++count_;
}

TensorMap WeightedMean::result() const {
  LETHE_ASSERT(count_ > 0);
  LETHE_CHECK(total_weight_ > 0, "all {} answering clients reported 0 examples", count_);
  TensorMap out;
  for (const auto& [name, s] : sum_)
    out.emplace(name, (s / total_weight_).to(like_.at(name).scalar_type()));
  return out;
}

}  // namespace lethe::fl
