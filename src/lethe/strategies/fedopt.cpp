#include "lethe/strategies/fedopt.h"

#include "lethe/core/error.h"

namespace lethe::strategies {

namespace {
constexpr std::string_view kM = "m/", kV = "v/";
}

FedOpt::FedOpt(const fl::FlConfig& cfg, Adaptivity kind) : fl::Strategy(cfg), kind_(kind) {}

std::string FedOpt::name() const {
  switch (kind_) {
    case Adaptivity::kAdam: return "fedadam";
    case Adaptivity::kYogi: return "fedyogi";
    case Adaptivity::kAdagrad: return "fedadagrad";
  }
  LETHE_ASSERT(false);
}

TensorMap FedOpt::aggregate_fit(int64_t, const TensorMap& global,
                                const fl::UpdateAggregator& results) {
  const auto& c = config();
  if (m_.empty()) initial_moments(global, c.tau, m_, v_);
  auto next = clone(global);
  adaptive_step(kind_, next, m_, v_, results.result(), {c.adaptive_lr, c.beta1, c.beta2, c.tau});
  return next;
}

fl::StateBlob FedOpt::state() const {
  fl::StateBlob s;
  for (const auto& [name, t] : m_) s.tensors.emplace(std::string(kM) + name, t.clone());
  for (const auto& [name, t] : v_) s.tensors.emplace(std::string(kV) + name, t.clone());
  return s;
}

void FedOpt::load_state(const fl::StateBlob& state) {
  m_.clear();
  v_.clear();
  for (const auto& [name, t] : state.tensors) {
    const bool is_m = name.rfind(kM, 0) == 0, is_v = name.rfind(kV, 0) == 0;
    LETHE_CHECK(is_m || is_v, "strategy '{}': unexpected server-state tensor '{}'", this->name(),
                name);
    (is_m ? m_ : v_).emplace(name.substr(2), t.clone());
  }
  check_same_layout(m_, v_, fmt::format("strategy '{}' server state (m vs v)", this->name()));
}

}  // namespace lethe::strategies
