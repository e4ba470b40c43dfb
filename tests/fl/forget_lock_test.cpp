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

TEST(ForgetLock, PenaltyAddsLambdaTimesTheDriftAlongEAndRoundTripsThroughState) {
  ForgetLock projection;
  projection.bases["w"] = random_orthogonal(4, 3).narrow(1, 0, 2).to(torch::kFloat).contiguous();
  const TensorMap unlearned{{"w", torch::randn({4, 3})}, {"b", torch::randn({4})}};
  const auto lock = projection.as_penalty(unlearned, 2.5);
  EXPECT_EQ(lock.form, LockForm::kPenalty);
  EXPECT_EQ(lock.anchor.size(), 1u);  // the locked tensors only

  // ∂/∂θ of λ/2·‖EEᵀ(θ − θ_u)‖² = λ·EEᵀ(θ − θ_u), added to the locked tensors' gradients only.
  const auto& e = lock.bases.at("w");
  const TensorMap params{{"w", unlearned.at("w") + torch::randn({4, 3})}, {"b", torch::randn({4})}};
  TensorMap grads{{"w", torch::randn({4, 3})}, {"b", torch::randn({4})}};
  const auto before = clone(grads);
  lock.penalty_term()(0, params, grads);
  const auto expected = before.at("w") + 2.5 * e.matmul(e.t().matmul(params.at("w") - unlearned.at("w")));
  EXPECT_TRUE(torch::allclose(grads.at("w"), expected, 1e-5, 1e-5));
  EXPECT_TRUE(torch::equal(grads.at("b"), before.at("b")));
  // Outside E, or at the anchor, it adds nothing.
  TensorMap at_anchor{{"w", torch::zeros({4, 3})}};
  lock.penalty_term()(0, unlearned, at_anchor);
  EXPECT_EQ(at_anchor.at("w").abs().max().item<float>(), 0.0f);

  auto back = ForgetLock::from_state(lock.to_state(), "ck.json");
  EXPECT_EQ(back.form, LockForm::kPenalty);
  EXPECT_EQ(back.lambda, 2.5);
  EXPECT_TRUE(torch::equal(back.bases.at("w"), e));
  EXPECT_TRUE(torch::equal(back.anchor.at("w"), unlearned.at("w")));
  // A projection lock's state is what it always was (checkpoints of earlier runs still load).
  EXPECT_FALSE(projection.to_state().meta.contains("form"));
  EXPECT_EQ(ForgetLock::from_state(projection.to_state(), "ck.json").form, LockForm::kProjection);

  using lethe::testing::expect_input_error;
  expect_input_error([&] { projection.as_penalty(unlearned, 0.0); }, {"λ = 0"});
  expect_input_error([&] { projection.as_penalty({{"b", torch::randn({4})}}, 1.0); }, {"'w'"});
  auto bad = lock.to_state();
  bad.meta["lambda"] = -1.0;
  expect_input_error([&] { ForgetLock::from_state(bad, "ck.json"); }, {"ck.json", "λ > 0"});
  bad = lock.to_state();
  bad.tensors.erase("anchor:w");
  expect_input_error([&] { ForgetLock::from_state(bad, "ck.json"); }, {"ck.json", "no anchor", "'w'"});
  bad = lock.to_state();
  bad.meta["form"] = "glue";
  expect_input_error([&] { ForgetLock::from_state(bad, "ck.json"); }, {"ck.json", "'glue'"});
}

}  // namespace
}  // namespace lethe::fl
