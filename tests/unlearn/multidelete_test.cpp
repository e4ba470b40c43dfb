// MultiDelete (multidelete.h): its three terms against hand-computed cases, the unrelated-caption
// permutation, and the method on a tiny federated run (deleted pairs separate from kept ones,
// the pass chosen on validation, reproducibility).
#include "lethe/unlearn/multidelete.h"

#include <gtest/gtest.h>

#include <set>

#include "lethe/eval/auc.h"
#include "lethe/eval/embed.h"
#include "unlearn/fixture.h"

namespace lethe::unlearn {
namespace {

using testing::forget_set_of;
using testing::inputs_of;
using testing::run_method;
using testing::shared_tiny_run;
using testing::TinyRun;

Embedded rows(std::initializer_list<double> img, std::initializer_list<double> txt, int64_t d) {
  auto i = torch::tensor(std::vector<double>(img), torch::kFloat);
  auto t = torch::tensor(std::vector<double>(txt), torch::kFloat);
  return {i.view({-1, d}), t.view({-1, d}), torch::ones({}), torch::arange(i.numel() / d)};
}

TEST(MultiDeleteLoss, MatchesHandComputedTerms) {
  // M′ = M on orthonormal pairs: with π = identity nothing is asked; with π swapping the two
  // captions M's target is the swapped identity, so every entry of S^{M′} = I is off by 1.
  const auto f = rows({1, 0, 0, 1}, {1, 0, 0, 1}, 2);
  const auto r = rows({1, 0, 0.6, 0.8}, {0.6, 0.8, 0, 1}, 2);
  auto t = multidelete_loss(f, f, torch::tensor({0, 1}, torch::kLong), r, r, true);
  EXPECT_FLOAT_EQ(t.total().item<float>(), 0.0f);
  t = multidelete_loss(f, f, torch::tensor({1, 0}, torch::kLong), r, r, true);
  EXPECT_FLOAT_EQ(t.decoupling.item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(t.multimodal.item<float>(), 0.0f);
  // Pairs only: the diagonal's target is M's unrelated score 0, the off-diagonal entries keep
  // M's own 0, so only the two deleted pairs are off (by 1): mean 2/4.
  EXPECT_FLOAT_EQ(multidelete_loss(f, f, torch::tensor({1, 0}, torch::kLong), r, r, true, false)
                      .decoupling.item<float>(),
                  0.5f);
  EXPECT_FLOAT_EQ(t.unimodal.item<float>(), 0.0f);

  // M′'s retained similarities S = I·Tᵀ = [[0.6, 0.8], [1, 0]] against M's S^M = identity:
  // squared errors 0.16, 0.64, 1, 1 → mean 0.7.
  const auto moved = rows({0.6, 0.8, 1, 0}, {1, 0, 0, 1}, 2);
  const auto ident = rows({1, 0, 0, 1}, {1, 0, 0, 1}, 2);
  t = multidelete_loss(f, f, torch::tensor({0, 1}, torch::kLong), moved, ident, true);
  EXPECT_NEAR(t.multimodal.item<double>(), (0.16 + 0.64 + 1.0 + 1.0) / 4.0, 1e-6);
  // Unimodal retention on the forget batch sees nothing; on the retain batch the image rows
  // moved: ((0.6−1)² + 0.8² + 1² + 1²)/4 = 0.7, the texts did not.
  EXPECT_FLOAT_EQ(t.unimodal.item<float>(), 0.0f);
  t = multidelete_loss(f, f, torch::tensor({0, 1}, torch::kLong), moved, ident, false);
  EXPECT_NEAR(t.unimodal.item<double>(), (0.16 + 0.64 + 1.0 + 1.0) / 4.0, 1e-6);
  // λ scales the two retention terms only: 0 + 3·(0.7 + 0.7).
  EXPECT_NEAR(t.total(3.0).item<double>(), 3.0 * 1.4, 1e-5);
  // w adds the retain batch's contrastive loss, the paper's total unchanged at w = 0.
  EXPECT_GT(t.task.item<double>(), 0.0);
  EXPECT_NEAR(t.total(3.0, 0.5).item<double>(), 3.0 * 1.4 + 0.5 * t.task.item<double>(), 1e-5);
}

TEST(MultiDeleteLoss, BadShapesAreNamed) {
  const auto f = rows({1, 0, 0, 1}, {1, 0, 0, 1}, 2);
  try {
    multidelete_loss(f, f, torch::tensor({0, 1, 2}, torch::kLong), f, f, true);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("permutation of the forget batch"), std::string::npos) << e.what();
  }
}

TEST(MultiDeleteLoss, PermutationAvoidsTheSameUnit) {
  std::mt19937_64 rng(7);
  for (int64_t b : {2, 3, 16}) {
    auto pi = unrelated_permutation(torch::arange(b), rng);
    std::set<int64_t> seen(pi.data_ptr<int64_t>(), pi.data_ptr<int64_t>() + b);
    EXPECT_EQ(static_cast<int64_t>(seen.size()), b);  // a permutation
    for (int64_t i = 0; i < b; ++i) EXPECT_NE(pi[i].item<int64_t>(), i);
  }
  // Two captions per unit: a clash-free arrangement exists, and the search finds it.
  auto units = torch::tensor({0, 0, 1, 1, 2, 2, 3, 3}, torch::kLong);
  auto pi = unrelated_permutation(units, rng);
  for (int64_t i = 0; i < 8; ++i) EXPECT_NE(units[pi[i].item<int64_t>()].item<int64_t>(), units[i].item<int64_t>());
  // A single unit: every row clashes, but it is still a permutation without fixed points.
  pi = unrelated_permutation(torch::zeros({4}, torch::kLong), rng);
  for (int64_t i = 0; i < 4; ++i) EXPECT_NE(pi[i].item<int64_t>(), i);
}

// ---- the method on a tiny federated run ------------------------------------------------

// Mean deleted-vs-remaining AUC of the model with `weights`: the forget pairs against the
// holder's kept pairs.
double auc_of(const TinyRun& run, const ForgetSet& forget, const TensorMap& weights) {
  UnlearnConfig u;
  auto model = model_with(inputs_of(run, forget, u, ""), weights);
  auto f = eval::pair_embeddings(model, run.ds, run.tokens, forget.forget, run.ctx);
  auto r = eval::pair_embeddings(model, run.ds, run.tokens, forget.retained.train[0], run.ctx);
  return eval::deleted_vs_remaining_auc((f.image * f.text).sum(1), (r.image * r.text).sum(1), 3, 0);
}

UnlearnConfig quick(int64_t epochs) {
  UnlearnConfig u;
  u.multidelete.epochs = epochs;
  u.multidelete.lr = 2e-3;
  u.multidelete.task_weight = 0.0;  // the paper's objective (the task term has its own test)
  return u;
}

TEST(MultiDeleteMethod, DeletedPairsSeparateFromKeptOnesAndTheBestPassIsKept) {
  const auto& run = shared_tiny_run();
  ASSERT_TRUE(unlearners().contains("multidelete"));
  const auto forget = forget_set_of(run, "samples:0:0.4");
  auto out = run_method("multidelete", run, forget, quick(3));
  EXPECT_GT(auc_of(run, forget, out.weights), auc_of(run, forget, run.original) + 0.1);
  const auto& h = out.details["holders"][0];
  EXPECT_EQ(h["client"], 0);
  EXPECT_EQ(h["retain_source"], "holder");
  ASSERT_EQ(h["passes"].size(), 3u);
  // The kept pass has the best validation score of the three.
  const int64_t kept = h["selected_pass"].get<int64_t>();
  for (const auto& p : h["passes"]) EXPECT_LE(p["score"].get<double>(), h["passes"][kept - 1]["score"].get<double>());
  // One step per forget batch of 16 (a last batch of one pair is dropped) and pass; one round,
  // the model down and up once.
  const auto n = static_cast<int64_t>(forget.forget.size());
  const int64_t batches = n / 16 + (n % 16 >= 2 ? 1 : 0);
  EXPECT_EQ(out.cost.local_steps, 3 * batches);
  EXPECT_EQ(out.cost.rounds, 1);
  EXPECT_EQ(out.cost.bytes, 2 * nbytes(run.original));
}

TEST(MultiDeleteMethod, TheTaskTermTrainsTheRetainBatchAndIsOffAtZero) {
  const auto& run = shared_tiny_run();
  const auto forget = forget_set_of(run, "samples:0:0.4");
  auto paper = quick(2), task = quick(2);
  task.multidelete.task_weight = 1.0;
  auto a = run_method("multidelete", run, forget, paper), b = run_method("multidelete", run, forget, task);
  for (const auto& p : a.details["holders"][0]["passes"]) EXPECT_FALSE(p.contains("retain_clip"));
  for (const auto& p : b.details["holders"][0]["passes"]) {
    ASSERT_TRUE(p.contains("retain_clip"));
    EXPECT_GT(p["retain_clip"].get<double>(), 0.0);
  }
  bool differs = false;
  for (const auto& [k, v] : a.weights) differs = differs || !torch::equal(v, b.weights.at(k));
  EXPECT_TRUE(differs);
}

TEST(MultiDeleteMethod, SameSeedSameWeightsAndSeveralHoldersAreAveraged) {
  const auto& run = shared_tiny_run();
  const auto forget = forget_set_of(run, "samples:1:0.3");
  auto a = run_method("multidelete", run, forget, quick(1)), b = run_method("multidelete", run, forget, quick(1));
  for (const auto& [k, v] : a.weights) EXPECT_TRUE(torch::equal(v, b.weights.at(k))) << k;
  // A concept spread over clients: one local run per holder, then one averaged model.
  const auto spread = forget_set_of(run, "concept:red");
  ASSERT_GE(spread.holders.size(), 2u);
  auto c = run_method("multidelete", run, spread, quick(1));
  EXPECT_EQ(c.details["holders"].size() + c.details["skipped_holders"].size(), spread.holders.size());
  EXPECT_EQ(c.cost.bytes, 2 * nbytes(run.original) * static_cast<int64_t>(c.details["holders"].size()));
}

}  // namespace
}  // namespace lethe::unlearn
