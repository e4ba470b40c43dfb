// FedAvgM (fedavgm.h): server momentum on FedAvg's weighted mean, over rounds and resumes.
#include "lethe/strategies/fedavgm.h"

#include <gtest/gtest.h>

#include "lethe/strategies/registry.h"
#include "strategies/test_util.h"

namespace lethe::strategies {
namespace {

using lethe::testing::identical;
using testing::at;
using testing::one;
using testing::run_round;

fl::FlConfig momentum_config(const std::string& strategy) {
  fl::FlConfig cfg;
  cfg.strategy = strategy;
  cfg.server_lr = 0.5;        // η
  cfg.server_momentum = 0.9;  // β
  return cfg;
}

TEST(FedAvgM, TwoRoundsByHand) {
  auto s = make_strategy(momentum_config("fedavgm"));
  EXPECT_EQ(s->name(), "fedavgm");
  EXPECT_TRUE(s->state().empty());  // no velocity before the first round
  // Round 1: Δ̄ = (1·(1, −2) + 3·(4, 4)) / 4 = (3.25, 2.5); v¹ = Δ̄;
  // θ¹ = (1, 2) + 0.5·v¹ = (2.625, 3.25).
  const auto g1 = run_round(*s, 1, one({1, 2}), {{one({1, -2}), 1.0}, {one({4, 4}), 3.0}});
  EXPECT_FLOAT_EQ(at(g1, 0), 2.625);
  EXPECT_FLOAT_EQ(at(g1, 1), 3.25);
  auto st = s->state();
  ASSERT_EQ(st.tensors.size(), 1u);  // the velocity, under the parameter's name
  EXPECT_FLOAT_EQ(at(st.tensors, 0), 3.25);
  EXPECT_FLOAT_EQ(at(st.tensors, 1), 2.5);
  // Round 2: Δ̄ = ((2, 0) + (−2, 4)) / 2 = (0, 2); v² = 0.9·v¹ + Δ̄ = (2.925, 4.25);
  // θ² = θ¹ + 0.5·v² = (4.0875, 5.375).
  const auto g2 = run_round(*s, 2, g1, {{one({2, 0}), 1.0}, {one({-2, 4}), 1.0}});
  EXPECT_FLOAT_EQ(at(g2, 0), 4.0875);
  EXPECT_FLOAT_EQ(at(g2, 1), 5.375);
  st = s->state();
  EXPECT_FLOAT_EQ(at(st.tensors, 0), 2.925);
  EXPECT_FLOAT_EQ(at(st.tensors, 1), 4.25);
  // FedAvg with the same η would stop at θ¹ + 0.5·(0, 2) = (2.625, 4.25): momentum carried
  // round 1's direction on.
  auto avg = make_strategy(momentum_config("fedavg"));
  const auto a2 = run_round(*avg, 2, g1, {{one({2, 0}), 1.0}, {one({-2, 4}), 1.0}});
  EXPECT_FLOAT_EQ(at(a2, 0), 2.625);
  EXPECT_FLOAT_EQ(at(a2, 1), 4.25);
}

TEST(FedAvgM, NesterovTwoRoundsByHand) {
  auto cfg = momentum_config("fedavgm");
  cfg.server_nesterov = true;
  auto s = make_strategy(cfg);
  // Round 1: v¹ = Δ̄ = (3.25, 2.5); θ¹ = (1, 2) + 0.5·(Δ̄ + 0.9·v¹) = (4.0875, 4.375).
  const auto g1 = run_round(*s, 1, one({1, 2}), {{one({1, -2}), 1.0}, {one({4, 4}), 3.0}});
  EXPECT_FLOAT_EQ(at(g1, 0), 4.0875);
  EXPECT_FLOAT_EQ(at(g1, 1), 4.375);
  // Round 2: Δ̄ = (0, 2); v² = (2.925, 4.25); θ² = θ¹ + 0.5·((0, 2) + 0.9·v²)
  //        = (4.0875 + 1.31625, 4.375 + 2.9125).
  const auto g2 = run_round(*s, 2, g1, {{one({2, 0}), 1.0}, {one({-2, 4}), 1.0}});
  EXPECT_FLOAT_EQ(at(g2, 0), 5.40375);
  EXPECT_FLOAT_EQ(at(g2, 1), 7.2875);
}

TEST(FedAvgM, FirstRoundEqualsFedAvg) {
  // v starts at zero, so round 1 is FedAvg with the same η whatever β is.
  const std::vector<std::pair<TensorMap, double>> r = {{one({1, -2}), 2.0}, {one({0.5, 4}), 5.0}};
  EXPECT_TRUE(identical(run_round(*make_strategy(momentum_config("fedavgm")), 1, one({1, 2}), r),
                        run_round(*make_strategy(momentum_config("fedavg")), 1, one({1, 2}), r)));
}

TEST(FedAvgM, ZeroMomentumIsFedAvgInEveryRound) {
  auto cfg = momentum_config("fedavgm");
  cfg.server_momentum = 0.0;
  auto m = make_strategy(cfg);
  cfg.strategy = "fedavg";
  auto a = make_strategy(cfg);
  auto gm = one({1, 2}), ga = one({1, 2});
  for (int64_t t = 1; t <= 3; ++t) {
    const std::vector<std::pair<TensorMap, double>> r = {{one({double(t), -1}), 1.0},
                                                         {one({1, double(t)}), 2.0}};
    gm = run_round(*m, t, gm, r);
    ga = run_round(*a, t, ga, r);
  }
  EXPECT_TRUE(torch::allclose(gm.at("w"), ga.at("w")));
}

TEST(FedAvgM, ResumesExactly) {
  testing::expect_exact_resume(momentum_config("fedavgm"),
                               lethe::testing::test_temp_dir("strategies").string());
}

TEST(FedAvgM, AnEmptyStateIsAFreshStart) {
  auto s = make_strategy(momentum_config("fedavgm"));
  s->load_state({});
  const std::vector<std::pair<TensorMap, double>> r = {{one({1, -2}), 1.0}};
  EXPECT_TRUE(identical(run_round(*s, 1, one({0, 0}), r),
                        run_round(*make_strategy(momentum_config("fedavgm")), 1, one({0, 0}), r)));
}

}  // namespace
}  // namespace lethe::strategies
