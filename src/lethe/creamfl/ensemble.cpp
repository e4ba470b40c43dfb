#include "lethe/creamfl/ensemble.h"

#include <algorithm>
#include <limits>

#include "lethe/core/error.h"

namespace lethe::creamfl {

Aggregation parse_aggregation(const std::string& name) {
  if (name == "ensemble") return Aggregation::kEnsemble;
  if (name == "average") return Aggregation::kAverage;
  throw InputError(fmt::format("unknown creamfl aggregation '{}'; valid: ensemble, average", name));
}

int64_t chunk_rows(int64_t num_public, int64_t bytes) {
  return std::max<int64_t>(1, bytes / (std::max<int64_t>(num_public, 1) * int64_t(sizeof(float))));
}

torch::Tensor ensemble_scores(const torch::Tensor& reps, const torch::Tensor& global_other,
                              const torch::Tensor& units, int64_t rows_per_chunk) {
  const int64_t n = reps.size(0);
  LETHE_CHECK(global_other.size(0) == n && units.size(0) == n && reps.size(1) == global_other.size(1),
              "creamfl: representations ({}x{}) do not match the global ones ({}x{}) or the units ({})",
              n, reps.size(1), global_other.size(0), global_other.size(1), units.size(0));
  auto z = reps.to(torch::kFloat), g = global_other.to(torch::kFloat);
  auto out = torch::empty({n}, torch::kFloat);
  for (int64_t s = 0; s < n; s += rows_per_chunk) {
    const int64_t e = std::min(n, s + rows_per_chunk);
    auto logits = z.slice(0, s, e).mm(g.t());  // (c,|P|)
    auto rows = torch::arange(e - s, torch::kLong), self = torch::arange(s, e, torch::kLong);
    auto same_unit = units.slice(0, s, e).unsqueeze(1) == units.unsqueeze(0);
    same_unit.index_put_({rows, self}, false);
    auto pos = logits.index({rows, self});
    logits.masked_fill_(same_unit, -std::numeric_limits<float>::infinity());
    out.slice(0, s, e).copy_(pos - torch::logsumexp(logits, 1));
  }
  return out;
}

double target_agreement(const torch::Tensor& target, const torch::Tensor& own) {
  LETHE_CHECK(target.sizes() == own.sizes(), "creamfl: a target ({}x{}) does not match the server's representations ({}x{})",
              target.size(0), target.size(1), own.size(0), own.size(1));
  return torch::cosine_similarity(target.to(torch::kFloat), own.to(torch::kFloat), 1).mean().item<double>();
}

RepresentationAggregator::RepresentationAggregator(Aggregation rule, torch::Tensor global_other,
                                                   torch::Tensor units, int64_t rows_per_chunk)
    : rule_(rule), other_(std::move(global_other)), units_(std::move(units)), rows_(rows_per_chunk) {}

void RepresentationAggregator::add(const torch::Tensor& reps) {
  auto z = reps.to(torch::kFloat);
  LETHE_CHECK(count_ == 0 || z.sizes() == acc_.sizes(),
              "creamfl: a client's representations are {}x{}, the others' {}x{}", z.size(0),
              z.size(1), acc_.size(0), acc_.size(1));
  if (rule_ == Aggregation::kAverage) {
    acc_ = count_ == 0 ? z.clone() : acc_.add_(z);
  } else {
    auto s = ensemble_scores(z, other_, units_, rows_);
    scores_.push_back(s);
    if (count_ == 0) {
      max_ = s, denom_ = torch::ones_like(s), acc_ = z.clone();
    } else {
      auto m = torch::maximum(max_, s);
      auto a = (max_ - m).exp(), b = (s - m).exp();
      acc_.mul_(a.unsqueeze(1)).add_(z * b.unsqueeze(1));
      denom_ = denom_ * a + b;
      max_ = m;
    }
  }
  ++count_;
}

torch::Tensor RepresentationAggregator::result() const {
  LETHE_CHECK(count_ > 0, "creamfl: no client representations to aggregate");
  if (rule_ == Aggregation::kAverage) return acc_ / double(count_);
  return acc_ / denom_.unsqueeze(1);
}

torch::Tensor RepresentationAggregator::weights(int64_t i) const {
  LETHE_CHECK(i >= 0 && i < count_, "creamfl: no client {} among the {} aggregated", i, count_);
  if (rule_ == Aggregation::kAverage) return torch::full({acc_.size(0)}, 1.0 / double(count_));
  return (scores_[i] - max_).exp() / denom_;
}

}  // namespace lethe::creamfl
