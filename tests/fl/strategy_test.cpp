#include "lethe/fl/strategy.h"

#include <gtest/gtest.h>

#include "fl/test_util.h"
#include "fl/toy_client.h"
#include "lethe/fl/sampling.h"

namespace lethe::fl {
namespace {

using testing::MeanStrategy;

std::vector<int64_t> range(int64_t n) {
  std::vector<int64_t> v;
  for (int64_t i = 0; i < n; ++i) v.push_back(i);
  return v;
}

TEST(Strategy, ConfigureFitSamplesWithTheConfiguredSize) {
  FlConfig cfg;
  cfg.fraction_fit = 0.3;
  cfg.local_epochs = 3;
  MeanStrategy s(cfg);
  const auto ins = s.configure_fit(4, range(10), 77);
  ASSERT_EQ(ins.size(), 3u);
  const auto expected = sample_clients(77, 4, range(10), 3);
  for (size_t i = 0; i < ins.size(); ++i) {
    EXPECT_EQ(ins[i].client, expected[i]);
    EXPECT_EQ(ins[i].config.local_epochs, 3);
    EXPECT_EQ(ins[i].config.proximal_mu, 0.0);
  }
  cfg.clients_per_round = 6;
  EXPECT_EQ(MeanStrategy(cfg).configure_fit(4, range(10), 77).size(), 6u);
}

TEST(Strategy, ClientLearningRateOverRounds) {
  FlConfig cfg;
  cfg.rounds = 5;
  EXPECT_EQ(round_lr_scale(cfg, 3), 1.0);  // constant by default
  cfg.lr_schedule = "cosine";
  cfg.lr_min_ratio = 0.1;
  EXPECT_DOUBLE_EQ(round_lr_scale(cfg, 1), 1.0);
  EXPECT_DOUBLE_EQ(round_lr_scale(cfg, 3), 0.1 + 0.9 * 0.5);  // half-way: the midpoint
  EXPECT_DOUBLE_EQ(round_lr_scale(cfg, 5), 0.1);
  EXPECT_GT(round_lr_scale(cfg, 2), round_lr_scale(cfg, 3));
  MeanStrategy s(cfg);
  EXPECT_DOUBLE_EQ(s.configure_fit(5, range(4), 1).at(0).config.lr_scale, 0.1);
}

TEST(Strategy, ConfigureEvaluate) {
  FlConfig cfg;
  cfg.fraction_evaluate = 0;
  EXPECT_TRUE(MeanStrategy(cfg).configure_evaluate(1, range(10), 1).empty());
  cfg.fraction_evaluate = 0.5;
  EXPECT_EQ(MeanStrategy(cfg).configure_evaluate(1, range(10), 1),
            sample_clients(1, 1, range(10), 5, Stream::kEval));
}

TEST(Strategy, AggregateEvaluateWeightsByExamples) {
  MeanStrategy s{FlConfig{}};
  std::vector<std::pair<int64_t, EvaluateRes>> res(3);
  res[0] = {0, {1, 2.0, {{"r1", 10.0}}}};
  res[1] = {1, {3, 4.0, {{"r1", 30.0}}}};
  res[2] = {2, {0, 99.0, {{"r1", 99.0}}}};  // no examples: left out
  const auto agg = s.aggregate_evaluate(1, res);
  EXPECT_DOUBLE_EQ(agg.at("loss"), 3.5);
  EXPECT_DOUBLE_EQ(agg.at("r1"), 25.0);
  EXPECT_DOUBLE_EQ(agg.at("clients"), 2.0);
  EXPECT_DOUBLE_EQ(agg.at("num_examples"), 4.0);
}

TEST(Strategy, StatelessStrategiesRejectState) {
  MeanStrategy s{FlConfig{}};
  EXPECT_TRUE(s.state().empty());
  s.load_state({});
  lethe::testing::expect_input_error(
      [&] { s.load_state({{{"m/w", torch::zeros({1})}}, {}}); },
      {"strategy 'mean'", "no server state", "1 tensors"});
}

}  // namespace
}  // namespace lethe::fl
