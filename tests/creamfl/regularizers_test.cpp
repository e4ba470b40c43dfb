// CreamFL's inter- and intra-modal regularisers against hand-computed values.
#include "lethe/creamfl/regularizers.h"

#include <gtest/gtest.h>

#include <cmath>

namespace lethe::creamfl {
namespace {

torch::Tensor unit_rows(std::initializer_list<std::initializer_list<float>> rows) {
  std::vector<torch::Tensor> r;
  for (auto row : rows) r.push_back(torch::tensor(std::vector<float>(row)));
  auto t = torch::stack(r);
  return t / t.norm(2, 1, true);
}

TEST(CreamRegularizers, InterModalIsCrossEntropyOverThePublicSetWithSameUnitMasked) {
  // Four public samples; samples 1 and 2 share a unit (the same caption drawn twice).
  auto other = unit_rows({{1, 0}, {0, 1}, {0.6f, 0.8f}, {-1, 0}});
  auto units = torch::tensor({0, 1, 1, 2}, torch::kLong);
  auto z = unit_rows({{0.8f, 0.6f}, {0, 1}});
  auto idx = torch::tensor({0, 2}, torch::kLong);
  const double tau = 0.5;
  auto loss = inter_modal_loss(z, other, idx, units, tau).item<double>();
  // Row 0 (target 0): all four candidates. Row 1 (target 2): candidate 1 is masked.
  auto dots = z.mm(other.t());
  auto d = [&](int i, int j) { return dots[i][j].item<double>() / tau; };
  const double l0 = -d(0, 0) + std::log(std::exp(d(0, 0)) + std::exp(d(0, 1)) + std::exp(d(0, 2)) +
                                        std::exp(d(0, 3)));
  const double l1 = -d(1, 2) + std::log(std::exp(d(1, 0)) + std::exp(d(1, 2)) + std::exp(d(1, 3)));
  EXPECT_NEAR(loss, 0.5 * (l0 + l1), 1e-5);
}

TEST(CreamRegularizers, IntraModalPrefersTheServerVectorOverTheOldOne) {
  auto z = unit_rows({{1, 0}, {0, 1}});
  auto same = unit_rows({{1, 0}, {1, 1}});
  auto old = unit_rows({{0, 1}, {0, 1}});
  const double tau = 0.5;
  auto loss = intra_modal_loss(z, same, old, tau).item<double>();
  auto term = [&](double pos, double neg) {
    return -std::log(std::exp(pos / tau) / (std::exp(pos / tau) + std::exp(neg / tau)));
  };
  EXPECT_NEAR(loss, 0.5 * (term(1.0, 0.0) + term(std::sqrt(0.5), 1.0)), 1e-5);
  // Moving z towards the server's vector lowers the loss.
  auto zp = z.clone().set_requires_grad(true);
  intra_modal_loss(zp, same, old, tau).backward();
  auto stepped = z - 0.1 * zp.grad();
  EXPECT_LT(intra_modal_loss(stepped / stepped.norm(2, 1, true), same, old, tau).item<double>(), loss);
}

}  // namespace
}  // namespace lethe::creamfl
