#include "lethe/strategies/server_optimizer.h"

namespace lethe::strategies {

void sgd_step(TensorMap& theta, const TensorMap& delta, double lr) { add_(theta, delta, lr); }

void momentum_step(TensorMap& theta, TensorMap& velocity, const TensorMap& delta, double lr,
                   double momentum, bool nesterov) {
  check_same_layout(velocity, delta, "server momentum");
  torch::NoGradGuard no_grad;
  for (auto& [name, v] : velocity) v.mul_(momentum).add_(delta.at(name));
  if (!nesterov) return add_(theta, velocity, lr);
  add_(theta, delta, lr);
  add_(theta, velocity, lr * momentum);
}

void initial_moments(const TensorMap& like, double tau, TensorMap& m, TensorMap& v) {
  m = zeros_like(like);
  v.clear();
  for (const auto& [name, t] : like) v.emplace(name, torch::full_like(t, tau * tau));
}

void adaptive_step(Adaptivity kind, TensorMap& theta, TensorMap& m, TensorMap& v,
                   const TensorMap& delta, const AdaptiveParams& p) {
  check_same_layout(theta, delta, "server optimiser update");
  check_same_layout(m, delta, "server optimiser first moment");
  check_same_layout(v, delta, "server optimiser second moment");
  torch::NoGradGuard no_grad;
  for (auto& [name, th] : theta) {
    const auto& d = delta.at(name);
    auto& mt = m.at(name);
    auto& vt = v.at(name);
    mt.mul_(p.beta1).add_(d, 1 - p.beta1);
    const auto d2 = d * d;
    switch (kind) {
      case Adaptivity::kAdam: vt.mul_(p.beta2).add_(d2, 1 - p.beta2); break;
      case Adaptivity::kYogi: vt.sub_(d2 * torch::sign(vt - d2), 1 - p.beta2); break;
      case Adaptivity::kAdagrad: vt.add_(d2); break;
    }
    th.add_(mt / (vt.sqrt() + p.tau), p.lr);
  }
}

}  // namespace lethe::strategies
