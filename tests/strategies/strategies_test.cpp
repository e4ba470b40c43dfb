// The aggregation and server-optimiser maths against hand-computed values, and the registry.
#include <gtest/gtest.h>

#include <cmath>

#include "common/test_util.h"
#include "lethe/fl/aggregator.h"
#include "lethe/strategies/aggregate.h"
#include "lethe/strategies/registry.h"
#include "lethe/strategies/server_optimizer.h"

namespace lethe::strategies {
namespace {

using lethe::testing::expect_input_error;

TensorMap one(std::vector<float> v) {
  return {{"w", torch::tensor(v, torch::kFloat)}};
}
float at(const TensorMap& m, int64_t i) { return m.at("w")[i].item<float>(); }

TEST(Aggregate, WeightedAverage) {
  auto r = weighted_average({one({1, 2}), one({4, 8})}, {1.0, 2.0});
  EXPECT_FLOAT_EQ(at(r, 0), 3.0f);   // (1 + 8) / 3
  EXPECT_FLOAT_EQ(at(r, 1), 6.0f);   // (2 + 16) / 3
}

TEST(Aggregate, MedianOddAndEven) {
  auto odd = coordinate_median({one({1, 9}), one({5, -1}), one({3, 4})});
  EXPECT_FLOAT_EQ(at(odd, 0), 3.0f);
  EXPECT_FLOAT_EQ(at(odd, 1), 4.0f);
  auto even = coordinate_median({one({1}), one({2}), one({10}), one({4})});
  EXPECT_FLOAT_EQ(at(even, 0), 3.0f);  // mean of the middle two, 2 and 4
}

TEST(Aggregate, TrimmedMeanCutsFloorOfTheFractionAtEachEnd) {
  std::vector<TensorMap> u = {one({1}), one({2}), one({3}), one({4}), one({100})};
  EXPECT_FLOAT_EQ(at(trimmed_mean(u, 0.2), 0), 3.0f);    // ⌊0.2·5⌋ = 1 cut: mean(2, 3, 4)
  EXPECT_FLOAT_EQ(at(trimmed_mean(u, 0.1), 0), 22.0f);   // ⌊0.5⌋ = 0 cut: plain mean
  EXPECT_FLOAT_EQ(at(trimmed_mean(u, 0.45), 0), 3.0f);   // 2 cut each end: the median
}

TEST(Aggregate, BufferedAggregatorIgnoresWeights) {
  BufferedAggregator agg(BufferedAggregator::Rule::kMedian, 0.0);
  agg.add(0, one({1}), 100.0);
  agg.add(1, one({2}), 1.0);
  agg.add(2, one({7}), 1.0);
  EXPECT_EQ(agg.count(), 3);
  EXPECT_FLOAT_EQ(at(agg.result(), 0), 2.0f);
}

TEST(ServerOptimizer, SgdAndMomentum) {
  auto theta = one({1});
  sgd_step(theta, one({2}), 0.5);
  EXPECT_FLOAT_EQ(at(theta, 0), 2.0f);
  auto th = one({0});
  auto vel = one({0});
  momentum_step(th, vel, one({1}), 1.0, 0.9);  // v = 1, θ = 1
  momentum_step(th, vel, one({1}), 1.0, 0.9);  // v = 1.9, θ = 2.9
  EXPECT_FLOAT_EQ(at(vel, 0), 1.9f);
  EXPECT_FLOAT_EQ(at(th, 0), 2.9f);
}

// Reddi et al. 2021, Algorithm 2, re-derived on scalars over two rounds.
double reference(Adaptivity kind, const std::vector<double>& deltas, const AdaptiveParams& p) {
  double theta = 0, m = 0, v = p.tau * p.tau;
  for (double d : deltas) {
    m = p.beta1 * m + (1 - p.beta1) * d;
    const double d2 = d * d;
    if (kind == Adaptivity::kAdam) v = p.beta2 * v + (1 - p.beta2) * d2;
    if (kind == Adaptivity::kYogi) v = v - (1 - p.beta2) * d2 * (v - d2 > 0 ? 1 : (v - d2 < 0 ? -1 : 0));
    if (kind == Adaptivity::kAdagrad) v = v + d2;
    theta += p.lr * m / (std::sqrt(v) + p.tau);
  }
  return theta;
}

TEST(ServerOptimizer, AdaptiveStepsMatchTheEquations) {
  AdaptiveParams p{.lr = 0.1, .beta1 = 0.9, .beta2 = 0.99, .tau = 1e-3};
  const std::vector<double> deltas = {0.5, -0.2};
  for (auto kind : {Adaptivity::kAdam, Adaptivity::kYogi, Adaptivity::kAdagrad}) {
    TensorMap theta = {{"w", torch::zeros({1}, torch::kDouble)}}, m, v;
    initial_moments(theta, p.tau, m, v);
    for (double d : deltas)
      adaptive_step(kind, theta, m, v, {{"w", torch::full({1}, d, torch::kDouble)}}, p);
    EXPECT_NEAR(theta.at("w").item<double>(), reference(kind, deltas, p), 1e-9)
        << static_cast<int>(kind);
  }
}

TEST(Registry, EveryStrategyAndSuggestions) {
  register_builtin_strategies();
  for (const char* name : {"fedavg", "fedprox", "fedavgm", "fedadam", "fedyogi", "fedadagrad",
                           "trimmed_mean", "median"}) {
    fl::FlConfig cfg;
    cfg.strategy = name;
    EXPECT_NE(make_strategy(cfg), nullptr) << name;
  }
  fl::FlConfig cfg;
  cfg.strategy = "fedadm";
  expect_input_error([&] { make_strategy(cfg); }, {"fedadm", "fedadam"});
}

TEST(Registry, FedProxSendsMuToClients) {
  register_builtin_strategies();
  fl::FlConfig cfg;
  cfg.strategy = "fedprox";
  cfg.proximal_mu = 0.25;
  auto s = make_strategy(cfg);
  const auto ins = s->configure_fit(1, {0, 1, 2}, 7);
  ASSERT_FALSE(ins.empty());
  for (const auto& i : ins) EXPECT_DOUBLE_EQ(i.config.proximal_mu, 0.25);
  cfg.strategy = "fedavg";
  for (const auto& i : make_strategy(cfg)->configure_fit(1, {0, 1, 2}, 7))
    EXPECT_DOUBLE_EQ(i.config.proximal_mu, 0.0);
}

TEST(Registry, ServerOptimiserStateResumesExactly) {
  register_builtin_strategies();
  for (const char* name : {"fedavgm", "fedadam", "fedyogi", "fedadagrad"}) {
    fl::FlConfig cfg;
    cfg.strategy = name;
    auto round = [](fl::Strategy& s, int64_t t, const TensorMap& global, float d) {
      fl::WeightedMean agg;
      agg.add(0, one({d, -d}), 1.0);
      return s.aggregate_fit(t, global, agg);
    };
    auto whole = make_strategy(cfg);
    auto g1 = round(*whole, 1, one({0, 0}), 0.5f);
    const auto state = whole->state();
    auto g2 = round(*whole, 2, g1, -0.3f);
    auto resumed = make_strategy(cfg);
    resumed->load_state(state);
    EXPECT_TRUE(lethe::testing::identical(round(*resumed, 2, g1, -0.3f), g2)) << name;
    auto fresh = make_strategy(cfg);  // without the state the step differs
    EXPECT_FALSE(lethe::testing::identical(round(*fresh, 2, g1, -0.3f), g2)) << name;
  }
}

}  // namespace
}  // namespace lethe::strategies
