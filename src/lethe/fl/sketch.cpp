#include "lethe/fl/sketch.h"

#include "lethe/core/error.h"

namespace lethe::fl {

namespace {
struct SingleThreadGuard {
  int previous = torch::get_num_threads();
  SingleThreadGuard() { torch::set_num_threads(1); }
  ~SingleThreadGuard() { torch::set_num_threads(previous); }
};
}  // namespace

int64_t energy_rank(const torch::Tensor& singular_values, double energy, int64_t max_rank) {
  auto e = singular_values.to(torch::kFloat64).square();
  const double total = e.sum().item<double>();
  if (total <= 0) return 0;
  auto cum = e.cumsum(0);
  // First index whose cumulative energy reaches the target; the tolerance absorbs rounding
  // when energy = 1.
  const double target = energy * total * (1 - 1e-12);
  int64_t r = (cum < target).sum().item<int64_t>() + 1;
  r = std::min<int64_t>(r, e.size(0));
  return std::min(r, max_rank);
}

std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> thin_svd(const torch::Tensor& m,
                                                                  const std::string& what) {
  if (!torch::isfinite(m).all().item<bool>())
    throw NumericalError(fmt::format("{}: the {}x{} matrix has non-finite entries", what, m.size(0), m.size(1)));
  try {
    return torch::linalg_svd(m, /*full_matrices=*/false);
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& e) {  // LAPACK's failure, as LibTorch reports it
    const std::string msg = e.what();
    throw NumericalError(fmt::format("{}: the SVD of a {}x{} matrix failed ({})", what, m.size(0),
                                     m.size(1), msg.substr(0, msg.find('\n'))));
  }
}

torch::Tensor update_sketch(const torch::Tensor& sketch, const torch::Tensor& delta,
                            const SketchOptions& opts) {
  LETHE_ASSERT(delta.dim() == 2);
  torch::NoGradGuard no_grad;
  // Small LAPACK factorisations make thousands of tiny BLAS calls; with more than one OpenMP
  // thread each call pays a fork/join, which made sketching 10x slower than training here.
  SingleThreadGuard one_thread;
  auto m = delta.to(torch::kFloat64);
  if (sketch.defined()) {
    LETHE_ASSERT(sketch.dim() == 2 && sketch.size(0) == delta.size(0));
    m = torch::cat({sketch.to(torch::kFloat64), m}, 1);
  }
  auto [u, s, vh] = thin_svd(m, "update sketch");
  const int64_t r = energy_rank(s, opts.energy, opts.max_rank);
  if (r == 0) return {};
  auto out = (u.narrow(1, 0, r) * s.narrow(0, 0, r)).to(torch::kFloat32).contiguous();
  if (!torch::isfinite(out).all().item<bool>())
    throw NumericalError(fmt::format("update sketch: σ₁ = {:.4g} overflows float32",
                                     s[0].item<double>()));
  return out;
}

torch::Tensor lora_delta_factor(const torch::Tensor& b_k, const torch::Tensor& a_k,
                                const torch::Tensor& b_t, const torch::Tensor& a_t) {
  torch::NoGradGuard no_grad;
  auto b = torch::cat({b_k.to(torch::kFloat64), -b_t.to(torch::kFloat64)}, 1);   // d × 2r
  auto a = torch::cat({a_k.to(torch::kFloat64), a_t.to(torch::kFloat64)}, 0);    // 2r × n
  auto [q, r] = torch::linalg_qr(b, "reduced");
  auto [u, s, vh] = thin_svd(r.matmul(a), "LoRA update factor");
  return q.matmul(u) * s;
}

TensorMap matrix_deltas(const TensorMap&, const TensorMap& update) {
  TensorMap out;
  for (const auto& [name, t] : update)
    if (t.dim() == 2 && t.is_floating_point()) out.emplace(name, t);
  return out;
}

ModuleDeltaFn lora_deltas(std::string a_suffix, std::string b_suffix) {
  return [a_suffix, b_suffix](const TensorMap& global, const TensorMap& update) {
    auto ends_with = [](const std::string& s, const std::string& suffix) {
      return s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    TensorMap out;
    for (const auto& [name, t] : update) {
      if (t.dim() != 2 || !t.is_floating_point() || ends_with(name, a_suffix)) continue;
      if (!ends_with(name, b_suffix)) {
        out.emplace(name, t);
        continue;
      }
      const auto module = name.substr(0, name.size() - b_suffix.size());
      const auto a_name = module + a_suffix;
      auto da = update.find(a_name);
      LETHE_CHECK(da != update.end(), "LoRA factor '{}' has no partner '{}' in the update", name,
                  a_name);
      const auto& b_t = global.at(name);
      const auto& a_t = global.at(a_name);
      out.emplace(module, lora_delta_factor(b_t + t, a_t + da->second, b_t, a_t));
    }
    return out;
  };
}

}  // namespace lethe::fl
