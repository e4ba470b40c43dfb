#include "lethe/fl/forget_lock.h"

#include "lethe/core/error.h"

namespace lethe::fl {

torch::Tensor lock_project(const torch::Tensor& g, const torch::Tensor& e, double beta) {
  LETHE_CHECK(beta >= 0.0 && beta <= 1.0, "Forget Lock: β = {} is outside [0, 1]", beta);
  LETHE_ASSERT(e.dim() == 2);
  LETHE_CHECK(g.dim() >= 1 && e.size(0) == g.size(0), "Forget Lock: basis has {} rows but the tensor has {}",
              e.size(0), g.dim() ? g.size(0) : 0);
  torch::NoGradGuard ng;
  auto e64 = e.detach().to(torch::kFloat64);
  auto g64 = g.detach().to(torch::kFloat64).reshape({g.size(0), -1});
  return (g64 - (1.0 - beta) * e64.matmul(e64.t().matmul(g64))).reshape(g.sizes()).to(g.scalar_type());
}

int64_t ForgetLock::directions() const {
  int64_t n = 0;
  for (const auto& [name, e] : bases) n += e.size(1);
  return n;
}

void ForgetLock::apply(TensorMap& tensors) const {
  torch::NoGradGuard ng;
  for (const auto& [name, e] : bases) {
    auto it = tensors.find(name);
    if (it == tensors.end() || !it->second.defined()) continue;
    it->second.copy_(lock_project(it->second, e.to(it->second.device()), beta));
  }
}

UpdateFilter ForgetLock::filter() const {
  return [lock = *this](int64_t, TensorMap& tensors) { lock.apply(tensors); };
}

StateBlob ForgetLock::to_state() const {
  StateBlob b;
  b.tensors = bases;
  b.meta = {{"beta", beta}, {"directions", directions()}};
  return b;
}

ForgetLock ForgetLock::from_state(const StateBlob& blob, const std::string& source) {
  LETHE_CHECK(blob.meta.contains("beta") && blob.meta["beta"].is_number(),
              "'{}': the Forget Lock state has no number 'beta'", source);
  ForgetLock lock;
  lock.beta = blob.meta["beta"].get<double>();
  LETHE_CHECK(lock.beta >= 0.0 && lock.beta <= 1.0, "'{}': Forget Lock β = {} is outside [0, 1]", source,
              lock.beta);
  for (const auto& [name, e] : blob.tensors) {
    LETHE_CHECK(e.dim() == 2, "'{}': Forget Lock basis '{}' is not a matrix", source, name);
    lock.bases[name] = e;
  }
  return lock;
}

}  // namespace lethe::fl
