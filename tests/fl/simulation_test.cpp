#include "lethe/fl/simulation.h"

#include <gtest/gtest.h>

#include "fl/test_util.h"
#include "fl/toy_client.h"
#include "lethe/fl/sampling.h"

namespace lethe::fl {
namespace {

using testing::ToyClient;

std::vector<FitInstruction> instructions(std::vector<int64_t> clients) {
  std::vector<FitInstruction> out;
  for (int64_t c : clients) out.push_back({c, FitConfig{}});
  return out;
}

struct Collected {
  std::vector<int64_t> order;
  std::vector<int64_t> steps;
};

TEST(SimulationTransport, AnswersInAscendingClientOrder) {
  ToyClient client;
  FlConfig cfg;
  SimulationTransport t(client, cfg, 1);
  Collected got;
  const auto global = client.initial();
  const auto reports = t.fit(1, global, instructions({5, 0, 3}), {}, [&](int64_t c, FitRes& r) {
    got.order.push_back(c);
    EXPECT_EQ(r.num_examples, client.examples(c));
    EXPECT_TRUE(r.update.count("weight"));
  });
  EXPECT_EQ(got.order, (std::vector<int64_t>{0, 3, 5}));
  ASSERT_EQ(reports.size(), 3u);
  EXPECT_EQ(reports[0].client, 5);  // reports follow the instructions
  for (const auto& r : reports) {
    EXPECT_EQ(r.outcome, Outcome::kAnswered);
    // ⌈n/4⌉ steps of 0.05 s for client c with n = 6 + c % 5 examples.
    EXPECT_DOUBLE_EQ(r.response_s, 0.05 * double((client.examples(r.client) + 3) / 4));
  }
}

TEST(SimulationTransport, FailedClientsNeverTrain) {
  ToyClient client;
  std::vector<int64_t> trained;
  client.before_fit = [&](int64_t c, int64_t) { trained.push_back(c); };
  FlConfig cfg;
  cfg.failure_rate = 0.5;
  SimulationTransport t(client, cfg, 9);
  std::vector<int64_t> all(20), expect_trained;
  for (int64_t c = 0; c < 20; ++c) {
    all[c] = c;
    if (draw_fault(9, 2, c, 0.5, 0.0) != Fault::kFailure) expect_trained.push_back(c);
  }
  ASSERT_GT(expect_trained.size(), 0u);
  ASSERT_LT(expect_trained.size(), 20u);
  int64_t answers = 0;
  const auto reports = t.fit(2, client.initial(), instructions(all), {}, [&](int64_t, FitRes&) { ++answers; });
  EXPECT_EQ(trained, expect_trained);
  EXPECT_EQ(answers, static_cast<int64_t>(expect_trained.size()));
  for (const auto& r : reports)
    if (r.outcome == Outcome::kFailed) EXPECT_EQ(r.response_s, 0.0);
}

TEST(SimulationTransport, StragglersMissTheDeadline) {
  ToyClient client;
  FlConfig cfg;
  cfg.straggler_rate = 0.5;
  cfg.sim_step_s = 1.0;
  cfg.straggler_slowdown = 10;
  std::vector<int64_t> all(20);
  for (int64_t c = 0; c < 20; ++c) all[c] = c;
  const auto global = client.initial();
  // Without a deadline stragglers answer, slowly.
  {
    SimulationTransport t(client, cfg, 4);
    int64_t answers = 0;
    for (const auto& r : t.fit(1, global, instructions(all), {}, [&](int64_t, FitRes&) { ++answers; })) {
      const bool straggler = draw_fault(4, 1, r.client, 0, 0.5) == Fault::kStraggler;
      EXPECT_EQ(r.outcome, Outcome::kAnswered);
      EXPECT_DOUBLE_EQ(r.response_s, (straggler ? 10.0 : 1.0) * ((client.examples(r.client) + 3) / 4));
    }
    EXPECT_EQ(answers, 20);
  }
  // A 5 s deadline: normal clients take 2–3 s, stragglers 20–30 s.
  cfg.deadline_s = 5;
  SimulationTransport t(client, cfg, 4);
  std::vector<int64_t> answered;
  const auto reports = t.fit(1, global, instructions(all), {}, [&](int64_t c, FitRes&) { answered.push_back(c); });
  int64_t late = 0;
  for (const auto& r : reports) {
    const bool straggler = draw_fault(4, 1, r.client, 0, 0.5) == Fault::kStraggler;
    EXPECT_EQ(r.outcome, straggler ? Outcome::kLate : Outcome::kAnswered) << r.client;
    late += straggler;
  }
  EXPECT_GT(late, 0);
  EXPECT_EQ(static_cast<int64_t>(answered.size()), 20 - late);
}

TEST(SimulationTransport, Evaluates) {
  ToyClient client;
  SimulationTransport t(client, FlConfig{}, 1);
  const auto res = t.evaluate(1, client.initial(), {2, 4});
  ASSERT_EQ(res.size(), 2u);
  EXPECT_EQ(res[1].first, 4);
  EXPECT_EQ(res[1].second.num_examples, client.examples(4));
  EXPECT_GT(res[1].second.loss, 0);
}

}  // namespace
}  // namespace lethe::fl
