#include "lethe/creamfl/regularizers.h"

#include <limits>

namespace lethe::creamfl {

torch::Tensor inter_modal_loss(const torch::Tensor& z, const torch::Tensor& other,
                               const torch::Tensor& idx, const torch::Tensor& units, double tau) {
  auto logits = z.to(torch::kFloat).mm(other.to(torch::kFloat).t()) / tau;  // (B,|P|)
  const int64_t b = z.size(0);
  auto same_unit = units.index_select(0, idx).unsqueeze(1) == units.unsqueeze(0);
  same_unit.index_put_({torch::arange(b, torch::kLong), idx}, false);
  logits = logits.masked_fill(same_unit, -std::numeric_limits<float>::infinity());
  return torch::nn::functional::cross_entropy(logits, idx);
}

torch::Tensor intra_modal_loss(const torch::Tensor& z, const torch::Tensor& same,
                               const torch::Tensor& old, double tau) {
  auto zf = z.to(torch::kFloat);
  auto pos = (zf * same.to(torch::kFloat)).sum(1) / tau;
  auto neg = (zf * old.to(torch::kFloat)).sum(1) / tau;
  // −log(e^pos / (e^pos + e^neg)) = softplus(neg − pos)
  return torch::nn::functional::softplus(neg - pos).mean();
}

}  // namespace lethe::creamfl
