// EASE's subspace maths (subspace.h) on matrices whose principal angles are known by
// construction: pairs of planes rotated by a random orthogonal matrix, with angles from 1e-7
// rad (where the cosine route loses every digit) to 90° − 1e-7.
#include "lethe/unlearn/subspace.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "common/test_util.h"

namespace lethe::unlearn {
namespace {

constexpr double kPi = 3.14159265358979323846;

torch::Tensor random_orthogonal(int64_t d, uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  auto g = torch::randn({d, d}, gen, torch::kFloat64);
  return std::get<0>(torch::linalg_qr(g));
}

// Q_r = R[e_0..e_{r-1}], Q_f column i = R(cos θ_i e_i + sin θ_i e_{r+i}): principal angles
// exactly θ_i. Needs d ≥ r + k and k ≤ r.
struct Pair {
  torch::Tensor qf, qr, rot;
};
Pair planes(int64_t d, int64_t r, const std::vector<double>& theta, uint64_t seed = 7) {
  const auto k = static_cast<int64_t>(theta.size());
  auto qf = torch::zeros({d, k}, torch::kFloat64);
  auto qr = torch::zeros({d, r}, torch::kFloat64);
  for (int64_t j = 0; j < r; ++j) qr[j][j] = 1.0;
  for (int64_t i = 0; i < k; ++i) {
    qf[i][i] = std::cos(theta[i]);
    qf[r + i][i] = std::sin(theta[i]);
  }
  auto rot = random_orthogonal(d, seed);
  return {rot.matmul(qf), rot.matmul(qr), rot};
}

TEST(Subspace, PrincipalAnglesMatchTheConstructionAtBothEnds) {
  const double tiny = 1e-7;
  std::vector<double> theta = {tiny, kPi / 6, kPi / 4, kPi / 2 - tiny};
  auto p = planes(12, 5, theta);
  auto split = principal_split(p.qf, p.qr);
  ASSERT_EQ(split.angles.size(0), 4);
  // Descending: 90° − 1e-7, 45°, 30°, 1e-7.
  std::vector<double> want = {kPi / 2 - tiny, kPi / 4, kPi / 6, tiny};
  for (int64_t i = 0; i < 4; ++i) {
    const double got = split.angles[i].item<double>();
    EXPECT_NEAR(got, want[i], 1e-12) << "angle " << i;
    EXPECT_NEAR(split.sines[i].item<double>(), std::sin(want[i]), 1e-12) << "sine " << i;
  }
  // The tiny angle to relative precision: acos(cos 1e-7) would be off by ~1e-8 absolute here.
  EXPECT_NEAR(split.angles[3].item<double>() / tiny, 1.0, 1e-6);
}

TEST(Subspace, ForgetDirectionsBeyondTheRetainRankAreFullyExclusive) {
  // k = 3 forget directions against a 1-D retain space: two have no partner (θ = 90°).
  auto qr = torch::zeros({6, 1}, torch::kFloat64);
  qr[0][0] = 1.0;
  auto qf = torch::zeros({6, 3}, torch::kFloat64);
  qf[0][0] = std::cos(0.3), qf[1][0] = std::sin(0.3);
  qf[2][1] = 1.0;
  qf[3][2] = 1.0;
  auto split = principal_split(qf, qr);
  EXPECT_NEAR(split.angles[0].item<double>(), kPi / 2, 1e-12);
  EXPECT_NEAR(split.angles[1].item<double>(), kPi / 2, 1e-12);
  EXPECT_NEAR(split.angles[2].item<double>(), 0.3, 1e-12);
  // No retain basis at all: every forget direction is exclusive.
  auto none = principal_split(qf, torch::zeros({6, 0}, torch::kFloat64));
  EXPECT_TRUE(torch::allclose(none.angles, torch::full({3}, kPi / 2, torch::kFloat64)));
}

TEST(Subspace, ExclusiveBasisKeepsAnglesAboveTauAndIsOrthogonalToRetain) {
  auto p = planes(10, 4, {0.1, 70 * kPi / 180, 89 * kPi / 180, 20 * kPi / 180});
  auto split = principal_split(p.qf, p.qr);
  auto e = exclusive_basis(split, 65 * kPi / 180);
  ASSERT_EQ(e.size(1), 2);
  EXPECT_TRUE(torch::allclose(e.t().matmul(e), torch::eye(2, torch::kFloat64), 0, 1e-12));
  EXPECT_LT(p.qr.t().matmul(e).abs().max().item<double>(), 1e-12);
  // E spans the exclusive parts: R e_{r+1}, R e_{r+2} (the sine parts of columns 1 and 2).
  auto want = p.rot.narrow(1, 5, 2);
  auto proj = e.matmul(e.t());
  EXPECT_TRUE(torch::allclose(proj.matmul(want), want, 0, 1e-12));
  EXPECT_EQ(exclusive_basis(split, 89.5 * kPi / 180).size(1), 0);
  // Identical spaces: all angles 0, nothing exclusive even at τ = 0.
  auto same = principal_split(p.qr, p.qr);
  EXPECT_LT(same.angles.abs().max().item<double>(), 1e-7);
  EXPECT_EQ(exclusive_basis(same, 0.0).size(1), 0);
}

TEST(Subspace, OrthonormalBasisKeepsTheEnergyFraction) {
  // Columns of energy 9, 4, 1 along e_0, e_1, e_2 (rotated): 90% of 14 needs the first two.
  auto rot = random_orthogonal(5, 3);
  auto m = torch::zeros({5, 3}, torch::kFloat64);
  m[0][0] = 3, m[1][1] = 2, m[2][2] = 1;
  m = rot.matmul(m);
  auto b = orthonormal_basis(m, 0.9, 10);
  ASSERT_EQ(b.size(1), 2);
  EXPECT_TRUE(torch::allclose(b.t().matmul(b), torch::eye(2, torch::kFloat64), 0, 1e-12));
  EXPECT_EQ(orthonormal_basis(m, 0.99, 10).size(1), 3);
  EXPECT_EQ(orthonormal_basis(m, 0.99, 1).size(1), 1);
  EXPECT_EQ(orthonormal_basis(torch::zeros({5, 2}), 0.9, 10).size(1), 0);
}

TEST(Subspace, ExcisionRemovesOnlyTheDisplacementAlongE) {
  auto rot = random_orthogonal(6, 11);
  auto e = rot.narrow(1, 0, 2);
  auto w0 = torch::randn({6, 4}, torch::kFloat64);
  auto along = e.matmul(torch::randn({2, 4}, torch::kFloat64));
  auto across = rot.narrow(1, 2, 4).matmul(torch::randn({4, 4}, torch::kFloat64));
  auto w = w0 + along + across;
  auto out = excise_full(w, w0, e);
  EXPECT_TRUE(torch::allclose(out, w0 + across, 0, 1e-12));
  // The initial weights' own E component survives: only what training moved is removed.
  EXPECT_GT(e.t().matmul(out).abs().max().item<double>(), 1e-3);
  // LoRA: B loses its E component, so BA has none.
  auto b = along.narrow(1, 0, 3) + across.narrow(1, 0, 3);
  auto a = torch::randn({3, 5}, torch::kFloat64);
  auto b2 = excise_lora(b, e);
  EXPECT_LT(e.t().matmul(b2.matmul(a)).abs().max().item<double>(), 1e-12);
  EXPECT_TRUE(torch::allclose(b2, across.narrow(1, 0, 3), 0, 1e-12));
  // Float32 weights come back as float32; an empty E changes nothing.
  auto w32 = w.to(torch::kFloat32);
  EXPECT_EQ(excise_full(w32, w0.to(torch::kFloat32), e).scalar_type(), torch::kFloat32);
  EXPECT_TRUE(torch::equal(excise_full(w32, w0.to(torch::kFloat32), e.narrow(1, 0, 0)), w32));
}

}  // namespace
}  // namespace lethe::unlearn
