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

namespace {

constexpr const char* kAnchorPrefix = "anchor:";  // a penalty lock's θ_u in its state blob

// EEᵀx on x's first dimension (float64 maths, x's dtype).
torch::Tensor project_onto(const torch::Tensor& x, const torch::Tensor& e) {
  auto e64 = e.detach().to(torch::kFloat64);
  auto x64 = x.detach().to(torch::kFloat64).reshape({x.size(0), -1});
  return e64.matmul(e64.t().matmul(x64)).reshape(x.sizes()).to(x.scalar_type());
}

}  // namespace

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

GradientTerm ForgetLock::penalty_term() const {
  LETHE_ASSERT(form == LockForm::kPenalty);
  return [lock = *this](int64_t, const TensorMap& params, TensorMap& grads) {
    torch::NoGradGuard ng;
    for (const auto& [name, e] : lock.bases) {
      auto g = grads.find(name);
      auto p = params.find(name);
      if (g == grads.end() || !g->second.defined() || p == params.end()) continue;
      const auto& anchor = lock.anchor.at(name);
      g->second.add_(project_onto(p->second - anchor.to(p->second.device()), e.to(p->second.device())),
                     lock.lambda);
    }
  };
}

ForgetLock ForgetLock::as_penalty(const TensorMap& weights, double strength) const {
  LETHE_CHECK(strength > 0.0, "Forget Lock penalty: λ = {} must be > 0", strength);
  ForgetLock out;
  out.bases = bases;
  out.form = LockForm::kPenalty;
  out.lambda = strength;
  for (const auto& [name, e] : bases) {
    auto it = weights.find(name);
    LETHE_CHECK(it != weights.end(), "Forget Lock penalty: no weights for the locked tensor '{}'", name);
    LETHE_CHECK(it->second.dim() >= 1 && it->second.size(0) == e.size(0),
                "Forget Lock penalty: '{}' has {} rows but its basis {}", name,
                it->second.dim() ? it->second.size(0) : 0, e.size(0));
    out.anchor[name] = it->second.detach().clone();
  }
  return out;
}

StateBlob ForgetLock::to_state() const {
  StateBlob b;
  b.tensors = bases;
  b.meta = {{"beta", beta}, {"directions", directions()}};
  if (form == LockForm::kPenalty) {  // projection locks keep the blob they always had
    b.meta["form"] = "penalty";
    b.meta["lambda"] = lambda;
    for (const auto& [name, a] : anchor) b.tensors[kAnchorPrefix + name] = a;
  }
  return b;
}

ForgetLock ForgetLock::from_state(const StateBlob& blob, const std::string& source) {
  LETHE_CHECK(blob.meta.contains("beta") && blob.meta["beta"].is_number(),
              "'{}': the Forget Lock state has no number 'beta'", source);
  ForgetLock lock;
  lock.beta = blob.meta["beta"].get<double>();
  LETHE_CHECK(lock.beta >= 0.0 && lock.beta <= 1.0, "'{}': Forget Lock β = {} is outside [0, 1]", source,
              lock.beta);
  const auto form = blob.meta.value("form", std::string("projection"));
  LETHE_CHECK(form == "projection" || form == "penalty", "'{}': Forget Lock form '{}' is not projection or penalty",
              source, form);
  for (const auto& [name, t] : blob.tensors) {
    if (name.starts_with(kAnchorPrefix)) {
      lock.anchor[name.substr(std::string(kAnchorPrefix).size())] = t;
      continue;
    }
    LETHE_CHECK(t.dim() == 2, "'{}': Forget Lock basis '{}' is not a matrix", source, name);
    lock.bases[name] = t;
  }
  if (form == "projection") {
    LETHE_CHECK(lock.anchor.empty(), "'{}': a projection Forget Lock holds anchors", source);
    return lock;
  }
  lock.form = LockForm::kPenalty;
  LETHE_CHECK(blob.meta.contains("lambda") && blob.meta["lambda"].is_number() && blob.meta["lambda"].get<double>() > 0,
              "'{}': the penalty Forget Lock has no λ > 0 ('lambda')", source);
  lock.lambda = blob.meta["lambda"].get<double>();
  for (const auto& [name, e] : lock.bases) {
    auto it = lock.anchor.find(name);
    LETHE_CHECK(it != lock.anchor.end() && it->second.dim() >= 1 && it->second.size(0) == e.size(0),
                "'{}': the penalty Forget Lock has no anchor matching basis '{}'", source, name);
  }
  LETHE_CHECK(lock.anchor.size() == lock.bases.size(), "'{}': the penalty Forget Lock has an anchor without a basis",
              source);
  return lock;
}

}  // namespace lethe::fl
