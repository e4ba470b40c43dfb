// The Forget Lock's projection and its server-state round trip (forget_lock.h); the lock in a
// running federation, across resume, is in federation_test.cpp.
#include "lethe/fl/forget_lock.h"

#include <gtest/gtest.h>

#include "fl/test_util.h"

namespace lethe::fl {
namespace {

torch::Tensor random_orthogonal(int64_t d, uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  return std::get<0>(torch::linalg_qr(torch::randn({d, d}, gen, torch::kFloat64)));
}

TEST(ForgetLock, HardAtBetaZeroAndScalesTheComponentOtherwise) {
  auto rot = random_orthogonal(5, 1);
  auto e = rot.narrow(1, 0, 1);
  auto g = torch::randn({5, 3}, torch::kFloat64);
  auto hard = lock_project(g, e, 0.0);
  EXPECT_LT(e.t().matmul(hard).abs().max().item<double>(), 1e-12);
  auto soft = lock_project(g, e, 0.25);
  EXPECT_TRUE(torch::allclose(e.t().matmul(soft), 0.25 * e.t().matmul(g), 0, 1e-12));
  // Directions outside E are untouched.
  auto rest = rot.narrow(1, 1, 4);
  EXPECT_TRUE(torch::allclose(rest.t().matmul(hard), rest.t().matmul(g), 0, 1e-12));
  // A vector (a bias) is a one-column matrix.
  auto v = torch::randn({5}, torch::kFloat64);
  EXPECT_LT(e.t().matmul(lock_project(v, e, 0.0)).abs().max().item<double>(), 1e-12);
  lethe::testing::expect_input_error([&] { lock_project(g, e, 1.5); }, {"β", "1.5"});
  lethe::testing::expect_input_error([&] { lock_project(g, torch::zeros({4, 1}), 0.0); },
                                     {"Forget Lock", "4 rows", "5"});
}

TEST(ForgetLock, AppliesInPlaceToLockedTensorsOnlyAndRoundTripsThroughState) {
  ForgetLock lock;
  lock.bases["w"] = random_orthogonal(4, 2).narrow(1, 0, 2).to(torch::kFloat).contiguous();
  lock.beta = 0.0;
  TensorMap t{{"w", torch::randn({4, 3})}, {"b", torch::randn({4})}};
  const auto b_before = t["b"].clone();
  auto& w = t["w"];
  const auto* data = w.data_ptr();
  lock.filter()(0, t);
  EXPECT_EQ(t["w"].data_ptr(), data);  // in place: the client's gradient tensors are aliases
  EXPECT_LT(lock.bases["w"].t().matmul(t["w"]).abs().max().item<float>(), 1e-5);
  EXPECT_TRUE(torch::equal(t["b"], b_before));
  EXPECT_EQ(lock.directions(), 2);

  auto back = ForgetLock::from_state(lock.to_state(), "ck.json");
  EXPECT_EQ(back.beta, 0.0);
  EXPECT_TRUE(torch::equal(back.bases.at("w"), lock.bases.at("w")));
  auto bad = lock.to_state();
  bad.meta["beta"] = 2.0;
  lethe::testing::expect_input_error([&] { ForgetLock::from_state(bad, "ck.json"); }, {"ck.json", "β", "2"});
  bad.meta.erase("beta");
  lethe::testing::expect_input_error([&] { ForgetLock::from_state(bad, "ck.json"); }, {"ck.json", "beta"});
}

}  // namespace
}  // namespace lethe::fl
