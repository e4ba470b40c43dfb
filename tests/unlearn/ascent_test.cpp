// The gradient-ascent family (ascent.h, ascent_methods.cpp): the NPO and KL objectives against
// closed forms and GA's gradient, and the five methods on a tiny federated run.
#include "lethe/unlearn/ascent.h"

#include <gtest/gtest.h>

#include <cmath>

#include "lethe/eval/embed.h"
#include "lethe/train/loss.h"
#include "common/test_util.h"
#include "unlearn/fixture.h"

namespace lethe::unlearn {
namespace {

using testing::forget_set_of;
using testing::inputs_of;
using testing::run_method;
using testing::shared_tiny_run;
using testing::temp_dir;
using testing::TinyRun;

// ---- objectives -------------------------------------------------------------------------

TEST(AscentObjectives, NpoMatchesTheClosedFormOn2x2) {
  const double beta = 0.5;
  auto logits = torch::tensor({2.0, 0.0, 1.0, 3.0}).view({2, 2});
  auto ref = torch::tensor({1.0, 1.0, 0.0, 2.0}).view({2, 2});
  auto lse = [](double a, double b) { return std::log(std::exp(a) + std::exp(b)); };
  // log π of the matched pairs: i2t over rows, t2i over columns.
  const double lp[4] = {2 - lse(2, 0), 3 - lse(1, 3), 2 - lse(2, 1), 3 - lse(0, 3)};
  const double lr[4] = {1 - lse(1, 1), 2 - lse(0, 2), 1 - lse(1, 0), 2 - lse(1, 2)};
  double expected = 0;
  for (int i = 0; i < 4; ++i) expected += std::log1p(std::exp(beta * (lp[i] - lr[i])));
  expected *= (2.0 / beta) / 4.0;
  EXPECT_NEAR(npo_loss(logits, ref, beta).item<double>(), expected, 1e-5);
  // At the reference every term is log 2.
  EXPECT_NEAR(npo_loss(ref, ref, beta).item<double>(), (2.0 / beta) * std::log(2.0), 1e-5);
}

// ∇ of `loss` with respect to (img, txt), flattened.
torch::Tensor embedding_grad(const std::function<torch::Tensor(const torch::Tensor&, const torch::Tensor&)>& loss,
                             const torch::Tensor& img0, const torch::Tensor& txt0) {
  auto img = img0.clone().requires_grad_(true), txt = txt0.clone().requires_grad_(true);
  loss(img, txt).backward();
  return torch::cat({img.grad().flatten(), txt.grad().flatten()});
}

double cosine(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.dot(b) / (a.norm() * b.norm())).item<double>();
}

TEST(AscentObjectives, NpoGradientIsTheAscentDirection) {
  torch::manual_seed(3);
  namespace F = torch::nn::functional;
  auto unit = [](torch::Tensor x) { return F::normalize(x, F::NormalizeFuncOptions().dim(1)); };
  auto img = unit(torch::randn({6, 8})), txt = unit(torch::randn({6, 8}));
  auto scale = torch::tensor(10.0);
  auto groups = torch::tensor({0, 1, 2, 2, 3, 4}, torch::kLong);  // one masked pair of negatives
  auto ga = embedding_grad([&](auto& i, auto& t) { return -train::clip_loss(i, t, scale, groups); },
                           img, txt);
  auto npo_at = [&](const torch::Tensor& ref, double beta) {
    return embedding_grad(
        [&](auto& i, auto& t) { return npo_loss(train::masked_logits(i, t, scale, groups), ref, beta); },
        img, txt);
  };
  // At θ = θ_ref the NPO gradient is −∇L_CLIP for any β: the descent directions coincide.
  auto own = train::masked_logits(img, txt, scale, groups).detach();
  EXPECT_TRUE(torch::allclose(npo_at(own, 2.0), ga, 1e-4, 1e-6));
  // Away from the reference, small β approaches the GA direction; a large β leaves it.
  auto ref = train::masked_logits(unit(torch::randn({6, 8})), unit(torch::randn({6, 8})), scale, groups);
  EXPECT_GT(cosine(npo_at(ref, 1e-4), ga), 0.999);
  EXPECT_LT(cosine(npo_at(ref, 5.0), ga), cosine(npo_at(ref, 1e-4), ga));
}

TEST(AscentObjectives, InBatchKl) {
  const double inf = std::numeric_limits<double>::infinity();
  auto a = torch::tensor({2.0, -inf, 0.5, -inf, 1.0, 0.0, 0.3, 0.0, 1.5}).view({3, 3});
  EXPECT_NEAR(in_batch_kl(a, a).item<double>(), 0.0, 1e-7);
  auto b = a.clone();
  b.index_put_({2, 2}, -1.0);
  const double kl = in_batch_kl(a, b).item<double>();
  EXPECT_TRUE(std::isfinite(kl));
  EXPECT_GT(kl, 1e-3);
  // Closed form for a 2×2 case without masking: rows and columns of [[0,0],[0,c]].
  const double c = 1.0;
  auto p = torch::zeros({2, 2}), q = torch::tensor({0.0, 0.0, 0.0, c}).view({2, 2});
  // Row/column 0 is uniform under both; row/column 1: KL(½,½ ‖ σ(−c), σ(c)).
  const double s = 1.0 / (1.0 + std::exp(-c));
  const double kl1 = 0.5 * std::log(0.5 / (1 - s)) + 0.5 * std::log(0.5 / s);
  EXPECT_NEAR(in_batch_kl(p, q).item<double>(), kl1 / 2.0, 1e-6);
}

TEST(AscentObjectives, BadInputsAreNamed) {
  auto l = torch::zeros({2, 2});
  try {
    npo_loss(l, l, 0.0);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("β must be positive"), std::string::npos) << e.what();
  }
  try {
    in_batch_kl(l, torch::zeros({3, 3}));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("same shape"), std::string::npos) << e.what();
  }
}

// ---- methods on a tiny federated run ----------------------------------------------------

UnlearnConfig budget_config(int64_t steps) {
  UnlearnConfig u;
  u.stop = "budget";
  u.ascent_steps = steps;
  u.ascent_lr = 1e-3;
  return u;
}

// In-batch logits (no augmentation) of the model with `weights` on consecutive batches of 16
// of `ids`.
std::vector<torch::Tensor> pair_logits(const TinyRun& run, const ForgetSet& forget,
                                       const TensorMap& weights, const std::vector<int64_t>& ids) {
  UnlearnConfig u;
  auto model = model_with(inputs_of(run, forget, u, ""), weights);
  std::vector<torch::Tensor> out;
  for (size_t s = 0; s + 2 <= ids.size(); s += 16) {
    std::vector<int64_t> img, cap, grp;
    for (size_t i = s; i < std::min(ids.size(), s + 16); ++i) {
      const auto& p = run.ds.pairs[ids[i]];
      img.push_back(p.image), cap.push_back(p.caption), grp.push_back(p.unit);
    }
    auto vi = eval::embed_images(model, run.ds.images.index_select(0, torch::tensor(img)), run.ctx);
    auto vt = eval::embed_texts(model, run.tokens.index_select(0, torch::tensor(cap)), run.ctx);
    out.push_back(train::masked_logits(vi, vt, model->logit_scale_exp().detach(), torch::tensor(grp)));
  }
  return out;
}

double mean_clip_loss(const std::vector<torch::Tensor>& logits) {
  double sum = 0;
  for (const auto& l : logits) {
    auto target = torch::arange(l.size(0), torch::kLong);
    namespace F = torch::nn::functional;
    sum += 0.5 * (F::cross_entropy(l, target) + F::cross_entropy(l.t(), target)).item<double>();
  }
  return sum / double(logits.size());
}

TEST(AscentMethods, AllFiveAreRegistered) {
  for (const char* m : {"ga", "ga+ft", "npo", "graddiff", "klmin"}) EXPECT_TRUE(unlearners().contains(m)) << m;
}

TEST(AscentMethods, GaRaisesTheForgetLossWithinItsBudget) {
  const auto& run = shared_tiny_run();
  const auto forget = forget_set_of(run, "client:0");
  const auto u = budget_config(8);
  auto out = run_method("ga", run, forget, u);
  const double before = mean_clip_loss(pair_logits(run, forget, run.original, forget.forget));
  const double after = mean_clip_loss(pair_logits(run, forget, out.weights, forget.forget));
  EXPECT_GT(after, before + 0.05) << before << " → " << after;
  // "budget" takes exactly the cap; one round; the model goes down and up once.
  EXPECT_EQ(out.details["stop"], "budget");
  EXPECT_EQ(out.details["steps"], 8);
  EXPECT_FALSE(out.details["stopped_early"].get<bool>());
  EXPECT_TRUE(out.details["proxy_r1"].is_null());
  EXPECT_EQ(out.cost.local_steps, 8);
  EXPECT_EQ(out.cost.rounds, 1);
  EXPECT_EQ(out.cost.bytes, 2 * nbytes(run.original));
}

TEST(AscentMethods, GradDiffCountsBothStepsOfAnIteration) {
  const auto& run = shared_tiny_run();
  const auto forget = forget_set_of(run, "client:1");
  auto out = run_method("graddiff", run, forget, budget_config(5));
  EXPECT_EQ(out.details["steps"], 5);
  EXPECT_EQ(out.cost.local_steps, 10);
  // Client 1 leaves: it keeps no retained pairs, so its descent batches come from D_r.
  EXPECT_EQ(out.details["holders"][0]["retain_source"], "D_r");
}

TEST(AscentMethods, HoldoutRuleStopsAtOnceOrRunsToTheCap) {
  const auto& run = shared_tiny_run();
  const auto forget = forget_set_of(run, "client:0");
  auto u = budget_config(6);
  u.stop = "holdout";
  u.stop_every = 2;
  u.stop_margin = 100.0;  // any forget R@1 ≤ ρ + 100: stop before the first step
  auto at_once = run_method("ga", run, forget, u);
  EXPECT_EQ(at_once.details["steps"], 0);
  EXPECT_TRUE(at_once.details["stopped_early"].get<bool>());
  EXPECT_TRUE(lethe::testing::identical(at_once.weights, run.original));
  const auto& h = at_once.details["holders"][0];
  EXPECT_EQ(h["client"], 0);
  EXPECT_GE(h["gallery_units"].get<int64_t>(), 2);
  // The forget and holdout galleries have the same number of units, ≤ what the holdout holds.
  EXPECT_LE(h["gallery_units"].get<int64_t>(), static_cast<int64_t>(run.clients.val[0].size()));

  u.stop_margin = -100.0;  // never satisfied: the cap decides
  auto capped = run_method("ga", run, forget, u);
  EXPECT_EQ(capped.details["steps"], 6);
  EXPECT_FALSE(capped.details["stopped_early"].get<bool>());
  EXPECT_FALSE(capped.details["proxy_r1"].is_null());
  EXPECT_FALSE(capped.details["forget_r1"].is_null());
  EXPECT_DOUBLE_EQ(capped.details["proxy_r1"].get<double>(), h["proxy_r1"].get<double>());

  u.stop = "test";
  auto test_rule = run_method("ga", run, forget, u);
  EXPECT_EQ(test_rule.details["stop"], "test");
  EXPECT_FALSE(test_rule.details["proxy_r1"].is_null());
}

TEST(AscentMethods, KlMinKeepsRetainPredictionsCloserThanGradDiff) {
  const auto& run = shared_tiny_run();
  const auto forget = forget_set_of(run, "client:2");
  auto u = budget_config(10);
  u.ascent_lr = 3e-3;
  u.kl_weight = 50.0;
  auto gd = run_method("graddiff", run, forget, u);
  auto kl = run_method("klmin", run, forget, u);
  const std::vector<int64_t> probe(forget.retain.begin(), forget.retain.begin() + 64);
  auto ref = pair_logits(run, forget, run.original, probe);
  auto drift = [&](const TensorMap& w) {
    auto now = pair_logits(run, forget, w, probe);
    double s = 0;
    for (size_t i = 0; i < now.size(); ++i) s += in_batch_kl(ref[i], now[i]).item<double>();
    return s / double(now.size());
  };
  const double d_gd = drift(gd.weights), d_kl = drift(kl.weights);
  EXPECT_LT(d_kl, 0.5 * d_gd) << "klmin " << d_kl << " vs graddiff " << d_gd;
}

TEST(AscentMethods, SameSeedSameWeights) {
  const auto& run = shared_tiny_run();
  const auto forget = forget_set_of(run, "client:3");
  const auto u = budget_config(4);
  for (const char* m : {"npo", "klmin"}) {
    auto a = run_method(m, run, forget, u), b = run_method(m, run, forget, u);
    EXPECT_TRUE(lethe::testing::identical(a.weights, b.weights)) << m;
    EXPECT_FALSE(lethe::testing::identical(a.weights, run.original)) << m;
  }
  TinyRun other = run;  // the same θ^T and data under another seed: other shuffles
  other.ctx = run.ctx.with_seed(run.ctx.seed() + 1);
  auto a = run_method("npo", run, forget, u), c = run_method("npo", other, forget, u);
  EXPECT_FALSE(lethe::testing::identical(a.weights, c.weights));
}

TEST(AscentMethods, GaFtAddsFinetuneRounds) {
  const auto& run = shared_tiny_run();
  const auto forget = forget_set_of(run, "client:0");
  auto u = budget_config(3);
  u.finetune_rounds = 1;
  auto ga = run_method("ga", run, forget, u);
  auto ft = run_method("ga+ft", run, forget, u);
  EXPECT_EQ(ft.cost.rounds, 2);
  EXPECT_EQ(ft.details["finetune_rounds"], 1);
  EXPECT_GT(ft.cost.local_steps, ga.cost.local_steps);
  EXPECT_GT(ft.cost.bytes, ga.cost.bytes);
  EXPECT_FALSE(lethe::testing::identical(ft.weights, ga.weights));
}

TEST(AscentMethods, SeveralHoldersAscendLocallyAndTheServerAverages) {
  const auto& run = shared_tiny_run();
  const auto forget = forget_set_of(run, "concept:red");
  ASSERT_GE(forget.holders.size(), 2u);
  auto out = run_method("ga", run, forget, budget_config(2));
  const auto& holders = out.details["holders"];
  EXPECT_EQ(holders.size() + out.details["skipped_holders"].size(), forget.holders.size());
  EXPECT_EQ(out.cost.rounds, 1);
  EXPECT_EQ(out.cost.bytes, 2 * nbytes(run.original) * static_cast<int64_t>(holders.size()));
  EXPECT_EQ(out.cost.local_steps, 2 * static_cast<int64_t>(holders.size()));
  int64_t pairs = 0;
  for (const auto& h : holders) pairs += h["forget_pairs"].get<int64_t>();
  EXPECT_LE(pairs, static_cast<int64_t>(forget.forget.size()));
}

TEST(AscentMethods, AForgetSetTooSmallForABatchIsNamed) {
  const auto& run = shared_tiny_run();
  const auto ids = temp_dir() / "ids.txt";
  write_file_atomic(ids.string(), std::to_string(run.clients.train[0][0]) + "\n");
  const auto forget = forget_set_of(run, "samples:@" + ids.string());
  ASSERT_EQ(forget.forget.size(), 1u);  // shapes: one pair per unit
  try {
    run_method("npo", run, forget, budget_config(2));
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("2 forget pairs"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace lethe::unlearn
