// The stateless strategies (averaging.h): fedavg, fedprox, trimmed_mean, median, built by name
// as the engine builds them.
#include "lethe/strategies/averaging.h"

#include <gtest/gtest.h>

#include "fl/toy_client.h"
#include "lethe/fl/federation.h"
#include "lethe/fl/simulation.h"
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

// Subtler poisoning than the screening catches (docs/reliability.md): client 0 of seven sends
// −λ× its honest update every round, an update of ordinary size. Under FedAvg the model's loss
// on the honest clients' data grows with λ; the robust rules bound the attacker's influence.
TEST(AveragingStrategies, RobustRulesContainASignFlippingClient) {
  const auto dir = lethe::testing::test_temp_dir("strategies");
  // Mean loss on clients 1-6's data of the model `name` ends with when client 0 flips by λ
  // (λ = -1: it is honest).
  auto loss = [&](const std::string& name, double lambda) {
    fl::FlConfig cfg;
    cfg.strategy = name;
    cfg.clients = 7;
    cfg.rounds = 6;
    cfg.trim_fraction = 0.2;  // one value cut at each end of seven
    cfg.history_every = 0;
    cfg.sketch_max_rank = 0;
    fl::testing::ToyClient client;
    auto strategy = make_strategy(cfg);
    fl::SimulationTransport transport(client, cfg, 11);
    transport.set_answer_hook([lambda](int64_t, int64_t c, fl::FitRes& res) {
      if (c == 0)
        for (auto& [n, u] : res.update) u.mul_(-lambda);
    });
    fl::Federation fed(cfg, *strategy, transport, cfg.clients,
                       (dir / fmt::format("{}_{}", name, lambda)).string(), 11);
    fed.start(client.initial());
    fed.run();
    double sum = 0;
    for (int64_t k = 1; k < 7; ++k) sum += client.evaluate(k, {fed.global(), 6}).loss;
    return sum / 6;
  };
  // Measured: FedAvg 1.42x its honest loss at λ = 3 and 252x at λ = 30; trimmed mean 1.06x and
  // 1.00x; median 1.05x and 1.05x.
  const double fedavg = loss("fedavg", -1);
  EXPECT_GT(loss("fedavg", 3) / fedavg, 1.25);
  EXPECT_GT(loss("fedavg", 30) / fedavg, 20.0);
  for (const char* name : {"trimmed_mean", "median"}) {
    const double honest = loss(name, -1);
    for (double lambda : {3.0, 30.0}) EXPECT_LT(loss(name, lambda) / honest, 1.15) << name << " λ = " << lambda;
  }
}

}  // namespace
}  // namespace lethe::strategies
