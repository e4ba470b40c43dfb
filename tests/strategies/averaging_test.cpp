// The stateless strategies (averaging.h): fedavg, fedprox, trimmed_mean, median, built by name
// as the engine builds them.
#include "lethe/strategies/averaging.h"

#include <gtest/gtest.h>

#include "lethe/strategies/registry.h"
#include "strategies/test_util.h"

namespace lethe::strategies {
namespace {

using lethe::testing::expect_input_error;
using lethe::testing::identical;
using testing::at;
using testing::one;
using testing::run_round;

std::unique_ptr<fl::Strategy> make(const std::string& name, fl::FlConfig cfg = {}) {
  cfg.strategy = name;
  return make_strategy(cfg);
}

TensorMap update(double a0, double a1, double s) {
  return {{"a", torch::tensor({a0, a1}, torch::kFloat)}, {"s", torch::tensor(s, torch::kFloat)}};
}

TEST(FedAvg, StepsByTheExampleWeightedMeanOfTheAnsweredClients) {
  fl::FlConfig cfg;
  cfg.server_lr = 0.5;
  auto s = make("fedavg", cfg);
  const auto global = update(1, 2, 10);
  // n = 1, 0, 3: the client without examples has no weight, so
  // Δ̄ = (1·(1, −2, 3) + 3·(4, 4, 0)) / 4 = (3.25, 2.5, 0.75), θ¹ = θ⁰ + 0.5·Δ̄.
  const auto next = run_round(*s, 1, global,
                              {{update(1, -2, 3), 1.0}, {update(100, 100, 100), 0.0},
                               {update(4, 4, 0), 3.0}});
  EXPECT_FLOAT_EQ(at(next, 0, "a"), 2.625);
  EXPECT_FLOAT_EQ(at(next, 1, "a"), 3.25);
  EXPECT_FLOAT_EQ(next.at("s").item<float>(), 10.375f);
  EXPECT_EQ(next.at("s").dim(), 0);
  EXPECT_TRUE(identical(global, update(1, 2, 10)));  // θ^t itself is left alone

  // η = 1 (the default): θ^t + Δ̄, McMahan et al.'s FedAvg.
  const auto plain = run_round(*make("fedavg"), 1, global, {{update(1, -2, 3), 1.0},
                                                            {update(4, 4, 0), 3.0}});
  EXPECT_FLOAT_EQ(at(plain, 0, "a"), 4.25);
  EXPECT_FLOAT_EQ(at(plain, 1, "a"), 4.5);
  EXPECT_FLOAT_EQ(plain.at("s").item<float>(), 10.75f);
}

TEST(FedAvg, IsStateless) {
  auto s = make("fedavg");
  const auto g1 = run_round(*s, 1, one({0, 0}), {{one({1, 2}), 2.0}, {one({3, 0}), 2.0}});
  EXPECT_FLOAT_EQ(at(g1, 0), 2.0);
  EXPECT_FLOAT_EQ(at(g1, 1), 1.0);
  EXPECT_TRUE(s->state().empty());
  // Round 2 depends on θ¹ and the round's updates only: a fresh strategy agrees.
  const std::vector<std::pair<TensorMap, double>> r2 = {{one({-1, 1}), 1.0}};
  EXPECT_TRUE(identical(run_round(*s, 2, g1, r2), run_round(*make("fedavg"), 2, g1, r2)));
}

TEST(FedAvg, AllClientsWithoutExamplesIsAnError) {
  auto s = make("fedavg");
  expect_input_error([&] { run_round(*s, 1, one({0}), {{one({1}), 0.0}, {one({2}), 0.0}}); },
                     {"all 2 answering clients reported 0 examples"});
}

TEST(FedProx, SendsProximalMuToEveryClientThroughTheFitConfig) {
  fl::FlConfig cfg;
  cfg.proximal_mu = 0.25;
  cfg.local_epochs = 3;
  cfg.rounds = 5;
  cfg.lr_schedule = "cosine";
  cfg.fraction_fit = 0.5;
  auto s = make("fedprox", cfg);
  for (int64_t t : {1, 5}) {
    const auto ins = s->configure_fit(t, {0, 1, 2, 3, 4, 5}, 7);
    ASSERT_EQ(ins.size(), 3u);
    for (const auto& i : ins) {
      EXPECT_DOUBLE_EQ(i.config.proximal_mu, 0.25);
      EXPECT_EQ(i.config.local_epochs, 3);                                 // the base settings
      EXPECT_DOUBLE_EQ(i.config.lr_scale, fl::round_lr_scale(cfg, t));    // are kept
    }
  }
  // The same clients as FedAvg would sample: only the local objective changes.
  const auto prox = s->configure_fit(2, {0, 1, 2, 3, 4, 5}, 7);
  const auto avg = make("fedavg", cfg)->configure_fit(2, {0, 1, 2, 3, 4, 5}, 7);
  ASSERT_EQ(prox.size(), avg.size());
  for (size_t i = 0; i < prox.size(); ++i) EXPECT_EQ(prox[i].client, avg[i].client);
}

TEST(FedProx, OnlyFedProxAsksForTheProximalTerm) {
  fl::FlConfig cfg;
  cfg.proximal_mu = 0.25;  // set, but meaningless to the others
  for (const char* name : {"fedavg", "fedavgm", "fedadam", "fedyogi", "fedadagrad",
                           "trimmed_mean", "median"})
    for (const auto& i : make(name, cfg)->configure_fit(1, {0, 1, 2}, 7))
      EXPECT_EQ(i.config.proximal_mu, 0.0) << name;
}

TEST(FedProx, AggregatesAsFedAvg) {
  fl::FlConfig cfg;
  cfg.server_lr = 0.7;
  const std::vector<std::pair<TensorMap, double>> r = {{one({1, -2}), 1.0}, {one({4, 4}), 3.0}};
  EXPECT_TRUE(identical(run_round(*make("fedprox", cfg), 1, one({1, 2}), r),
                        run_round(*make("fedavg", cfg), 1, one({1, 2}), r)));
}

TEST(TrimmedMeanStrategy, UsesTheConfiguredFractionAndIgnoresWeights) {
  fl::FlConfig cfg;
  cfg.trim_fraction = 0.25;  // ⌊0.25·4⌋ = 1 cut at each end
  cfg.server_lr = 0.5;
  auto s = make("trimmed_mean", cfg);
  const std::vector<std::pair<TensorMap, double>> r = {
      {one({1, 50}), 1000.0}, {one({2, 40}), 1.0}, {one({6, 30}), 1.0}, {one({9, 20}), 5.0}};
  // Δ̄ = ((2 + 6)/2, (30 + 40)/2) = (4, 35); θ¹ = (1, 1) + 0.5·Δ̄.
  auto next = run_round(*s, 1, one({1, 1}), r);
  EXPECT_FLOAT_EQ(at(next, 0), 3.0);
  EXPECT_FLOAT_EQ(at(next, 1), 18.5);
  EXPECT_TRUE(s->state().empty());
  // The default 0.2 cuts ⌊0.8⌋ = 0 of 4: the unweighted mean (4.5, 35).
  next = run_round(*make("trimmed_mean"), 1, one({1, 1}), r);
  EXPECT_FLOAT_EQ(at(next, 0), 5.5);
  EXPECT_FLOAT_EQ(at(next, 1), 36.0);
}

TEST(MedianStrategy, StepsByTheCoordinateMedian) {
  fl::FlConfig cfg;
  cfg.trim_fraction = 0.4;  // not the median's knob
  auto s = make("median", cfg);
  // Weights ignored; the empty client (n = 0) has no vote.
  const auto next = run_round(*s, 1, one({10, 10}), {{one({1, 4}), 50.0},
                                                     {one({0, 0}), 0.0},
                                                     {one({5, -1}), 1.0},
                                                     {one({3, 9}), 1.0}});
  EXPECT_FLOAT_EQ(at(next, 0), 13.0);
  EXPECT_FLOAT_EQ(at(next, 1), 14.0);
  EXPECT_TRUE(s->state().empty());
}

TEST(AveragingStrategies, EachRoundGetsAFreshAggregator) {
  for (const char* name : {"fedavg", "fedprox", "trimmed_mean", "median"}) {
    auto s = make(name);
    auto a1 = s->make_aggregator(1);
    a1->add(0, one({1}), 1.0);
    EXPECT_EQ(a1->count(), 1) << name;
    EXPECT_EQ(s->make_aggregator(2)->count(), 0) << name;
  }
}

TEST(AveragingStrategies, RejectServerState) {
  for (const char* name : {"fedavg", "fedprox", "trimmed_mean", "median"}) {
    auto s = make(name);
    s->load_state({});  // an empty blob is what they checkpoint
    expect_input_error([&] { s->load_state({{{"m/w", torch::zeros({1})}}, {}}); },
                       {std::string("strategy '") + name + "'", "no server state"});
  }
}

}  // namespace
}  // namespace lethe::strategies
