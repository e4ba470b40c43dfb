#include "lethe/fl/simulation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>

#include "fl/test_util.h"
#include "fl/toy_client.h"
#include "lethe/fl/federation.h"
#include "lethe/fl/sampling.h"

namespace lethe::fl {
namespace {

using lethe::testing::fl_temp_dir;
using lethe::testing::identical;
using testing::MeanStrategy;
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

TEST(SimulationTransport, ClientWhoseTrainingDivergesIsRefusedAndTheRoundGoesOn) {
  ToyClient client;
  client.before_fit = [](int64_t c, int64_t) {
    if (c == 3) throw NumericalError("training diverged: loss is nan (lower train.lr?)");
  };
  SimulationTransport t(client, FlConfig{}, 1);
  std::vector<int64_t> answered;
  const auto reports = t.fit(1, client.initial(), instructions({1, 3, 4}), {},
                             [&](int64_t c, FitRes&) { answered.push_back(c); });
  EXPECT_EQ(answered, (std::vector<int64_t>{1, 4}));
  EXPECT_EQ(reports[1].outcome, Outcome::kRefused);
  ASSERT_EQ(reports[1].refusals.size(), 1u);
  EXPECT_NE(reports[1].refusals[0].find("diverged"), std::string::npos);
  // Any other failure of a client is not the client's data: it still ends the round.
  client.before_fit = [](int64_t, int64_t) { throw std::runtime_error("power cut"); };
  EXPECT_THROW(t.fit(1, client.initial(), instructions({1}), {}, [](int64_t, FitRes&) {}),
               std::runtime_error);
}

// The failure-injection hook plays a hostile client 2 among five: NaN in round 1, +Inf in
// round 2, every entry 1e30 in rounds 3 and 4.
void hostile_client_2(int64_t round, int64_t client, FitRes& res) {
  if (client != 2) return;
  const double value = round == 1 ? std::nan("") : round == 2 ? std::numeric_limits<double>::infinity() : 1e30;
  for (auto& [name, t] : res.update) t.fill_(value);
}

struct HostileRun {
  TensorMap global;
  std::vector<RoundSummary> rounds;
  std::vector<nlohmann::json> refusals;  // the "fl_refused" events
};

HostileRun run_federation(const FlConfig& cfg, const std::string& dir, const AnswerHook& hook,
                          std::vector<int64_t> excluded = {}) {
  ToyClient client;
  MeanStrategy strategy(cfg);
  SimulationTransport transport(client, cfg, 3);
  transport.set_answer_hook(hook);
  HostileRun out;
  {
    MetricsWriter metrics(dir + "/metrics.jsonl");
    Federation fed(cfg, strategy, transport, cfg.clients, dir, 3, &metrics);
    fed.set_excluded_clients(std::move(excluded));
    fed.start(client.initial());
    fed.run(std::nullopt, [&](const RoundSummary& s) { out.rounds.push_back(s); });
    out.global = fed.global();
  }
  std::ifstream in(dir + "/metrics.jsonl");
  for (std::string line; std::getline(in, line);) {
    auto e = nlohmann::json::parse(line);
    if (e.at("event") == "fl_refused") out.refusals.push_back(e);
  }
  return out;
}

FlConfig hostile_config() {
  FlConfig cfg;
  cfg.clients = 5;
  cfg.rounds = 4;
  cfg.sketch_max_rank = 2;
  return cfg;
}

TEST(SimulationTransport, HostileClientIsRefusedAndTheRunEqualsTheRunWithoutIt) {
  const auto dir = fl_temp_dir();
  auto cfg = hostile_config();
  const auto without = run_federation(cfg, dir + "/without", {}, {2});
  // The absolute bound (on by default), then the relative one alone.
  for (const auto& [max_norm, median_k] : {std::pair{1e6, 0.0}, std::pair{0.0, 10.0}}) {
    cfg.screen_max_norm = max_norm;
    cfg.screen_median_k = median_k;
    const auto name = fmt::format("{}/screened_{}_{}", dir, max_norm, median_k);
    const auto run = run_federation(cfg, name, hostile_client_2);
    ASSERT_EQ(run.rounds.size(), 4u);
    for (const auto& r : run.rounds) {
      EXPECT_FALSE(r.skipped) << r.round;
      EXPECT_EQ(r.answered, 4) << r.round;
      EXPECT_EQ(r.refused, 1) << r.round;
    }
    EXPECT_TRUE(describe_nonfinite(run.global).empty());
    EXPECT_TRUE(identical(run.global, without.global)) << name;
    ASSERT_EQ(run.refusals.size(), 4u);
    for (const auto& e : run.refusals) EXPECT_EQ(e.at("client"), 2) << e;
    const auto reason = [&](size_t i) { return run.refusals[i].at("reason").get<std::string>(); };
    EXPECT_NE(reason(0).find("non-finite"), std::string::npos) << reason(0);
    EXPECT_NE(reason(1).find("non-finite"), std::string::npos) << reason(1);
    EXPECT_NE(reason(2).find(max_norm > 0 ? "fl.screen_max_norm" : "fl.screen_median_k"), std::string::npos)
        << reason(2);
  }
  // Without the norm screening the 1e30 update counts: the screening is what kept it out.
  cfg.screen_max_norm = 0;
  cfg.screen_median_k = 0;
  const auto open = run_federation(cfg, dir + "/unscreened", hostile_client_2);
  EXPECT_EQ(open.rounds[2].answered, 5);
  EXPECT_FALSE(identical(open.global, without.global));
}

}  // namespace
}  // namespace lethe::fl
