#include "lethe/train/loss.h"

namespace lethe::train {

torch::Tensor masked_logits(const torch::Tensor& img, const torch::Tensor& txt,
                            const torch::Tensor& scale, const torch::Tensor& groups) {
  auto logits = scale.to(torch::kFloat) * img.to(torch::kFloat).mm(txt.to(torch::kFloat).t());
  const int64_t b = img.size(0);
  auto same = groups.unsqueeze(0) == groups.unsqueeze(1);
  auto off_diag = torch::eye(b, torch::kBool).logical_not();
  return logits.masked_fill(same & off_diag, -std::numeric_limits<float>::infinity());
}

torch::Tensor clip_loss(const torch::Tensor& img, const torch::Tensor& txt,
                        const torch::Tensor& scale, const torch::Tensor& groups) {
  auto logits = masked_logits(img, txt, scale, groups);
  auto target = torch::arange(img.size(0), torch::kLong);
  namespace F = torch::nn::functional;
  return 0.5 * (F::cross_entropy(logits, target) + F::cross_entropy(logits.t(), target));
}

}  // namespace lethe::train
