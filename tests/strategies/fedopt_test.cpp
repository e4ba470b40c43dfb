// FedAdam / FedYogi / FedAdagrad (fedopt.h) as strategies: the [fl] keys they read, their
// moments over rounds against the scalar equations, and their server state.
#include "lethe/strategies/fedopt.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "lethe/strategies/registry.h"
#include "strategies/test_util.h"

namespace lethe::strategies {
namespace {

using lethe::testing::expect_input_error;
using lethe::testing::identical;
using testing::adaptive_reference;
using testing::at;
using testing::one;
using testing::run_round;

struct Named {
  const char* name;
  Adaptivity kind;
};
constexpr Named kFedOpt[] = {{"fedadam", Adaptivity::kAdam},
                             {"fedyogi", Adaptivity::kYogi},
                             {"fedadagrad", Adaptivity::kAdagrad}};

fl::FlConfig adaptive_config(const std::string& strategy) {
  fl::FlConfig cfg;
  cfg.strategy = strategy;
  cfg.adaptive_lr = 0.5;  // η
  cfg.beta1 = 0.9;
  cfg.beta2 = 0.99;
  cfg.tau = 0.1;
  cfg.server_lr = 7.0;        // FedAvg's η: not read by these
  cfg.server_momentum = 0.5;  // FedAvgM's β: not read either
  return cfg;
}

// Two clients with n = 1 and 3 whose example-weighted mean is exactly `mean`:
// (1·(Δ̄ + 3e) + 3·(Δ̄ − e)) / 4 = Δ̄.
std::vector<std::pair<TensorMap, double>> clients_averaging_to(const std::vector<double>& mean) {
  const std::vector<double> e = {1.0, -1.0, 2.0};
  std::vector<double> a, b;
  for (size_t i = 0; i < mean.size(); ++i) {
    a.push_back(mean[i] + 3 * e[i]);
    b.push_back(mean[i] - e[i]);
  }
  return {{one(a, torch::kDouble), 1.0}, {one(b, torch::kDouble), 3.0}};
}

// Per coordinate: Δ̄ = 0.5 then −0.06 (Yogi's sign flips between the rounds), 0 then 0.3 (m
// starts moving in round 2), −0.2 twice.
TEST(FedOpt, TwoRoundsMatchTheEquationsWithTheConfiguredKeys) {
  const std::vector<std::vector<double>> means = {{0.5, 0.0, -0.2}, {-0.06, 0.3, -0.2}};
  const std::vector<double> theta0 = {0.0, 1.0, -1.0};
  for (const auto& [name, kind] : kFedOpt) {
    SCOPED_TRACE(name);
    const auto cfg = adaptive_config(name);
    const AdaptiveParams p{cfg.adaptive_lr, cfg.beta1, cfg.beta2, cfg.tau};
    auto s = make_strategy(cfg);
    EXPECT_EQ(s->name(), name);
    EXPECT_TRUE(s->state().empty());
    auto theta = one(theta0, torch::kDouble);
    for (size_t t = 0; t < means.size(); ++t) {
      theta = run_round(*s, int64_t(t + 1), theta, clients_averaging_to(means[t]));
      const auto st = s->state();
      ASSERT_EQ(st.tensors.size(), 2u);
      for (size_t i = 0; i < theta0.size(); ++i) {
        std::vector<double> deltas;
        for (size_t r = 0; r <= t; ++r) deltas.push_back(means[r][i]);
        const auto want = adaptive_reference(kind, theta0[i], deltas, p);
        SCOPED_TRACE("round " + std::to_string(t + 1) + " coordinate " + std::to_string(i));
        EXPECT_NEAR(at(theta, int64_t(i)), want.theta, 1e-12);
        EXPECT_NEAR(at(st.tensors, int64_t(i), "m/w"), want.m, 1e-12);
        EXPECT_NEAR(at(st.tensors, int64_t(i), "v/w"), want.v, 1e-12);
      }
    }
  }
}

TEST(FedOpt, HandValuesForFedAdamOnOneCoordinate) {
  // The first coordinate above by hand, FedAdam:
  //   m¹ = 0.05, v¹ = 0.99·0.01 + 0.01·0.25 = 0.0124, θ¹ = 0.5·0.05/(√0.0124 + 0.1);
  //   m² = 0.039, v² = 0.012312, θ² = θ¹ + 0.5·0.039/(√0.012312 + 0.1).
  auto s = make_strategy(adaptive_config("fedadam"));
  auto theta =
      run_round(*s, 1, one({0, 1, -1}, torch::kDouble), clients_averaging_to({0.5, 0, -0.2}));
  const double theta1 = 0.5 * 0.05 / (std::sqrt(0.0124) + 0.1);
  EXPECT_NEAR(at(theta, 0), theta1, 1e-12);
  theta = run_round(*s, 2, theta, clients_averaging_to({-0.06, 0.3, -0.2}));
  EXPECT_NEAR(at(theta, 0), theta1 + 0.5 * 0.039 / (std::sqrt(0.012312) + 0.1), 1e-12);
  EXPECT_NEAR(at(s->state().tensors, 0, "m/w"), 0.039, 1e-12);
  EXPECT_NEAR(at(s->state().tensors, 0, "v/w"), 0.012312, 1e-12);
  // Coordinate 2 saw Δ̄ = 0 in round 1: no step yet (m = 0), and v still τ² under Adam's decay.
  auto fresh = make_strategy(adaptive_config("fedadam"));
  const auto g1 = run_round(*fresh, 1, one({0, 1, -1}, torch::kDouble),
                            clients_averaging_to({0.5, 0, -0.2}));
  EXPECT_NEAR(at(g1, 1), 1.0, 1e-15);
  EXPECT_NEAR(at(fresh->state().tensors, 1, "v/w"), 0.99 * 0.01, 1e-15);
}

TEST(FedOpt, StateNamesTheMomentsAfterTheParameters) {
  for (const auto& [name, kind] : kFedOpt) {
    auto s = make_strategy(adaptive_config(name));
    const TensorMap global = {{"blk.w", torch::zeros({2, 2})}, {"s", torch::zeros({})}};
    run_round(*s, 1, global, {{{{"blk.w", torch::ones({2, 2})}, {"s", torch::ones({})}}, 1.0}});
    std::set<std::string> names;
    for (const auto& [n, t] : s->state().tensors) names.insert(n);
    EXPECT_EQ(names, (std::set<std::string>{"m/blk.w", "m/s", "v/blk.w", "v/s"})) << name;
    EXPECT_EQ(s->state().tensors.at("v/s").dim(), 0) << name;
  }
}

TEST(FedOpt, ResumesExactly) {
  for (const auto& [name, kind] : kFedOpt)
    testing::expect_exact_resume(adaptive_config(name),
                                 lethe::testing::test_temp_dir("strategies").string() + "/" + name);
}

TEST(FedOpt, AnEmptyStateIsAFreshStart) {
  auto s = make_strategy(adaptive_config("fedyogi"));
  s->load_state({});
  const auto r = clients_averaging_to({0.5, 0, -0.2});
  EXPECT_TRUE(identical(run_round(*s, 1, one({0, 1, -1}, torch::kDouble), r),
                        run_round(*make_strategy(adaptive_config("fedyogi")), 1,
                                  one({0, 1, -1}, torch::kDouble), r)));
}

TEST(FedOpt, RejectsMalformedState) {
  auto s = make_strategy(adaptive_config("fedadam"));
  expect_input_error(
      [&] { s->load_state({{{"m/w", torch::zeros({1})}, {"x/w", torch::zeros({1})}}, {}}); },
      {"strategy 'fedadam'", "unexpected server-state tensor 'x/w'"});
  expect_input_error([&] { s->load_state({{{"m/w", torch::zeros({1})}}, {}}); },
                     {"strategy 'fedadam' server state (m vs v)", "'w'"});
  expect_input_error(
      [&] { s->load_state({{{"m/w", torch::zeros({1})}, {"v/w", torch::zeros({2})}}, {}}); },
      {"(m vs v)", "shape [1] vs [2]"});
  // A well-formed state for another model is caught at the next round.
  s->load_state({{{"m/u", torch::zeros({1})}, {"v/u", torch::ones({1})}}, {}});
  expect_input_error([&] { run_round(*s, 1, one({0}), {{one({1}), 1.0}}); },
                     {"server optimiser"});
}

}  // namespace
}  // namespace lethe::strategies
