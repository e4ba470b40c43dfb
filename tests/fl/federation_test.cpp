#include "lethe/fl/federation.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include "fl/test_util.h"
#include "fl/toy_client.h"
#include "lethe/core/fs.h"
#include "lethe/fl/sampling.h"
#include "lethe/fl/simulation.h"

namespace lethe::fl {
namespace {

using lethe::testing::expect_input_error;
using lethe::testing::fl_temp_dir;
using lethe::testing::identical;
using testing::MeanStrategy;
using testing::ToyClient;
using testing::ToyOptions;

FlConfig base_config() {
  FlConfig c;
  c.rounds = 6;
  c.clients = 8;
  c.fraction_fit = 0.5;
  c.local_epochs = 2;
  c.failure_rate = 0.1;
  c.history_every = 2;
  c.sketch_max_rank = 4;
  return c;
}

// Everything one federated run needs, wired like `lethe train` wires it.
struct FedRun {
  FedRun(const FlConfig& c, const std::string& dir, uint64_t seed = 5, ToyOptions toy = {},
      MetricsWriter* metrics = nullptr)
      : cfg(c),
        client(toy),
        strategy(cfg),
        transport(client, cfg, seed),
        fed(cfg, strategy, transport, cfg.clients, dir, seed, metrics) {}
  FlConfig cfg;
  ToyClient client;
  MeanStrategy strategy;
  SimulationTransport transport;
  Federation fed;
};

TensorMap train(const FlConfig& cfg, const std::string& dir, uint64_t seed = 5) {
  FedRun r(cfg, dir, seed);
  r.fed.start(r.client.initial());
  r.fed.run();
  EXPECT_EQ(r.fed.round(), cfg.rounds);
  return r.fed.global();
}

TEST(Federation, SameSeedSameWeights) {
  const auto dir = fl_temp_dir();
  const auto a = train(base_config(), dir + "/a");
  const auto b = train(base_config(), dir + "/b");
  EXPECT_TRUE(identical(a, b));
  EXPECT_FALSE(identical(a, ToyClient().initial()));
  EXPECT_FALSE(identical(a, train(base_config(), dir + "/c", 6)));  // another seed
}

TEST(Federation, ResumeAfterACompletedRoundIsBitIdentical) {
  const auto dir = fl_temp_dir();
  const auto cfg = base_config();
  FedRun whole(cfg, dir + "/whole");
  whole.fed.start(whole.client.initial());
  whole.fed.run();
  {
    FedRun first(cfg, dir + "/split");
    first.fed.start(first.client.initial());
    first.fed.run(3);
  }  // the process "dies" after round 3, in the middle of writing a file
  const auto leftover = dir + "/split/checkpoints/round_0004.safetensors.tmp.99999999";
  write_file_atomic(leftover, "half");
  FedRun second(cfg, dir + "/split");
  second.fed.resume();
  EXPECT_EQ(second.fed.round(), 3);
  EXPECT_FALSE(std::filesystem::exists(leftover));
  second.fed.run();
  EXPECT_TRUE(identical(second.fed.global(), whole.fed.global()));
  EXPECT_EQ(second.fed.history().index(), whole.fed.history().index());
  EXPECT_EQ(second.fed.totals().bytes_up, whole.fed.totals().bytes_up);
  EXPECT_EQ(second.fed.totals().rounds, 6);
}

TEST(Federation, ResumeAfterACrashInsideARoundIsBitIdentical) {
  const auto dir = fl_temp_dir();
  auto cfg = base_config();
  cfg.checkpoint_every = 2;
  cfg.history_every = 1;
  const auto whole = train(cfg, dir + "/whole");
  {
    FedRun first(cfg, dir + "/split");
    first.client.before_fit = [](int64_t, int64_t round) {
      if (round == 5) throw std::runtime_error("power cut");
    };
    first.fed.start(first.client.initial());
    EXPECT_THROW(first.fed.run(), std::runtime_error);
  }
  FedRun second(cfg, dir + "/split");
  second.fed.resume();
  EXPECT_EQ(second.fed.round(), 4);
  second.fed.run();
  EXPECT_TRUE(identical(second.fed.global(), whole));
  EXPECT_EQ(second.fed.history().full_rounds(), (std::vector<int64_t>{1, 2, 3, 4, 5, 6}));
}

TEST(Federation, ClientStateTravelsWithTheCheckpoint) {
  // Clients that keep state between rounds (momentum here, AdamW moments for CLIP clients):
  // a crash inside round 5 resumes from round 4's checkpoint, clients' state included.
  const auto dir = fl_temp_dir();
  auto cfg = base_config();
  cfg.checkpoint_every = 2;
  const ToyOptions toy{.momentum = 0.9};
  FedRun whole(cfg, dir + "/whole", 5, toy);
  whole.fed.start(whole.client.initial());
  whole.fed.run();
  EXPECT_FALSE(whole.client.state().empty());
  EXPECT_FALSE(identical(whole.fed.global(), train(cfg, dir + "/stateless")));  // state matters
  {
    FedRun first(cfg, dir + "/split", 5, toy);
    first.client.before_fit = [](int64_t, int64_t round) {
      if (round == 5) throw std::runtime_error("power cut");
    };
    first.fed.start(first.client.initial());
    EXPECT_THROW(first.fed.run(), std::runtime_error);
  }
  FedRun second(cfg, dir + "/split", 5, toy);
  second.fed.resume();
  EXPECT_EQ(second.fed.round(), 4);
  EXPECT_FALSE(second.client.state().empty());
  EXPECT_EQ(second.fed.extra_state("client_state"), nullptr);  // handed to the clients
  second.fed.run();
  EXPECT_TRUE(identical(second.fed.global(), whole.fed.global()));
  EXPECT_THROW(second.fed.set_extra_state("client_state", {}), InputError);  // reserved
}

TEST(Federation, CorruptCheckpointIsNamedAndThePreviousOneResumes) {
  const auto dir = fl_temp_dir();
  auto cfg = base_config();
  cfg.keep_checkpoints = 0;
  const auto whole = train(cfg, dir + "/whole");
  {
    FedRun first(cfg, dir + "/split");
    first.fed.start(first.client.initial());
    first.fed.run(4);
  }
  const auto bad = dir + "/split/checkpoints/round_0004.safetensors";
  write_file_atomic(bad, read_file(bad).substr(0, 100));
  {
    FedRun second(cfg, dir + "/split");
    expect_input_error([&] { second.fed.resume(); }, {bad, "corrupt or truncated"});
  }
  FedRun third(cfg, dir + "/split");
  third.fed.resume(3);  // the previous good state
  EXPECT_FALSE(std::filesystem::exists(bad));
  third.fed.run();
  EXPECT_TRUE(identical(third.fed.global(), whole));
}

TEST(Federation, ResumeChecksTheRunIsTheSame) {
  const auto dir = fl_temp_dir() + "/run";
  auto cfg = base_config();
  {
    FedRun r(cfg, dir);
    expect_input_error([&] { r.fed.resume(); }, {"no checkpoint"});
    r.fed.start(r.client.initial());
    r.fed.run(1);
  }
  {
    FedRun again(cfg, dir);
    expect_input_error([&] { again.fed.start(again.client.initial()); },
                       {dir, "already holds a federated run"});
  }
  {
    FedRun other_seed(cfg, dir, 99);
    expect_input_error([&] { other_seed.fed.resume(); }, {"seed 5, not 99"});
  }
  {
    auto changed = cfg;
    changed.fraction_fit = 0.75;
    FedRun r(changed, dir);
    expect_input_error([&] { r.fed.resume(); }, {"fl.fraction_fit", "0.5", "0.75"});
  }
  auto longer = cfg;
  longer.rounds = 9;  // more rounds is a legitimate change
  FedRun r(longer, dir);
  r.fed.resume();
  r.fed.run();
  EXPECT_EQ(r.fed.round(), 9);
}

TEST(Federation, TooFewAnswersSkipTheRound) {
  const auto dir = fl_temp_dir();
  auto cfg = base_config();
  cfg.clients = 5;
  cfg.fraction_fit = 1.0;
  cfg.failure_rate = 0.5;
  cfg.min_fit_clients = 3;
  cfg.history_every = 1;
  MetricsWriter metrics(dir + "/metrics.jsonl");
  FedRun r(cfg, dir + "/run", 5, {}, &metrics);
  r.fed.start(r.client.initial());
  int64_t skipped = 0;
  std::vector<int64_t> applied_rounds;
  TensorMap before = r.fed.global();
  r.fed.run(std::nullopt, [&](const RoundSummary& s) {
    int64_t expect_answered = 0;
    for (int64_t c = 0; c < 5; ++c)
      expect_answered += draw_fault(5, s.round, c, 0.5, 0.0) == Fault::kNone;
    EXPECT_EQ(s.answered, expect_answered);
    EXPECT_EQ(s.failed, 5 - expect_answered);
    EXPECT_EQ(s.skipped, expect_answered < 3);
    EXPECT_EQ(identical(before, r.fed.global()), s.skipped) << "round " << s.round;
    if (s.skipped) ++skipped; else applied_rounds.push_back(s.round);
    before = r.fed.global();
  });
  ASSERT_GT(skipped, 0);
  ASSERT_FALSE(applied_rounds.empty());
  EXPECT_EQ(r.fed.history().full_rounds(), applied_rounds);  // skipped rounds leave no record
  EXPECT_EQ(r.fed.totals().skipped_rounds, skipped);
  int64_t lines = 0, skipped_lines = 0;
  std::ifstream in(dir + "/metrics.jsonl");
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line);
    if (j["event"] != "fl_round") continue;
    ++lines;
    skipped_lines += j["skipped"].get<bool>();
    for (const char* key : {"round", "answered", "loss", "bytes_up", "bytes_down", "wall_s", "round_s"})
      EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(lines, 6);
  EXPECT_EQ(skipped_lines, skipped);
}

TEST(Federation, WeightsRenormaliseOverTheClientsThatAnswered) {
  const auto dir = fl_temp_dir();
  auto cfg = base_config();
  cfg.rounds = 1;
  cfg.fraction_fit = 1.0;
  cfg.failure_rate = 0.4;
  FedRun r(cfg, dir + "/run");
  const auto theta0 = r.client.initial();
  r.fed.start(theta0);
  const auto sum = r.fed.run_round();
  // By hand: fresh client replica, the answering clients' updates, weights n_k / Σ n.
  ToyClient ref;
  const LocalRules none;
  TensorMap acc = zeros_like(theta0);
  double total = 0;
  int64_t answered = 0;
  for (int64_t c = 0; c < 8; ++c) {
    if (draw_fault(5, 1, c, 0.4, 0.0) == Fault::kFailure) continue;
    FitConfig fc;
    fc.local_epochs = 2;
    auto res = ref.fit(c, FitIns{theta0, 1, 5, fc, none});
    add_(acc, res.update, double(res.num_examples));
    total += double(res.num_examples);
    ++answered;
  }
  ASSERT_GT(answered, 0);
  ASSERT_LT(answered, 8);
  EXPECT_EQ(sum.answered, answered);
  EXPECT_EQ(sum.num_examples, static_cast<int64_t>(total));
  const auto expected = add(theta0, scale(acc, 1.0 / total));
  for (const auto& [name, t] : expected)
    EXPECT_TRUE(torch::allclose(r.fed.global().at(name), t, 1e-5, 1e-6)) << name;
  EXPECT_EQ(sum.bytes_up, answered * nbytes(theta0));
  EXPECT_EQ(sum.bytes_down, 8 * nbytes(theta0));
}

TEST(Federation, UpdateFiltersRunOnTheServerAndOnClientGradients) {
  const auto dir = fl_temp_dir();
  auto cfg = base_config();
  cfg.failure_rate = 0;
  FedRun r(cfg, dir + "/run");
  int64_t calls = 0;
  // "Forget Lock" on the bias: no update and no gradient may move it.
  r.fed.add_update_filter([&](int64_t, TensorMap& t) {
    ++calls;
    t.at("bias").zero_();
  });
  const auto theta0 = r.client.initial();
  r.fed.start(theta0);
  int64_t answers = 0, steps = 0;
  r.fed.run(std::nullopt, [&](const RoundSummary& s) {
    answers += s.answered;
    steps += s.steps;
  });
  EXPECT_TRUE(torch::equal(r.fed.global().at("bias"), theta0.at("bias")));
  EXPECT_FALSE(torch::equal(r.fed.global().at("weight"), theta0.at("weight")));
  EXPECT_EQ(calls, answers + steps);  // once per incoming update, once per local gradient
}

TEST(Federation, ExcludedClientsLeaveEveryOtherClientsRoundsUnchanged) {
  const auto dir = fl_temp_dir();
  auto cfg = base_config();
  auto log_rounds = [&](FedRun& r, std::vector<std::pair<int64_t, int64_t>>& log) {
    r.client.before_fit = [&log](int64_t c, int64_t round) { log.emplace_back(round, c); };
  };
  std::vector<std::pair<int64_t, int64_t>> all, without;
  {
    FedRun r(cfg, dir + "/all");
    log_rounds(r, all);
    r.fed.start(r.client.initial());
    r.fed.run();
  }
  FedRun r(cfg, dir + "/without");
  log_rounds(r, without);
  r.fed.set_excluded_clients({2});
  r.fed.start(r.client.initial());
  r.fed.run();
  std::erase_if(all, [](const auto& rc) { return rc.second == 2; });
  EXPECT_EQ(without, all);
  expect_input_error([&] { r.fed.set_excluded_clients({8}); }, {"excluded client 8"});
}

TEST(Federation, ExtraStateTravelsWithTheCheckpoint) {
  const auto dir = fl_temp_dir() + "/run";
  auto cfg = base_config();
  {
    FedRun r(cfg, dir);
    r.fed.set_extra_state("lock", {{{"E", torch::eye(2)}}, {{"beta", 0}}});
    r.fed.start(r.client.initial());
    r.fed.run(2);
  }
  FedRun r(cfg, dir);
  EXPECT_EQ(r.fed.extra_state("lock"), nullptr);
  r.fed.resume();
  ASSERT_NE(r.fed.extra_state("lock"), nullptr);
  EXPECT_TRUE(torch::equal(r.fed.extra_state("lock")->tensors.at("E"), torch::eye(2)));
  EXPECT_EQ(r.fed.extra_state("lock")->meta, (nlohmann::json{{"beta", 0}}));
}

TEST(Federation, ForgetLockHoldsInEveryLaterRoundAndSurvivesResume) {
  const auto dir = fl_temp_dir();
  auto cfg = base_config();
  cfg.rounds = 6;
  cfg.failure_rate = 0.0;
  ForgetLock lock;
  {
    FedRun probe(cfg, dir + "/probe");
    const auto w = probe.client.initial().at("weight");
    auto gen = at::detail::createCPUGenerator(3);
    auto q = std::get<0>(torch::linalg_qr(torch::randn({w.size(0), w.size(0)}, gen, torch::kFloat64)));
    lock.bases["weight"] = q.narrow(1, 0, 1).to(torch::kFloat).contiguous();
  }
  const auto& e = lock.bases.at("weight");
  auto along = [&](const TensorMap& g) { return e.t().matmul(g.at("weight")); };
  auto locked_run = [&](const std::string& run_dir, bool die_after_4) {
    {
      FedRun first(cfg, run_dir);
      first.fed.start(first.client.initial());
      first.fed.run(2);
      first.fed.set_forget_lock(lock);
      first.fed.run(die_after_4 ? 4 : 6);
      if (!die_after_4) return first.fed.global();
    }
    FedRun second(cfg, run_dir);
    EXPECT_EQ(second.fed.forget_lock(), nullptr);
    second.fed.resume();
    EXPECT_NE(second.fed.forget_lock(), nullptr);
    second.fed.run();
    return second.fed.global();
  };
  // The free run moves along E; the locked one does not after round 2, and a resumed locked run
  // is the uninterrupted one bit for bit.
  FedRun free_run(cfg, dir + "/free");
  free_run.fed.start(free_run.client.initial());
  free_run.fed.run(2);
  const auto at2 = free_run.fed.global();
  free_run.fed.run();
  EXPECT_GT((along(free_run.fed.global()) - along(at2)).abs().max().item<float>(), 1e-4);
  const auto whole = locked_run(dir + "/whole", false);
  EXPECT_LT((along(whole) - along(at2)).abs().max().item<float>(), 1e-5);
  const auto resumed = locked_run(dir + "/split", true);
  EXPECT_TRUE(identical(resumed, whole));
}

// A simulation whose clients, like remote ones, add no gradient terms.
class NoTermsTransport final : public Transport {
 public:
  NoTermsTransport(Client& client, const FlConfig& cfg, uint64_t seed) : sim_(client, cfg, seed) {}
  bool carries_gradient_terms() const override { return false; }
  std::vector<ClientReport> fit(int64_t round, const TensorMap& global, const std::vector<FitInstruction>& instructions,
                                const LocalRules& local, const FitResultFn& on_result) override {
    EXPECT_TRUE(local.gradient_terms.empty()) << "the federation sent terms its clients cannot add";
    return sim_.fit(round, global, instructions, local, on_result);
  }
  std::vector<std::pair<int64_t, EvaluateRes>> evaluate(int64_t round, const TensorMap& global,
                                                        const std::vector<int64_t>& clients) override {
    return sim_.evaluate(round, global, clients);
  }

 private:
  SimulationTransport sim_;
};

TEST(Federation, APenaltyLockBoundsTheDriftAlongEByOneOverLambda) {
  const auto dir = fl_temp_dir();
  auto cfg = base_config();
  cfg.rounds = 8;
  cfg.failure_rate = 0.0;
  cfg.fraction_fit = 1.0;
  cfg.history_every = 0;
  // θ_u: the weights after 2 free rounds; E: one direction of the output rows.
  TensorMap at2;
  ForgetLock projection;
  {
    FedRun probe(cfg, dir + "/probe");
    probe.fed.start(probe.client.initial());
    probe.fed.run(2);
    at2 = probe.fed.global();
    auto gen = at::detail::createCPUGenerator(3);
    const auto rows = at2.at("weight").size(0);
    auto q = std::get<0>(torch::linalg_qr(torch::randn({rows, rows}, gen, torch::kFloat64)));
    projection.bases["weight"] = q.narrow(1, 0, 1).to(torch::kFloat).contiguous();
  }
  const auto& e = projection.bases.at("weight");
  auto drift = [&](const TensorMap& g) {
    return e.t().matmul(g.at("weight") - at2.at("weight")).norm().item<double>();
  };
  // Rounds 3..8 from θ_u under `lock` (the clients keep pulling θ along E: their targets are
  // where the free run goes).
  auto locked_run = [&](const std::string& name, const ForgetLock& lock) {
    FedRun r(cfg, dir + "/" + name);
    r.fed.start(r.client.initial());
    r.fed.run(2);
    r.fed.set_forget_lock(lock);
    r.fed.run();
    return drift(r.fed.global());
  };
  const double free = locked_run("free", ForgetLock{});
  const double weak = locked_run("weak", projection.as_penalty(at2, 2.0));
  const double strong = locked_run("strong", projection.as_penalty(at2, 8.0));
  const double hard = locked_run("projection", projection);
  EXPECT_GT(free, 1e-3);
  EXPECT_LT(weak, free);
  EXPECT_GT(strong, 1e-6) << "a penalty bounds the drift; it does not forbid it";
  // 4× the strength, about a quarter of the drift (the bound's 1/λ).
  RecordProperty("drift_weak", std::to_string(weak));
  RecordProperty("drift_strong", std::to_string(strong));
  RecordProperty("drift_free", std::to_string(free));
  EXPECT_GT(strong / weak, 0.1) << strong << " vs " << weak;
  EXPECT_LT(strong / weak, 0.5) << strong << " vs " << weak;
  EXPECT_LT(hard, 1e-5);

  // Clients that cannot add the term (remote ones): the server projects instead.
  ToyClient client;
  MeanStrategy strategy(cfg);
  NoTermsTransport transport(client, cfg, 5);
  Federation fed(cfg, strategy, transport, cfg.clients, dir + "/remote", 5);
  fed.start(client.initial());
  fed.run(2);
  fed.set_forget_lock(projection.as_penalty(at2, 2.0));
  fed.run();
  EXPECT_LT(drift(fed.global()), 1e-5);
}

TEST(Federation, UnlearningAppliedBetweenRoundsHoldsInEveryLaterRoundAndSurvivesResume) {
  const auto dir = fl_temp_dir();
  auto cfg = base_config();
  cfg.failure_rate = 0.0;
  cfg.fraction_fit = 1.0;
  cfg.keep_checkpoints = 0;
  ForgetLock lock;
  lock.bases["weight"] = torch::tensor({1.0f, 0.0f, 0.0f}).reshape({3, 1});  // the first output row
  std::vector<std::pair<int64_t, int64_t>> fits;  // (round, client)
  auto run = [&](FedRun& r) {
    r.client.before_fit = [&fits](int64_t c, int64_t round) { fits.emplace_back(round, c); };
  };
  TensorMap unlearned, at4;
  {
    FedRun r(cfg, dir + "/run");
    run(r);
    r.fed.start(r.client.initial());
    r.fed.run(2);
    unlearned = scale(r.fed.global(), 0.5);
    expect_input_error([&] { r.fed.apply_unlearning(unlearned, lock, {8}); }, {"client 8"});
    expect_input_error([&] { r.fed.apply_unlearning({{"weight", torch::zeros({1})}}, lock, {3}); },
                       {"unlearned weights"});
    auto broken = clone(unlearned);
    broken.at("bias")[1] = std::nanf("");
    expect_input_error([&] { r.fed.apply_unlearning(broken, lock, {3}); },
                       {"not finite", "tensor 'bias' has 1 non-finite value", "unchanged"});
    EXPECT_TRUE(r.fed.removed_clients().empty());
    r.fed.apply_unlearning(unlearned, lock, {3});
    EXPECT_EQ(r.fed.removed_clients(), (std::vector<int64_t>{3}));
    EXPECT_TRUE(identical(r.fed.global(), unlearned));
    r.fed.run(4);
    at4 = r.fed.global();
  }
  // Client 3 trained in rounds 1-2 only; the first weight row never moved after the unlearning.
  for (const auto& [round, client] : fits) EXPECT_TRUE(client != 3 || round <= 2) << round;
  EXPECT_EQ(std::count_if(fits.begin(), fits.end(), [](const auto& f) { return f.second == 3; }), 2);
  EXPECT_TRUE(torch::equal(at4.at("weight")[0], unlearned.at("weight")[0]));
  EXPECT_FALSE(torch::equal(at4.at("weight")[1], unlearned.at("weight")[1]));
  // Resumed from the checkpoint written by apply_unlearning: the same removal and lock.
  FedRun resumed(cfg, dir + "/run");
  run(resumed);
  fits.clear();
  resumed.fed.resume(2);
  EXPECT_TRUE(identical(resumed.fed.global(), unlearned));
  ASSERT_NE(resumed.fed.forget_lock(), nullptr);
  resumed.fed.run(4);
  EXPECT_TRUE(identical(resumed.fed.global(), at4));
  for (const auto& f : fits) EXPECT_NE(f.second, 3);
}

// A strategy that counts its server steps in its state; its step in round 2 is not finite and in
// round 3 LibTorch throws.
class FlakyStrategy final : public Strategy {
 public:
  using Strategy::Strategy;
  std::string name() const override { return "flaky"; }
  TensorMap aggregate_fit(int64_t round, const TensorMap& global, const UpdateAggregator& results) override {
    ++steps_;
    auto next = add(global, results.result());
    if (round == 2) next.at("weight")[0][0] = std::numeric_limits<float>::infinity();
    if (round == 3) (void)torch::zeros({2}).view({3});  // a shape error inside LibTorch
    return next;
  }
  StateBlob state() const override { return {{}, {{"steps", steps_}}}; }
  void load_state(const StateBlob& s) override { steps_ = s.meta.value("steps", 0); }
  int64_t steps() const { return steps_; }

 private:
  int64_t steps_ = 0;
};

TEST(Federation, AnUnusableAggregateSkipsTheRoundAndRollsTheStrategyBack) {
  const auto dir = fl_temp_dir();
  auto cfg = base_config();
  cfg.rounds = 4;
  cfg.failure_rate = 0;
  cfg.history_every = 1;
  ToyClient client;
  FlakyStrategy strategy(cfg);
  SimulationTransport transport(client, cfg, 5);
  Federation fed(cfg, strategy, transport, cfg.clients, dir, 5);
  fed.start(client.initial());
  std::vector<bool> skipped;
  TensorMap before = fed.global();
  fed.run(std::nullopt, [&](const RoundSummary& s) {
    skipped.push_back(s.skipped);
    EXPECT_EQ(identical(before, fed.global()), s.skipped) << s.round;
    before = fed.global();
  });
  EXPECT_EQ(skipped, (std::vector<bool>{false, true, true, false}));
  EXPECT_EQ(strategy.steps(), 2);  // the failed steps were rolled back
  EXPECT_TRUE(describe_nonfinite(fed.global()).empty());
  EXPECT_EQ(fed.history().full_rounds(), (std::vector<int64_t>{1, 4}));
  EXPECT_EQ(fed.totals().skipped_rounds, 2);
}

TEST(Federation, AnUpdateWhoseSketchOverflowsIsRefusedAndLeavesNoRecord) {
  const auto dir = fl_temp_dir();
  auto cfg = base_config();
  cfg.rounds = 1;
  cfg.failure_rate = 0;
  cfg.fraction_fit = 1.0;
  cfg.history_every = 1;
  cfg.screen_max_norm = 0;  // finite, unbounded: only the history's sketch can fail on it
  FedRun r(cfg, dir);
  // σ of a 3x6 matrix of 3e38 is 1.3e39: beyond float32, so the sketch cannot be kept.
  r.transport.set_answer_hook([](int64_t, int64_t client, FitRes& res) {
    if (client == 1) res.update.at("weight").fill_(3e38);
  });
  r.fed.start(r.client.initial());
  const auto sum = r.fed.run_round();
  EXPECT_EQ(sum.refused, 1);
  EXPECT_EQ(sum.answered, 7);
  EXPECT_FALSE(sum.skipped);
  const auto& clients = r.fed.history().round_record(1).clients;
  EXPECT_EQ(std::count(clients.begin(), clients.end(), 1), 0);
  EXPECT_TRUE(r.fed.history().sketch(1).empty());
  EXPECT_FALSE(r.fed.history().sketch(0).empty());
  EXPECT_TRUE(describe_nonfinite(r.fed.global()).empty());
}

TEST(Federation, EvaluatesOnServerAndClients) {
  const auto dir = fl_temp_dir();
  auto cfg = base_config();
  cfg.evaluate_every = 3;
  cfg.fraction_evaluate = 0.5;
  MetricsWriter metrics(dir + "/metrics.jsonl");
  FedRun r(cfg, dir + "/run", 5, {}, &metrics);
  std::vector<int64_t> server_rounds;
  r.fed.set_server_evaluation([&](int64_t round, const TensorMap& g) {
    server_rounds.push_back(round);
    return std::map<std::string, double>{{"norm", norm(g)}};
  });
  r.fed.start(r.client.initial());
  r.fed.run();
  EXPECT_EQ(server_rounds, (std::vector<int64_t>{3, 6}));
  const auto out = r.fed.evaluate();
  EXPECT_DOUBLE_EQ(out.at("server_norm"), norm(r.fed.global()));
  EXPECT_EQ(out.at("clients_clients"), 4);
  EXPECT_GT(out.at("clients_loss"), 0);
  int64_t eval_lines = 0;
  std::ifstream in(dir + "/metrics.jsonl");
  for (std::string line; std::getline(in, line);)
    eval_lines += nlohmann::json::parse(line)["event"] == "fl_eval";
  EXPECT_EQ(eval_lines, 3);
}

TEST(Federation, RejectsUpdatesOfTheWrongShape) {
  struct Broken final : Client {
    FitRes fit(int64_t, const FitIns& ins) override {
      FitRes r;
      r.update = zeros_like(ins.global);
      r.update["weight"] = torch::zeros({1});
      r.num_examples = 1;
      return r;
    }
    EvaluateRes evaluate(int64_t, const EvaluateIns&) override { return {}; }
  } broken;
  auto cfg = base_config();
  cfg.failure_rate = 0;
  MeanStrategy strategy(cfg);
  SimulationTransport transport(broken, cfg, 1);
  Federation fed(cfg, strategy, transport, cfg.clients, fl_temp_dir() + "/run", 1);
  fed.start(ToyClient().initial());
  expect_input_error([&] { fed.run_round(); }, {"round 1", "update of client", "'weight'"});
}

// Peak resident memory (KiB) of f run in a forked child.
long child_peak_rss_kb(const std::function<void()>& f) {
  int fd[2];
  EXPECT_EQ(::pipe(fd), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fd[0]);
    long kb = -1;
    try {
      torch::set_num_threads(1);  // no OpenMP pool in a forked child
      f();
      rusage ru{};
      ::getrusage(RUSAGE_SELF, &ru);
      kb = ru.ru_maxrss;
    } catch (...) {
    }
    [[maybe_unused]] auto n = ::write(fd[1], &kb, sizeof kb);
    ::_exit(0);
  }
  ::close(fd[1]);
  long kb = -1;
  [[maybe_unused]] auto n = ::read(fd[0], &kb, sizeof kb);
  ::close(fd[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return kb;
}

TEST(Federation, MemoryDoesNotGrowWithTheNumberOfClients) {
  const auto dir = fl_temp_dir();
  auto one_round = [&](int64_t clients) {
    return [&dir, clients] {
      FlConfig cfg;
      cfg.rounds = 1;
      cfg.clients = clients;
      cfg.fraction_fit = 1.0;
      cfg.history_every = 0;
      cfg.sketch_max_rank = 0;
      ToyOptions toy;
      toy.in = 1024;
      toy.out = 256;  // 1 MiB of weights: 1,000 updates held at once would be 1 GiB
      toy.batch = 16;
      FedRun r(cfg, fmt::format("{}/c{}", dir, clients), 5, toy);
      r.fed.start(r.client.initial());
      r.fed.run();
      if (r.fed.totals().client_fits != clients) throw std::runtime_error("not every client ran");
    };
  };
  const long small = child_peak_rss_kb(one_round(10));
  const long large = child_peak_rss_kb(one_round(1000));
  ASSERT_GT(small, 0);
  ASSERT_GT(large, 0);
  EXPECT_LE(double(large), 1.5 * double(small)) << small << " KiB vs " << large << " KiB";
}

}  // namespace
}  // namespace lethe::fl
