#include "lethe/core/tensor_map.h"

#include <fmt/format.h>

#include <cmath>

#include "lethe/core/error.h"

namespace lethe {

namespace {
std::string shape_str(const torch::Tensor& t) {
  return fmt::format("[{}]", fmt::join(t.sizes().begin(), t.sizes().end(), ", "));
}

std::string dtype_str(const torch::Tensor& t) { return c10::toString(t.scalar_type()); }

TensorMap module_tensors(const torch::nn::Module& m) {
  TensorMap out;
  for (const auto& p : m.named_parameters(/*recurse=*/true)) out.emplace(p.key(), p.value());
  for (const auto& b : m.named_buffers(/*recurse=*/true)) out.emplace(b.key(), b.value());
  return out;
}

// Applies f to matching pairs after checking both maps have the same layout.
template <class F>
TensorMap zip(const TensorMap& a, const TensorMap& b, const std::string& what, F f) {
  check_same_layout(a, b, what);
  TensorMap out;
  auto ib = b.begin();
  for (const auto& [name, ta] : a) out.emplace(name, f(ta, (ib++)->second).to(ta.scalar_type()));
  return out;
}
}  // namespace

TensorMap state_dict(const torch::nn::Module& m, bool trainable_only) {
  TensorMap out;
  if (trainable_only) {
    for (const auto& p : m.named_parameters(/*recurse=*/true))
      if (p.value().requires_grad()) out.emplace(p.key(), p.value().detach().clone());
    return out;
  }
  for (const auto& [name, t] : module_tensors(m)) out.emplace(name, t.detach().clone());
  return out;
}

void load_state_dict(torch::nn::Module& m, const TensorMap& src, bool strict) {
  TensorMap dst = module_tensors(m);
  for (const auto& [name, d] : dst) {
    auto it = src.find(name);
    if (it == src.end()) {
      LETHE_CHECK(!strict, "missing tensor '{}' (expected shape {})", name, shape_str(d));
      continue;
    }
    const auto& s = it->second;
    LETHE_CHECK(s.defined(), "tensor '{}' is undefined", name);
    LETHE_CHECK(s.sizes() == d.sizes(), "tensor '{}' has shape {} but the model expects {}", name,
                shape_str(s), shape_str(d));
    bool both_float = s.is_floating_point() && d.is_floating_point();
    LETHE_CHECK(both_float || s.scalar_type() == d.scalar_type(),
                "tensor '{}' has dtype {} but the model expects {}", name, dtype_str(s),
                dtype_str(d));
  }
  if (strict) {
    for (const auto& [name, s] : src)
      LETHE_CHECK(dst.count(name), "unexpected tensor '{}' (shape {})", name, shape_str(s));
  }
  torch::NoGradGuard no_grad;
  for (auto& [name, d] : dst) {
    auto it = src.find(name);
    if (it != src.end()) d.copy_(it->second);
  }
}

TensorMap clone(const TensorMap& a) {
  TensorMap out;
  for (const auto& [name, t] : a) out.emplace(name, t.clone());
  return out;
}

TensorMap zeros_like(const TensorMap& a) {
  TensorMap out;
  for (const auto& [name, t] : a) out.emplace(name, torch::zeros_like(t));
  return out;
}

TensorMap add(const TensorMap& a, const TensorMap& b) {
  return zip(a, b, "add", [](const torch::Tensor& x, const torch::Tensor& y) { return x + y; });
}

TensorMap sub(const TensorMap& a, const TensorMap& b) {
  return zip(a, b, "sub", [](const torch::Tensor& x, const torch::Tensor& y) { return x - y; });
}

TensorMap scale(const TensorMap& a, double s) {
  TensorMap out;
  for (const auto& [name, t] : a) out.emplace(name, (t * s).to(t.scalar_type()));
  return out;
}

void add_(TensorMap& y, const TensorMap& x, double alpha) {
  check_same_layout(y, x, "add_");
  torch::NoGradGuard no_grad;
  auto ix = x.begin();
  for (auto& [name, t] : y) {
    const auto& u = (ix++)->second;
    // In-place add with a fractional alpha is not defined for integer tensors.
    if (t.is_floating_point())
      t.add_(u, alpha);
    else
      t.copy_(t + u * alpha);
  }
}

double dot(const TensorMap& a, const TensorMap& b) {
  check_same_layout(a, b, "dot");
  double sum = 0;
  auto ib = b.begin();
  for (const auto& [name, ta] : a) {
    const auto& tb = (ib++)->second;
    sum += (ta.to(torch::kFloat64) * tb.to(torch::kFloat64)).sum().item<double>();
  }
  return sum;
}

double norm(const TensorMap& a) {
  double sq = 0;
  for (const auto& [name, t] : a) sq += t.to(torch::kFloat64).square().sum().item<double>();
  return std::sqrt(sq);
}

std::string describe_nonfinite(const TensorMap& a) {
  torch::NoGradGuard no_grad;
  for (const auto& [name, t] : a) {
    if (!t.is_floating_point()) continue;
    const int64_t bad = t.numel() - torch::isfinite(t).sum().item<int64_t>();
    if (bad > 0)
      return fmt::format("tensor '{}' has {} non-finite value{} (NaN or ±Inf) of {}", name, bad,
                         bad == 1 ? "" : "s", t.numel());
  }
  return "";
}

int64_t numel(const TensorMap& a) {
  int64_t n = 0;
  for (const auto& [name, t] : a) n += t.numel();
  return n;
}

int64_t nbytes(const TensorMap& a) {
  int64_t n = 0;
  for (const auto& [name, t] : a) n += t.numel() * static_cast<int64_t>(t.element_size());
  return n;
}

void check_same_layout(const TensorMap& a, const TensorMap& b, const std::string& what) {
  for (const auto& [name, ta] : a) {
    auto it = b.find(name);
    LETHE_CHECK(it != b.end(), "{}: tensor '{}' is in the first map but not the second", what,
                name);
    const auto& tb = it->second;
    LETHE_CHECK(ta.sizes() == tb.sizes(), "{}: tensor '{}' has shape {} vs {}", what, name,
                shape_str(ta), shape_str(tb));
    LETHE_CHECK(ta.scalar_type() == tb.scalar_type(), "{}: tensor '{}' has dtype {} vs {}", what,
                name, dtype_str(ta), dtype_str(tb));
  }
  for (const auto& [name, tb] : b)
    LETHE_CHECK(a.count(name), "{}: tensor '{}' is in the second map but not the first", what,
                name);
}

}  // namespace lethe
