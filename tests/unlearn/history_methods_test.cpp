// The history-based baselines (history_methods.cpp, contribution.h): fedrecovery and
// history-subtraction against their formulas on hand-made histories, federaser replaying a run
// exactly when nothing is removed, pga staying in its ball, and the errors for missing history.
#include "lethe/unlearn/contribution.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <utility>

#include "fl/test_util.h"
#include "lethe/core/rng.h"
#include "lethe/fl/history.h"
#include "lethe/train/batches.h"
#include "unlearn/fixture.h"

namespace lethe::unlearn {
namespace {

using lethe::testing::expect_input_error;
using testing::forget_set_of;
using testing::inputs_of;
using testing::shared_tiny_run;
using testing::temp_dir;
using testing::TinyRun;
namespace fsys = std::filesystem;

UnlearnOutput run_method(const std::string& name, const UnlearnInputs& in) {
  return unlearners().get(name).factory()->run(in);
}

bool close(const TensorMap& a, const TensorMap& b, double tol = 1e-6) {
  return norm(sub(a, b)) <= tol * std::max(1.0, norm(b));
}

// ---- hand-made histories over the tiny model's layout --------------------------------------

TensorMap random_like(const TensorMap& like, int64_t tag) {
  TensorMap out;
  int64_t i = 0;
  for (const auto& [name, t] : like)
    out[name] = 0.01 * torch::randn(t.sizes(), make_generator(7, tag, i++, Stream::kNoise));
  return out;
}

// Round t (1-based) of a crafted history: the answering clients and their n_k, ascending.
using RoundSpec = std::vector<std::pair<int64_t, int64_t>>;

struct Crafted {
  std::string run_dir;  // holds history/
  std::vector<TensorMap> globals, increments;         // per round, from round 1
  std::map<std::pair<int64_t, int64_t>, TensorMap> updates;  // (round, client) → Δ
  std::string file(int64_t round, const std::string& name) const {
    return fmt::format("{}/history/round_{:04}/{}.safetensors", run_dir, round, name);
  }
};

// Rounds of FedAvg over random updates, written through the engine's own history API.
Crafted craft_history(const TensorMap& like, const std::string& run_dir,
                      const std::vector<RoundSpec>& rounds, fl::HistoryOptions opts = {}) {
  Crafted c;
  c.run_dir = run_dir;
  opts.sketch.max_rank = 0;
  fl::UpdateHistory h(run_dir + "/history", opts);
  auto global = random_like(like, 0);
  for (size_t i = 0; i < rounds.size(); ++i) {
    const auto t = static_cast<int64_t>(i + 1);
    c.globals.push_back(global);
    h.begin_round(t, c.globals.back());
    auto mean = zeros_like(like);
    double total = 0;
    for (const auto& [k, n] : rounds[i]) total += double(n);
    for (const auto& [k, n] : rounds[i]) {
      auto u = random_like(like, 100 * t + k);
      h.record(k, u, n);
      add_(mean, u, double(n) / total);
      c.updates[{t, k}] = std::move(u);
    }
    auto next = add(global, mean);
    h.commit_round(next);
    c.increments.push_back(sub(next, global));
    global = std::move(next);
  }
  return c;
}

// Round 1: clients 0, 1, 2 (n = 10, 20, 30); round 2: clients 1, 3 (n = 15, 5).
const std::vector<RoundSpec> kTwoRounds = {{{0, 10}, {1, 20}, {2, 30}}, {{1, 15}, {3, 5}}};

UnlearnInputs crafted_inputs(const TinyRun& run, const ForgetSet& forget, const UnlearnConfig& ucfg,
                             const Crafted& c) {
  auto in = inputs_of(run, forget, ucfg, c.run_dir + "/work");
  in.run_dir = c.run_dir;
  return in;
}

int64_t file_size(const std::string& path) { return static_cast<int64_t>(fsys::file_size(path)); }

// ---- fedrecovery -----------------------------------------------------------------------------

TEST(FedRecovery, EqualsTheFormulaOnACraftedHistory) {
  const auto& run = shared_tiny_run();
  const auto c = craft_history(run.original, temp_dir().string(), kTwoRounds);
  const auto forget = forget_set_of(run, "client:1");
  UnlearnConfig ucfg;
  ucfg.fedrecovery.c = 0.7;
  const auto out = run_method("fedrecovery", crafted_inputs(run, forget, ucfg, c));

  // r_t = (Δ_1^t − ΔF_t)/(N_t − 1); p_1 = 1, p_2 = ‖ΔF_2‖² / (‖ΔF_1‖² + ‖ΔF_2‖²).
  const double s1 = std::pow(norm(c.increments[0]), 2), s2 = std::pow(norm(c.increments[1]), 2);
  const double p2 = s2 / (s1 + s2);
  auto expected = clone(run.original);
  add_(expected, sub(c.updates.at({1, 1}), c.increments[0]), -0.7 * 1.0 / 2.0);
  add_(expected, sub(c.updates.at({2, 1}), c.increments[1]), -0.7 * p2 / 1.0);
  EXPECT_TRUE(close(out.weights, expected));
  EXPECT_FALSE(close(out.weights, run.original));
  EXPECT_NEAR(out.details["rounds"][1]["p"].get<double>(), p2, 1e-12);

  EXPECT_EQ(out.cost.local_steps, 0);
  EXPECT_EQ(out.cost.rounds, 0);
  // Both increments (every p_t needs them) and the target's two updates, nothing else.
  EXPECT_EQ(out.cost.history_bytes_read,
            file_size(c.file(1, "increment")) + file_size(c.file(2, "increment")) +
                file_size(c.file(1, "client_0001")) + file_size(c.file(2, "client_0001")));
}

TEST(FedRecovery, NoiseIsSeededWithTheConfiguredScale) {
  const auto& run = shared_tiny_run();
  const auto c = craft_history(run.original, temp_dir().string(), kTwoRounds);
  const auto forget = forget_set_of(run, "client:1");
  UnlearnConfig ucfg;
  const auto plain = run_method("fedrecovery", crafted_inputs(run, forget, ucfg, c));
  ucfg.fedrecovery.sigma = 0.01;
  const auto a = run_method("fedrecovery", crafted_inputs(run, forget, ucfg, c));
  const auto b = run_method("fedrecovery", crafted_inputs(run, forget, ucfg, c));
  EXPECT_TRUE(lethe::testing::identical(a.weights, b.weights));
  // ‖N(0, σ²I)‖ ≈ σ·√d.
  const double noise = norm(sub(a.weights, plain.weights));
  const double expected = 0.01 * std::sqrt(double(numel(run.original)));
  EXPECT_NEAR(noise, expected, 0.05 * expected);
  EXPECT_NEAR(a.details["noise_norm"].get<double>(), noise, 1e-3 * expected);
}

// ---- history-subtraction ---------------------------------------------------------------------

TEST(HistorySubtraction, SubtractsTheWeightedStoredUpdatesExactly) {
  const auto& run = shared_tiny_run();
  const auto c = craft_history(run.original, temp_dir().string(), kTwoRounds);
  UnlearnConfig ucfg;
  ucfg.finetune_rounds = 0;
  const auto forget = forget_set_of(run, "client:1");
  const auto out = run_method("history-subtraction", crafted_inputs(run, forget, ucfg, c));
  auto contribution = scale(c.updates.at({1, 1}), 20.0 / 60.0);
  add_(contribution, c.updates.at({2, 1}), 15.0 / 20.0);
  EXPECT_TRUE(close(out.weights, sub(run.original, contribution)));
  EXPECT_NEAR(out.details["subtracted_norm"].get<double>(), norm(contribution), 1e-6);
  EXPECT_EQ(out.cost.rounds, 0);
  EXPECT_EQ(out.cost.history_bytes_read,
            file_size(c.file(1, "client_0001")) + file_size(c.file(2, "client_0001")));

  // A sample request scales the holder's contribution by its forget share.
  const auto samples = forget_set_of(run, "samples:1:0.5");
  const double share =
      double(run.clients.train[1].size() - samples.retained.train[1].size()) /
      double(run.clients.train[1].size());
  ASSERT_GT(share, 0.2);
  ASSERT_LT(share, 0.8);
  const auto partial = run_method("history-subtraction", crafted_inputs(run, samples, ucfg, c));
  EXPECT_TRUE(close(partial.weights, sub(run.original, scale(contribution, share))));
  EXPECT_NEAR(partial.details["targets"][0]["share"].get<double>(), share, 1e-12);
  EXPECT_TRUE(partial.details.contains("note"));
}

TEST(HistorySubtraction, AClientMissingFromAPartialHistoryIsAnError) {
  const auto& run = shared_tiny_run();
  UnlearnConfig ucfg;
  ucfg.finetune_rounds = 0;
  const auto forget = forget_set_of(run, "client:3");
  // Every round on record and client 3 never answered: nothing of it is in θ^T.
  const auto full = craft_history(run.original, temp_dir().string() + "/full",
                                  {{{0, 10}, {1, 20}}, {{1, 15}, {2, 5}}});
  const auto out = run_method("history-subtraction", crafted_inputs(run, forget, ucfg, full));
  EXPECT_TRUE(lethe::testing::identical(out.weights, run.original));
  // Rounds 1 and 3 on record (history_every = 2), client 3 answered only round 2.
  fl::HistoryOptions every2;
  every2.every = 2;
  const auto sparse = craft_history(run.original, temp_dir().string() + "/sparse",
                                    {{{0, 10}}, {{3, 10}}, {{1, 10}}}, every2);
  expect_input_error(
      [&] { run_method("history-subtraction", crafted_inputs(run, forget, ucfg, sparse)); },
      {"client 3 answered in none of the 2 stored round(s)", "fl.history_every = 1"});
}

// ---- federaser -------------------------------------------------------------------------------

// Steps of one epoch over n pairs in batches of b (the last batch kept if it holds ≥ 2 pairs).
int64_t batches_per_epoch(size_t n, int64_t b) {
  return static_cast<int64_t>(n) / b + (static_cast<int64_t>(n) % b >= 2);
}

// With r = 1 and every client kept, each fresh update starts where the stored one did, with the
// same seeds and client settings: calibration must keep it as it is and the replay end at θ^T.
void expect_exact_replay(const TinyRun& run, const std::string& work_dir) {
  ForgetSet keep_all = forget_set_of(run, "client:1");
  keep_all.retained = run.clients;
  keep_all.removed_clients.clear();
  UnlearnConfig ucfg;
  ucfg.federaser.r = 1.0;
  const auto out = run_method("federaser", inputs_of(run, keep_all, ucfg, work_dir));
  EXPECT_TRUE(close(out.weights, run.original, 1e-6))
      << "distance " << norm(sub(out.weights, run.original));
  EXPECT_EQ(out.details["calibration_epochs"], 2);
  EXPECT_EQ(out.cost.rounds, 2);
}

TEST(FedEraser, ReplaysTheRunExactlyWhenNothingIsRemovedAndRIsOne) {
  expect_exact_replay(shared_tiny_run(), temp_dir().string());
}

TEST(FedEraser, ReplaysTheStrategysClientSettings) {
  // FedProx's proximal term and a cosine learning rate over rounds (round 2 at half the rate).
  const auto dir = temp_dir().string();
  const auto run = testing::train_tiny_run(
      dir + "/run", {"fl.strategy=fedprox", "fl.lr_schedule=cosine", "fl.lr_min_ratio=0.5"});
  expect_exact_replay(run, dir + "/work");
}

TEST(FedEraser, CalibratedUpdatesHaveTheStoredNormsPerTensor) {
  // One stored round answered by clients 0 and 1; forgetting 1 leaves client 0 alone, so the
  // replayed step is exactly its calibrated update Ũ_0 = ‖U_0‖·Û_0/‖Û_0‖, tensor by tensor.
  const auto& run = shared_tiny_run();
  const auto c = craft_history(run.original, temp_dir().string(), {{{0, 10}, {1, 30}}});
  const auto forget = forget_set_of(run, "client:1");
  const UnlearnConfig ucfg;
  const auto out = run_method("federaser", crafted_inputs(run, forget, ucfg, c));
  const auto step = sub(out.weights, c.globals[0]);
  const auto& stored = c.updates.at({1, 0});
  for (const auto& [name, s] : step) {
    SCOPED_TRACE(name);
    const double want = stored.at(name).norm().item<double>();
    EXPECT_NEAR(s.norm().item<double>(), want, 1e-4 * want);
  }
  // The direction is the fresh training's, not the stored (random) update's.
  EXPECT_LT(std::abs(dot(step, stored)) / (norm(step) * norm(stored)), 0.5);
  EXPECT_EQ(out.cost.rounds, 1);
}

TEST(FedEraser, CalibratesTheRetainedClientsWithCeilREpochs) {
  const auto& run = shared_tiny_run();
  const auto forget = forget_set_of(run, "client:1");
  UnlearnConfig ucfg;
  ucfg.federaser.r = 0.4;  // ⌈0.4·2⌉ = 1 epoch
  const auto out = run_method("federaser", inputs_of(run, forget, ucfg, temp_dir().string()));
  EXPECT_EQ(out.details["calibration_epochs"], 1);
  // Both rounds replayed with clients 0, 2, 3 only (every client answered every round).
  int64_t steps = 0;
  for (int64_t k : {0, 2, 3}) steps += batches_per_epoch(run.clients.train[k].size(), run.cfg.train.batch_size);
  EXPECT_EQ(out.cost.local_steps, 2 * steps);
  EXPECT_EQ(out.cost.rounds, 2);
  for (const auto& r : out.details["rounds"]) EXPECT_EQ(r["clients"], nlohmann::json({0, 2, 3}));
  EXPECT_FALSE(close(out.weights, run.original, 1e-3));
  // The first stored global and the retained clients' updates of both rounds.
  int64_t bytes = file_size(run.run_dir + "/history/round_0001/global.safetensors");
  for (int64_t t : {1, 2})
    for (int64_t k : {0, 2, 3})
      bytes += file_size(fmt::format("{}/history/round_{:04}/client_{:04}.safetensors", run.run_dir, t, k));
  EXPECT_EQ(out.cost.history_bytes_read, bytes);
}

// ---- pga -------------------------------------------------------------------------------------

TEST(Pga, AscendsWithinTheBallAroundWRef) {
  const auto& run = shared_tiny_run();
  const auto forget = forget_set_of(run, "client:2");
  UnlearnConfig ucfg;
  ucfg.finetune_rounds = 0;
  ucfg.pga.steps = 4;
  ucfg.pga.random_inits = 2;
  ucfg.pga.radius_scale = 0.01;  // a small ball: the projection must bind
  ucfg.pga.lr = 0.5;
  const auto out = run_method("pga", inputs_of(run, forget, ucfg, temp_dir().string()));

  // w_ref = (N·θ^T − θ_u)/(N − 1), θ_u = the target's local model of the last round (N = 4).
  const auto h = fl::UpdateHistory::open(run.run_dir + "/history");
  ASSERT_EQ(h.round_record(2).clients.size(), 4u);
  const auto local = add(h.global_before(2), h.update(2, 2));
  const auto w_ref = scale(sub(scale(run.original, 4.0), local), 1.0 / 3.0);
  const double delta = out.details["delta"].get<double>();
  EXPECT_NEAR(delta, 0.01 * out.details["mean_random_distance"].get<double>(), 1e-9);
  const double d = norm(sub(out.weights, w_ref));
  EXPECT_LE(d, delta * (1 + 1e-4));
  EXPECT_GE(d, delta * 0.99);  // AdamW steps of 0.5 per coordinate ≫ δ end on the sphere
  EXPECT_EQ(out.details["w_ref"][0]["round"], 2);
  EXPECT_EQ(out.cost.local_steps, 4);
  EXPECT_EQ(out.cost.rounds, 1);
  EXPECT_GT(out.cost.history_bytes_read, 0);
}

// ---- missing history -------------------------------------------------------------------------

TEST(HistoryMethods, MissingHistoryNamesTheConfigKey) {
  const auto& run = shared_tiny_run();
  const auto forget = forget_set_of(run, "client:1");
  const UnlearnConfig ucfg;
  const auto root = temp_dir().string();
  // No history at all.
  auto in = inputs_of(run, forget, ucfg, root + "/work");
  in.run_dir = root + "/none";
  // Sketches only: history_every = 0.
  fl::HistoryOptions sketches_only;
  sketches_only.every = 0;
  const auto none = craft_history(run.original, root + "/sketches", {{{0, 10}, {1, 10}}}, sketches_only);
  for (const std::string method : {"federaser", "pga", "fedrecovery", "history-subtraction"}) {
    SCOPED_TRACE(method);
    expect_input_error([&] { run_method(method, in); }, {method, "index.json", "fl.history_every"});
    expect_input_error([&] { run_method(method, crafted_inputs(run, forget, ucfg, none)); },
                       {method, "holds none", "fl.history_every = 0"});
  }
}

TEST(HistoryMethods, RoundsDroppedByTheBudgetAreAnError) {
  const auto& run = shared_tiny_run();
  const auto forget = forget_set_of(run, "client:1");
  const UnlearnConfig ucfg;
  const auto root = temp_dir().string();
  const RoundSpec same = {{0, 10}, {1, 10}};
  const auto one = craft_history(run.original, root + "/one", {same});
  const auto round_bytes = fl::UpdateHistory::open(one.run_dir + "/history").usage().full_bytes;
  fl::HistoryOptions budget;
  budget.budget_bytes = round_bytes * 3 / 2;  // one round fits, two do not
  const auto c = craft_history(run.original, root + "/dropped", {same, same}, budget);
  for (const std::string method : {"federaser", "fedrecovery", "history-subtraction"}) {
    SCOPED_TRACE(method);
    expect_input_error([&] { run_method(method, crafted_inputs(run, forget, ucfg, c)); },
                       {method, "dropped round(s) 1", "fl.history_budget_mb"});
  }
}

}  // namespace
}  // namespace lethe::unlearn
