#include "lethe/eval/mia.h"

#include "lethe/core/error.h"
#include "lethe/core/rng.h"
#include "lethe/eval/auc.h"

namespace lethe::eval {

nlohmann::json MiaResult::to_json() const {
  return {{"auc", auc}, {"threshold_auc", threshold_auc}, {"forget_member_rate", forget_member_rate}};
}

torch::Tensor mia_features(const torch::Tensor& img, const torch::Tensor& txt,
                           const torch::Tensor& distractors, double scale) {
  torch::NoGradGuard ng;
  auto i = img.to(torch::kDouble), t = txt.to(torch::kDouble), d = distractors.to(torch::kDouble);
  auto sim = (i * t).sum(1);                         // (N)
  auto neg = i.mm(d.t());                            // (N,K)
  auto logits = torch::cat({sim.unsqueeze(1), neg}, 1) * scale;
  auto loss = -torch::log_softmax(logits, 1).select(1, 0);
  auto rank = (neg >= sim.unsqueeze(1)).sum(1).to(torch::kDouble);
  return torch::stack({sim, -loss, -torch::log1p(rank)}, 1);
}

std::pair<torch::Tensor, double> fit_logistic(const torch::Tensor& x, const torch::Tensor& y,
                                              double l2, int iters) {
  const int64_t n = x.size(0), f = x.size(1);
  auto xb = torch::cat({x, torch::ones({n, 1}, torch::kDouble)}, 1);  // bias column
  auto yd = y.to(torch::kDouble);
  const double pos = yd.sum().item<double>(), negc = double(n) - pos;
  auto sw = torch::where(yd > 0.5, torch::full_like(yd, 0.5 * n / pos), torch::full_like(yd, 0.5 * n / negc));
  auto w = torch::zeros({f + 1}, torch::kDouble);
  auto reg = torch::eye(f + 1, torch::kDouble) * l2 * n;
  reg[f][f] = 0;  // no penalty on the bias
  for (int it = 0; it < iters; ++it) {
    auto p = torch::sigmoid(xb.mv(w));
    auto grad = xb.t().mv(sw * (p - yd)) + reg.mv(w);
    auto h = xb.t().mm(xb * (sw * p * (1 - p)).unsqueeze(1)) + reg;
    auto step = torch::linalg::solve(h, grad.unsqueeze(1), true).squeeze(1);
    w -= step;
    if (step.abs().max().item<double>() < 1e-10) break;
  }
  return {w.slice(0, 0, f).clone(), w[f].item<double>()};
}

MiaResult membership_inference(const torch::Tensor& members, const torch::Tensor& nonmembers,
                               const torch::Tensor& forget, uint64_t seed) {
  LETHE_CHECK(members.size(0) >= 4 && nonmembers.size(0) >= 4,
              "membership inference needs at least 4 members and 4 non-members (got {}, {})",
              members.size(0), nonmembers.size(0));
  auto rng = make_engine(seed, 0, -1, Stream::kEval);
  auto halves = [&](const torch::Tensor& x) {
    auto perm = permutation(x.size(0), rng);
    auto idx = torch::tensor(perm, torch::kLong);
    const int64_t h = x.size(0) / 2;
    return std::make_pair(x.index_select(0, idx.slice(0, 0, h)), x.index_select(0, idx.slice(0, h)));
  };
  auto [m_fit, m_test] = halves(members.to(torch::kDouble));
  auto [n_fit, n_test] = halves(nonmembers.to(torch::kDouble));
  auto x_fit = torch::cat({m_fit, n_fit});
  auto y_fit = torch::cat({torch::ones({m_fit.size(0)}), torch::zeros({n_fit.size(0)})});
  auto mean = x_fit.mean(0), std = x_fit.std(0).clamp_min(1e-12);
  auto [w, b] = fit_logistic((x_fit - mean) / std, y_fit);
  auto score = [&, &w = w, &b = b](const torch::Tensor& x) { return ((x - mean) / std).mv(w) + b; };
  auto x_test = torch::cat({m_test, n_test});
  auto y_test = torch::cat({torch::ones({m_test.size(0)}), torch::zeros({n_test.size(0)})});
  MiaResult r;
  r.auc = auroc(score(x_test), y_test);
  r.threshold_auc = auroc(x_test.select(1, 0), y_test);
  if (forget.size(0) > 0)
    r.forget_member_rate = (score(forget.to(torch::kDouble)) > 0).to(torch::kDouble).mean().item<double>();
  return r;
}

}  // namespace lethe::eval
