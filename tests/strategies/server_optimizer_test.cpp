// Server optimiser steps (server_optimizer.h) against hand-computed values and a scalar
// re-derivation of METHODS.md §1 / Reddi et al. 2021, Algorithm 2.
#include "lethe/strategies/server_optimizer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "strategies/test_util.h"

namespace lethe::strategies {
namespace {

using lethe::testing::expect_input_error;
using testing::adaptive_reference;
using testing::at;
using testing::kind_name;
using testing::one;

constexpr Adaptivity kAll[] = {Adaptivity::kAdam, Adaptivity::kYogi, Adaptivity::kAdagrad};

TEST(SgdStep, MovesByTheServerLearningRateTimesTheUpdate) {
  auto theta = one({1, -1});
  sgd_step(theta, one({2, 4}), 0.5);
  EXPECT_FLOAT_EQ(at(theta, 0), 2.0);
  EXPECT_FLOAT_EQ(at(theta, 1), 1.0);
  sgd_step(theta, one({2, 4}), 1.0);  // η = 1: plain averaging
  EXPECT_FLOAT_EQ(at(theta, 0), 4.0);
  EXPECT_FLOAT_EQ(at(theta, 1), 5.0);
}

TEST(MomentumStep, TwoRoundsByHand) {
  // η = 0.5, β = 0.9, θ⁰ = (1, 2), v⁰ = 0.
  auto theta = one({1, 2});
  auto vel = one({0, 0});
  // Round 1, Δ̄ = (3.25, 2.5): v¹ = Δ̄; θ¹ = θ⁰ + 0.5·v¹ = (2.625, 3.25).
  momentum_step(theta, vel, one({3.25, 2.5}), 0.5, 0.9);
  EXPECT_FLOAT_EQ(at(vel, 0), 3.25);
  EXPECT_FLOAT_EQ(at(vel, 1), 2.5);
  EXPECT_FLOAT_EQ(at(theta, 0), 2.625);
  EXPECT_FLOAT_EQ(at(theta, 1), 3.25);
  // Round 2, Δ̄ = (0, 2): v² = 0.9·v¹ + Δ̄ = (2.925, 4.25); θ² = θ¹ + 0.5·v² = (4.0875, 5.375).
  momentum_step(theta, vel, one({0, 2}), 0.5, 0.9);
  EXPECT_FLOAT_EQ(at(vel, 0), 2.925);
  EXPECT_FLOAT_EQ(at(vel, 1), 4.25);
  EXPECT_FLOAT_EQ(at(theta, 0), 4.0875);
  EXPECT_FLOAT_EQ(at(theta, 1), 5.375);
}

TEST(MomentumStep, ZeroMomentumIsSgd) {
  auto a = one({1, 2}), b = one({1, 2}), vel = one({0, 0});
  for (double d : {0.5, -3.0}) {
    momentum_step(a, vel, one({d, 2 * d}), 0.7, 0.0);
    sgd_step(b, one({d, 2 * d}), 0.7);
  }
  EXPECT_TRUE(torch::allclose(a.at("w"), b.at("w")));
}

TEST(MomentumStep, RejectsAVelocityOfAnotherLayout) {
  auto theta = one({1, 2});
  auto vel = one({0});
  expect_input_error([&] { momentum_step(theta, vel, one({1, 1}), 1.0, 0.9); },
                     {"server momentum", "'w'"});
}

TEST(InitialMoments, FirstMomentZeroSecondMomentTauSquared) {
  const TensorMap like = {{"a", torch::randn({2, 3})},
                          {"s", torch::tensor(4.0, torch::kDouble)}};
  TensorMap m, v = {{"stale", torch::ones({1})}};
  initial_moments(like, 0.1, m, v);
  lethe::check_same_layout(m, like, "m");
  lethe::check_same_layout(v, like, "v");  // also: nothing stale left over
  EXPECT_EQ(m.at("a").abs().sum().item<double>(), 0.0);
  EXPECT_TRUE(torch::equal(v.at("a"), torch::full({2, 3}, 0.1 * 0.1, torch::kFloat)));
  EXPECT_EQ(v.at("s").item<double>(), 0.1 * 0.1);
}

// Two rounds on one coordinate, θ⁰ = 0, η = 0.5, β1 = 0.9, β2 = 0.99, τ = 0.1 (v₋₁ = τ² = 0.01).
// Round 1, Δ̄ = 0.5 (Δ̄² = 0.25):  m = 0.1·0.5 = 0.05
//   Adam     v = 0.99·0.01 + 0.01·0.25 = 0.0124
//   Yogi     v = 0.01 − 0.01·0.25·sign(0.01 − 0.25) = 0.0125
//   Adagrad  v = 0.01 + 0.25 = 0.26
// Round 2, Δ̄ = −0.06 (Δ̄² = 0.0036):  m = 0.9·0.05 + 0.1·(−0.06) = 0.039
//   Adam     v = 0.99·0.0124 + 0.01·0.0036 = 0.012312
//   Yogi     v = 0.0125 − 0.01·0.0036·sign(0.0125 − 0.0036) = 0.012464   (the other branch)
//   Adagrad  v = 0.26 + 0.0036 = 0.2636
// and θ advances by η·m / (√v + τ) each round.
TEST(AdaptiveStep, TwoRoundsByHand) {
  const AdaptiveParams p{.lr = 0.5, .beta1 = 0.9, .beta2 = 0.99, .tau = 0.1};
  struct Want {
    Adaptivity kind;
    double v1, v2;
  };
  for (const auto& w : {Want{Adaptivity::kAdam, 0.0124, 0.012312},
                        Want{Adaptivity::kYogi, 0.0125, 0.012464},
                        Want{Adaptivity::kAdagrad, 0.26, 0.2636}}) {
    SCOPED_TRACE(kind_name(w.kind));
    auto theta = one({0}, torch::kDouble);
    TensorMap m, v;
    initial_moments(theta, p.tau, m, v);
    adaptive_step(w.kind, theta, m, v, one({0.5}, torch::kDouble), p);
    const double theta1 = 0.5 * 0.05 / (std::sqrt(w.v1) + 0.1);
    EXPECT_NEAR(at(m, 0), 0.05, 1e-15);
    EXPECT_NEAR(at(v, 0), w.v1, 1e-15);
    EXPECT_NEAR(at(theta, 0), theta1, 1e-14);
    adaptive_step(w.kind, theta, m, v, one({-0.06}, torch::kDouble), p);
    EXPECT_NEAR(at(m, 0), 0.039, 1e-15);
    EXPECT_NEAR(at(v, 0), w.v2, 1e-15);
    EXPECT_NEAR(at(theta, 0), theta1 + 0.5 * 0.039 / (std::sqrt(w.v2) + 0.1), 1e-14);
  }
}

TEST(AdaptiveStep, YogiLeavesVWhereItEqualsTheSquaredUpdate) {
  // sign(0) = 0: with v = τ² = Δ̄² the second moment does not move; Adam's does.
  const AdaptiveParams p{.lr = 1.0, .beta1 = 0.9, .beta2 = 0.99, .tau = 0.1};
  auto theta = one({0}, torch::kDouble);
  TensorMap m, v;
  initial_moments(theta, p.tau, m, v);
  adaptive_step(Adaptivity::kYogi, theta, m, v, one({0.1}, torch::kDouble), p);
  EXPECT_EQ(at(v, 0), 0.1 * 0.1);
}

// Several coordinates with different histories (zero, sign changes, large and tiny updates)
// over three rounds, each checked against the scalar re-derivation.
TEST(AdaptiveStep, EveryCoordinateMatchesTheScalarEquations) {
  const std::vector<std::vector<double>> per_round = {
      {0.5, 0.0, -2.0, 1e-4, 0.1},
      {-0.2, 0.3, -2.0, 1e-4, -0.05},
      {0.01, -0.3, 1.5, 3.0, 0.0}};
  const std::vector<double> theta0 = {1.0, -1.0, 0.0, 0.25, 2.0};
  for (double tau : {1e-3, 0.1}) {
    const AdaptiveParams p{.lr = 0.3, .beta1 = 0.8, .beta2 = 0.95, .tau = tau};
    for (auto kind : kAll) {
      SCOPED_TRACE(std::string(kind_name(kind)) + " tau " + std::to_string(tau));
      auto theta = one(theta0, torch::kDouble);
      TensorMap m, v;
      initial_moments(theta, p.tau, m, v);
      for (const auto& d : per_round) adaptive_step(kind, theta, m, v, one(d, torch::kDouble), p);
      for (size_t i = 0; i < theta0.size(); ++i) {
        std::vector<double> deltas;
        for (const auto& d : per_round) deltas.push_back(d[i]);
        const auto want = adaptive_reference(kind, theta0[i], deltas, p);
        EXPECT_NEAR(at(theta, int64_t(i)), want.theta, 1e-12) << "coordinate " << i;
        EXPECT_NEAR(at(m, int64_t(i)), want.m, 1e-12) << "coordinate " << i;
        EXPECT_NEAR(at(v, int64_t(i)), want.v, 1e-12) << "coordinate " << i;
      }
    }
  }
}

TEST(AdaptiveStep, FloatParametersKeepTheirDtype) {
  const AdaptiveParams p{.lr = 0.1, .beta1 = 0.9, .beta2 = 0.99, .tau = 1e-3};
  for (auto kind : kAll) {
    auto theta = one({0.0, 1.0});
    TensorMap m, v;
    initial_moments(theta, p.tau, m, v);
    adaptive_step(kind, theta, m, v, one({0.5, -0.2}), p);
    adaptive_step(kind, theta, m, v, one({-0.2, 0.4}), p);
    for (const auto* map : {&theta, &m, &v}) EXPECT_EQ(map->at("w").scalar_type(), torch::kFloat);
    EXPECT_NEAR(at(theta, 0), adaptive_reference(kind, 0.0, {0.5, -0.2}, p).theta, 1e-5);
    EXPECT_NEAR(at(theta, 1), adaptive_reference(kind, 1.0, {-0.2, 0.4}, p).theta, 1e-5);
  }
}

TEST(AdaptiveStep, TheThreeRulesDiffer) {
  const AdaptiveParams p{.lr = 0.5, .beta1 = 0.9, .beta2 = 0.99, .tau = 0.1};
  std::vector<double> out;
  for (auto kind : kAll) {
    auto theta = one({0}, torch::kDouble);
    TensorMap m, v;
    initial_moments(theta, p.tau, m, v);
    for (double d : {0.5, -0.06}) adaptive_step(kind, theta, m, v, one({d}, torch::kDouble), p);
    out.push_back(at(theta, 0));
  }
  EXPECT_GT(std::abs(out[0] - out[1]), 1e-4);
  EXPECT_GT(std::abs(out[0] - out[2]), 1e-2);
  EXPECT_GT(std::abs(out[1] - out[2]), 1e-2);
}

TEST(AdaptiveStep, RejectsMomentsOfAnotherLayout) {
  const AdaptiveParams p;
  auto theta = one({0, 0});
  TensorMap m, v;
  initial_moments(theta, p.tau, m, v);
  auto short_m = one({0});
  expect_input_error(
      [&] { adaptive_step(Adaptivity::kAdam, theta, short_m, v, one({1, 1}), p); },
      {"server optimiser first moment"});
  expect_input_error([&] { adaptive_step(Adaptivity::kAdam, theta, m, v, one({1}), p); },
                     {"server optimiser update"});
}

}  // namespace
}  // namespace lethe::strategies
