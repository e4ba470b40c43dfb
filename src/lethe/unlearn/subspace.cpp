#include "lethe/unlearn/subspace.h"

#include "lethe/core/error.h"
#include "lethe/core/shape.h"
#include "lethe/fl/sketch.h"

namespace lethe::unlearn {

namespace {
torch::Tensor f64(const torch::Tensor& t) { return t.detach().to(torch::kFloat64); }

void check_basis(const torch::Tensor& e, int64_t rows, const char* what) {
  LETHE_ASSERT(e.dim() == 2);
  LETHE_CHECK(e.size(0) == rows, "{}: basis has {} rows but the matrix has {}", what, e.size(0),
              rows);
}

// x − EEᵀx in float64, returned in x's dtype.
torch::Tensor remove_component(const torch::Tensor& x, const torch::Tensor& e) {
  auto e64 = f64(e);
  auto x64 = f64(x);
  return (x64 - e64.matmul(e64.t().matmul(x64))).to(x.scalar_type());
}
}  // namespace

torch::Tensor orthonormal_basis(const torch::Tensor& m, double energy, int64_t max_rank) {
  LETHE_ASSERT(m.dim() == 2);
  torch::NoGradGuard ng;
  if (m.size(1) == 0) return torch::zeros({m.size(0), 0}, torch::kFloat64);
  auto [u, s, vh] = fl::thin_svd(f64(m), "orthonormal basis");
  const int64_t r = fl::energy_rank(s, energy, max_rank);
  return u.narrow(1, 0, r).contiguous();
}

PrincipalSplit principal_split(const torch::Tensor& q_forget, const torch::Tensor& q_retain) {
  LETHE_ASSERT(q_forget.dim() == 2 && q_retain.dim() == 2);
  LETHE_CHECK(q_forget.size(0) == q_retain.size(0),
              "principal angles: forget basis is {} but retain basis is {}", shape_str(q_forget),
              shape_str(q_retain));
  torch::NoGradGuard ng;
  auto qf = f64(q_forget), qr = f64(q_retain);
  const int64_t k = qf.size(1);
  LETHE_CHECK(k <= qf.size(0), "principal angles: {} forget directions in dimension {}", k,
              qf.size(0));
  auto overlap = qr.t().matmul(qf);  // r × k: its singular values are cos θ_i
  auto residual = qf - qr.matmul(overlap);
  auto [u, sines, vh] = fl::thin_svd(residual, "principal angles");
  sines = sines.clamp(0.0, 1.0);
  // Pair the descending sines with ascending cosines; directions of Q_f beyond Q_r's rank have
  // no partner in Q_r (cos = 0, θ = 90°).
  auto cosines = torch::zeros({k}, torch::kFloat64);
  if (qr.size(1) > 0 && k > 0) {
    auto c = torch::linalg_svdvals(overlap).clamp(0.0, 1.0).flip(0);  // ascending
    cosines.narrow(0, k - c.size(0), c.size(0)).copy_(c);
  }
  return {u.contiguous(), sines, torch::atan2(sines, cosines)};
}

torch::Tensor exclusive_basis(const PrincipalSplit& split, double tau) {
  // Angles descend with the sines, so the selection is a prefix. A zero sine has no direction.
  auto keep = (split.angles >= tau).logical_and(split.sines > 1e-12);
  const int64_t n = keep.sum().item<int64_t>();
  return split.directions.narrow(1, 0, n).contiguous();
}

torch::Tensor excise_full(const torch::Tensor& w, const torch::Tensor& w0, const torch::Tensor& e) {
  LETHE_CHECK(w.sizes() == w0.sizes(), "excision: weight is {} but its initial value is {}",
              shape_str(w), shape_str(w0));
  check_basis(e, w.size(0), "excision");
  torch::NoGradGuard ng;
  auto e64 = f64(e);
  auto w64 = f64(w);
  return (w64 - e64.matmul(e64.t().matmul(w64 - f64(w0)))).to(w.scalar_type());
}

torch::Tensor excise_lora(const torch::Tensor& b, const torch::Tensor& e) {
  check_basis(e, b.size(0), "LoRA excision");
  torch::NoGradGuard ng;
  return remove_component(b, e);
}

}  // namespace lethe::unlearn
