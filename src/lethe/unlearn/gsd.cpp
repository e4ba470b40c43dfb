#include "lethe/unlearn/gsd.h"

#include <cmath>
#include <optional>

#include "lethe/core/error.h"
#include "lethe/core/shape.h"

namespace lethe::unlearn {

namespace {
torch::Tensor f64(const torch::Tensor& t) { return t.detach().to(torch::kFloat64); }
constexpr double kDegrees = 180.0 / M_PI;
}  // namespace

GsdMode parse_gsd_mode(const std::string& s) {
  if (s == "hard") return GsdMode::kHard;
  if (s == "soft") return GsdMode::kSoft;
  if (s == "off") return GsdMode::kOff;
  throw InputError(fmt::format("EASE GSD mode '{}' is not valid; valid: hard, soft, off", s));
}

namespace {
// One module's split; nullopt when its forget factor spans nothing (all zero).
std::optional<ModuleSplit> split_module(const torch::Tensor& f,
                                        const std::map<std::string, std::vector<torch::Tensor>>& retain,
                                        const std::string& name, const GsdOptions& opts) {
  ModuleSplit m;
  m.q_forget = orthonormal_basis(f, opts.energy, opts.max_rank);
  if (m.q_forget.size(1) == 0) return std::nullopt;
  const int64_t d = f.size(0);
  m.q_retain = torch::zeros({d, 0}, torch::kFloat64);
  if (auto it = retain.find(name); it != retain.end() && !it->second.empty()) {
    std::vector<torch::Tensor> cols;
    for (const auto& r : it->second) {
      LETHE_CHECK(r.dim() == 2 && r.size(0) == d, "GSD: retain factor of '{}' is {}, forget's has {} rows",
                  name, shape_str(r), d);
      cols.push_back(f64(r));
    }
    auto all = torch::cat(cols, 1);
    m.q_retain = orthonormal_basis(all, opts.energy, all.size(1));
  }
  m.split = principal_split(m.q_forget, m.q_retain);
  m.exclusive = exclusive_basis(m.split, opts.tau);
  return m;
}
}  // namespace

Gsd Gsd::compute(const TensorMap& forget, const std::map<std::string, std::vector<torch::Tensor>>& retain,
                 const GsdOptions& opts) {
  torch::NoGradGuard ng;
  Gsd g;
  g.soft_power_ = opts.soft_power;
  for (const auto& [name, f] : forget) {
    LETHE_CHECK(f.dim() == 2, "GSD: forget factor of '{}' is {}, not a matrix", name, shape_str(f));
    std::optional<ModuleSplit> m;
    try {
      m = split_module(f, retain, name, opts);
    } catch (const NumericalError& e) {
      throw NumericalError(fmt::format("GSD of module '{}': {}", name, e.what()));
    }
    if (m) g.modules_.emplace(name, std::move(*m));
  }
  return g;
}

torch::Tensor Gsd::forget_component(const std::string& module, const torch::Tensor& x, GsdMode mode) const {
  torch::NoGradGuard ng;
  auto it = modules_.find(module);
  if (it == modules_.end()) return mode == GsdMode::kOff ? x.to(torch::kFloat) : torch::zeros_like(x, torch::kFloat);
  const auto& m = it->second;
  LETHE_CHECK(x.dim() == 2 && x.size(0) == m.q_forget.size(0), "GSD: '{}' is {}, its bases have {} rows",
              module, shape_str(x), m.q_forget.size(0));
  auto x64 = f64(x);
  switch (mode) {
    case GsdMode::kOff:
      return x.to(torch::kFloat);
    case GsdMode::kHard:
      return m.exclusive.matmul(m.exclusive.t().matmul(x64)).to(torch::kFloat);
    case GsdMode::kSoft: {
      // Z·diag(sin²θ)ᵀ·Zᵀ = I − (Q_rᵀQ_f)ᵀ(Q_rᵀQ_f); its power q reweighs by sin^{2q}θ.
      const auto& qf = m.q_forget;
      auto overlap = m.q_retain.t().matmul(qf);  // r × k
      auto weights = torch::eye(qf.size(1), torch::kFloat64) - overlap.t().matmul(overlap);
      if (soft_power_ != 1.0) {
        auto [lambda, z] = torch::linalg_eigh(weights);
        weights = z.matmul(torch::diag(lambda.clamp(0.0, 1.0).pow(soft_power_))).matmul(z.t());
      }
      return qf.matmul(weights.matmul(qf.t().matmul(x64))).to(torch::kFloat);
    }
  }
  LETHE_ASSERT(false);
  return {};
}

torch::Tensor Gsd::retain_orthogonal(const std::string& module, const torch::Tensor& x) const {
  auto it = modules_.find(module);
  if (it == modules_.end() || it->second.q_retain.size(1) == 0) return x;
  torch::NoGradGuard ng;
  const auto qr = it->second.q_retain.to(x.scalar_type());
  return x - qr.matmul(qr.t().matmul(x));
}

TensorMap Gsd::exclusive_bases() const {
  TensorMap out;
  for (const auto& [name, m] : modules_)
    if (m.exclusive.size(1) > 0) out[name] = m.exclusive.to(torch::kFloat).contiguous();
  return out;
}

int64_t Gsd::exclusive_directions() const {
  int64_t n = 0;
  for (const auto& [name, m] : modules_) n += m.exclusive.size(1);
  return n;
}

nlohmann::json Gsd::summary() const {
  nlohmann::json modules = nlohmann::json::object();
  int64_t with = 0;
  for (const auto& [name, m] : modules_) {
    const auto& a = m.split.angles;
    modules[name] = {{"forget_rank", m.q_forget.size(1)},
                     {"retain_rank", m.q_retain.size(1)},
                     {"exclusive", m.exclusive.size(1)},
                     {"max_angle_deg", a.numel() ? a.max().item<double>() * kDegrees : 0.0},
                     {"min_angle_deg", a.numel() ? a.min().item<double>() * kDegrees : 0.0}};
    with += m.exclusive.size(1) > 0;
  }
  return {{"modules", std::move(modules)},
          {"modules_with_exclusive", with},
          {"exclusive_directions", exclusive_directions()}};
}

}  // namespace lethe::unlearn
