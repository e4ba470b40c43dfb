// EASE (ease.cpp): GSD over modules on factors with known angles, the BKE loss in closed form,
// and the method on a tiny federated run — its excision equals the formula it documents, moves
// only along what its GSD mode allows, and its lock and re-anchoring do what they say.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>

#include "lethe/core/rng.h"
#include "lethe/core/safetensors.h"
#include "lethe/fl/history.h"
#include "lethe/unlearn/ascent.h"
#include "lethe/unlearn/audit.h"
#include "lethe/unlearn/contribution.h"
#include "lethe/unlearn/gsd.h"
#include "lethe/unlearn/reanchor.h"
#include "common/test_util.h"
#include "unlearn/fixture.h"

namespace lethe::unlearn {
namespace {

using testing::forget_set_of;
using testing::inputs_of;
using testing::shared_tiny_run;
using testing::temp_dir;

torch::Tensor unit(int64_t d, std::initializer_list<std::pair<int64_t, double>> entries) {
  auto v = torch::zeros({d, 1}, torch::kFloat64);
  for (auto [i, x] : entries) v[i][0] = x;
  return v / v.norm();
}

// Q_r = span{e0, e1}; Q_f = span{e0 (0°), e4 (90°), (e1 + e5)/√2 (45°)}.
Gsd known_split() {
  const int64_t d = 8;
  TensorMap forget{{"w", torch::cat({unit(d, {{0, 3.0}}), unit(d, {{4, 2.0}}), unit(d, {{1, 1.0}, {5, 1.0}})}, 1)}};
  std::map<std::string, std::vector<torch::Tensor>> retain{
      {"w", {torch::cat({unit(d, {{0, 1.0}}), unit(d, {{1, 1.0}})}, 1)}}};
  return Gsd::compute(forget, retain, {.energy = 1.0, .max_rank = 8, .tau = 65.0 * M_PI / 180.0});
}

TEST(Gsd, SplitsModulesByAngleAndWeighsDirectionsByExclusivity) {
  const auto gsd = known_split();
  ASSERT_TRUE(gsd.has("w"));
  const auto& m = gsd.modules().at("w");
  EXPECT_EQ(m.q_forget.size(1), 3);
  EXPECT_EQ(m.q_retain.size(1), 2);
  auto deg = m.split.angles * (180.0 / M_PI);
  EXPECT_NEAR(deg[0].item<double>(), 90.0, 1e-9);
  EXPECT_NEAR(deg[1].item<double>(), 45.0, 1e-9);
  EXPECT_NEAR(deg[2].item<double>(), 0.0, 1e-6);
  EXPECT_EQ(gsd.exclusive_directions(), 1);
  EXPECT_NEAR(std::abs(m.exclusive[4][0].item<double>()), 1.0, 1e-12);  // E = ±e4

  const auto e4 = unit(8, {{4, 1.0}}), e0 = unit(8, {{0, 1.0}}), e5 = unit(8, {{5, 1.0}});
  const auto mixed = unit(8, {{1, 1.0}, {5, 1.0}});
  auto comp = [&](const torch::Tensor& x, GsdMode mode) {
    return gsd.forget_component("w", x, mode).to(torch::kFloat64);
  };
  // soft: sin²θ of each forget principal direction: 1 along e4, ½ along (e1+e5)/√2, 0 along e0.
  EXPECT_TRUE(torch::allclose(comp(e4, GsdMode::kSoft), e4, 0, 1e-6));
  EXPECT_TRUE(torch::allclose(comp(mixed, GsdMode::kSoft), 0.5 * mixed, 0, 1e-6));
  EXPECT_LT(comp(e0, GsdMode::kSoft).abs().max().item<double>(), 1e-6);
  // hard: E only; off: everything.
  EXPECT_TRUE(torch::allclose(comp(e4, GsdMode::kHard), e4, 0, 1e-6));
  EXPECT_LT(comp(mixed, GsdMode::kHard).abs().max().item<double>(), 1e-6);
  EXPECT_TRUE(torch::allclose(comp(e5, GsdMode::kOff), e5, 0, 1e-6));
  // A module without a split: nothing (hard, soft) or everything (off).
  EXPECT_LT(gsd.forget_component("other", e5, GsdMode::kSoft).abs().max().item<float>(), 1e-12);
  EXPECT_TRUE(torch::allclose(gsd.forget_component("other", e5, GsdMode::kOff).to(torch::kFloat64), e5));
  // The retain-orthogonal projection removes e0, keeps e4.
  EXPECT_LT(gsd.retain_orthogonal("w", e0).abs().max().item<double>(), 1e-12);
  EXPECT_TRUE(torch::allclose(gsd.retain_orthogonal("w", e4), e4));
  EXPECT_EQ(gsd.exclusive_bases().at("w").scalar_type(), torch::kFloat);
  EXPECT_EQ(gsd.summary()["modules"]["w"]["exclusive"], 1);
  lethe::testing::expect_input_error([] { parse_gsd_mode("medium"); }, {"medium", "hard, soft, off"});
}

TEST(Gsd, AModuleNoRetainedClientTouchedIsWhollyExclusive) {
  TensorMap forget{{"w", torch::randn({6, 2}, torch::kFloat64)}};
  const auto gsd = Gsd::compute(forget, {}, {});
  EXPECT_EQ(gsd.modules().at("w").q_retain.size(1), 0);
  EXPECT_EQ(gsd.exclusive_directions(), 2);
}

TEST(Gsd, AFactorThatCannotBeFactorisedIsANumericalErrorNamingTheModule) {
  TensorMap forget{{"w", torch::randn({6, 2}, torch::kFloat64)}};
  forget.at("w")[3][1] = std::numeric_limits<double>::quiet_NaN();
  try {
    Gsd::compute(forget, {}, {});
    ADD_FAILURE() << "expected a NumericalError";
  } catch (const NumericalError& e) {
    EXPECT_STREQ(e.what(), "GSD of module 'w': orthonormal basis: the 6x2 matrix has non-finite entries");
  }
}

TEST(BkeLoss, MatchesTheClosedFormOn2x2AndIgnoresRowsWithoutNegatives) {
  const double a = 2.0, b = 0.5, c = -1.0, d = 1.0;
  auto l = torch::tensor({{a, b}, {c, d}}, torch::kFloat);
  auto img = torch::eye(2), txt = torch::eye(2);
  // −log(1 − P_ii) over a row of two is log(1 + e^{l_ii − l_ij}).
  auto sp = [](double x) { return std::log1p(std::exp(x)); };
  const double i2t = 0.5 * (sp(a - b) + sp(d - c)), t2i = 0.5 * (sp(a - c) + sp(d - b));
  const double margin = 0.8;
  // cos(v_i, v_i^T) = 1 for identical embeddings: displacement (1 − m) per tower.
  const double want = 0.5 * (i2t + t2i) + 0.5 * (2 * (1 - margin));
  EXPECT_NEAR(bke_loss(l, img, txt, img, txt, margin, 0.5).item<double>(), want, 1e-5);
  // Orthogonal to the reference: no displacement term.
  auto other = torch::tensor({{0.0f, 1.0f}, {1.0f, 0.0f}});
  EXPECT_NEAR(bke_loss(l, other, other, img, txt, margin, 0.5).item<double>(), 0.5 * (i2t + t2i), 1e-5);
  // Every negative masked: nothing to push apart, the un-alignment term is 0, not ∞.
  const double inf = std::numeric_limits<double>::infinity();
  auto masked = torch::tensor({{a, -inf}, {-inf, d}}, torch::kFloat);
  EXPECT_NEAR(bke_loss(masked, other, other, img, txt, margin, 0.5).item<double>(), 0.0, 1e-7);
  lethe::testing::expect_input_error([&] { bke_loss(l, torch::eye(3), txt, img, txt, margin, 0.5); },
                                     {"bke_loss"});
}

// ---- the method on a tiny federated run ---------------------------------------------------

UnlearnOutput run_ease(const testing::TinyRun& run, const ForgetSet& forget, const UnlearnConfig& u) {
  return testing::run_method("ease", run, forget, u);
}

UnlearnConfig excision_only(const std::string& gsd) {
  UnlearnConfig u;
  u.ease.gsd = gsd;
  u.ease.bke = "none";
  u.ease.recovery_rounds = 0;
  u.ease.exact_rounds = 0;
  return u;
}

TEST(Ease, WithoutGsdItSubtractsTheWholeStoredContribution) {
  const auto& run = shared_tiny_run();
  const auto forget = forget_set_of(run, "client:0");
  auto u = excision_only("off");
  u.ease.renormalise = false;
  auto out = run_ease(run, forget, u);
  HistoryReader h(run.run_dir, "test");
  auto want = sub(run.original, stored_contribution(h, 0, run.original).sum);
  for (const auto& [name, w] : want) EXPECT_TRUE(torch::allclose(out.weights.at(name), w, 1e-5, 1e-6)) << name;
  EXPECT_GT(out.cost.history_bytes_read, 0);
  EXPECT_EQ(out.cost.local_steps, 0);
}

// A stored sketch that is not finite (a run from before updates were screened, a damaged file)
// is an error about that record: another client's is left out of the retain basis and listed,
// the target's stops the request with an error naming the client.
TEST(Ease, ANonFiniteStoredSketchIsLeftOutOrRefusedByName) {
  auto run = shared_tiny_run();  // a copy, pointed at a copy of its run folder
  // Beside the test's temp folder, which run_ease empties for its scratch federations.
  const std::filesystem::path dir = temp_dir().string() + "_run";
  std::filesystem::remove_all(dir);
  std::filesystem::copy(run.run_dir, dir, std::filesystem::copy_options::recursive);
  run.run_dir = dir.string();
  const auto history = fl::UpdateHistory::open(run.run_dir + "/history");
  const int64_t damaged = history.sketched_clients().back();
  ASSERT_NE(damaged, 0);
  const auto index = history.index();
  for (const auto& s : index["sketches"]) {
    if (s["client"] != damaged) continue;
    auto sketch = history.sketch(damaged);  // the same layout, so the index's sizes still hold
    for (auto& [name, t] : sketch) t.fill_(std::numeric_limits<float>::quiet_NaN());
    write_safetensors(fmt::format("{}/history/sketches/client_{:04}/round_{:04}.safetensors", run.run_dir,
                                  damaged, s["version"].get<int64_t>()),
                      sketch);
  }
  const auto out = run_ease(run, forget_set_of(run, "client:0"), excision_only("hard"));
  const auto& bases = out.details["gsd"]["bases"];
  ASSERT_TRUE(bases.contains("skipped_sketches")) << bases.dump();
  EXPECT_EQ(bases["skipped_sketches"][0]["client"], damaged);
  for (const auto& k : bases["retain_clients"]) EXPECT_NE(k, damaged);
  EXPECT_TRUE(describe_nonfinite(out.weights).empty());
  lethe::testing::expect_input_error(
      [&] { run_ease(run, forget_set_of(run, fmt::format("client:{}", damaged)), excision_only("hard")); },
      {fmt::format("update sketch of client {} is unusable", damaged), "non-finite"});
}

TEST(Ease, HardGsdMovesMatricesOnlyAlongTheForgetExclusiveBasis) {
  const auto& run = shared_tiny_run();
  const auto forget = forget_set_of(run, "client:0");
  auto out = run_ease(run, forget, excision_only("hard"));
  const auto bases = out.lock.bases;
  ASSERT_FALSE(bases.empty()) << out.details["gsd"].dump();
  EXPECT_EQ(out.lock.directions(), out.details["gsd"]["exclusive_directions"].get<int64_t>());
  int64_t matrices = 0;
  for (const auto& [name, w] : out.weights) {
    auto diff = (w - run.original.at(name)).to(torch::kFloat64);
    if (w.dim() != 2) continue;
    ++matrices;
    if (!bases.count(name)) {
      EXPECT_LT(diff.abs().max().item<double>(), 1e-6) << name;  // no E: untouched
      continue;
    }
    auto e = bases.at(name).to(torch::kFloat64);
    auto outside = diff - e.matmul(e.t().matmul(diff));
    EXPECT_LT(outside.abs().max().item<double>(), 1e-5) << name;
  }
  EXPECT_GT(matrices, 0);
}

TEST(Ease, WeightsModeExcisesTheDisplacementFromInitAlongE) {
  const auto& run = shared_tiny_run();
  const auto forget = forget_set_of(run, "client:0");
  auto u = excision_only("hard");
  u.ease.excision = "weights";
  auto out = run_ease(run, forget, u);
  ASSERT_FALSE(out.lock.bases.empty());
  auto init_model = train::make_model(run.model_cfg, stream_seed(run.ctx.seed(), 0, -1, Stream::kInit));
  auto init = experiment::trainable_parameters(init_model);
  for (const auto& [name, e] : out.lock.bases) {
    auto e64 = e.to(torch::kFloat64);
    // After W ← W − EEᵀ(W − W₀), W − W₀ has no E component.
    auto disp = (out.weights.at(name) - init.at(name)).to(torch::kFloat64);
    EXPECT_LT(e64.t().matmul(disp).abs().max().item<double>(), 1e-4) << name;
  }
}

TEST(Ease, BkeRunsOnTheHoldersAndIsSkippedWhenTheTargetLeft) {
  const auto& run = shared_tiny_run();
  const auto forget = forget_set_of(run, "client:0");
  UnlearnConfig u;
  u.ease.bke_stop = "budget";
  u.ease.bke = "both";
  u.ease.bke_steps = 3;
  u.ease.recovery_rounds = 1;
  auto out = run_ease(run, forget, u);
  EXPECT_EQ(out.details["bke"]["steps"], 3);
  EXPECT_EQ(out.cost.rounds, 2);  // the BKE round and one recovery round
  EXPECT_GT(out.cost.local_steps, 3);
  u.ease.target_left = true;
  auto left = run_ease(run, forget, u);
  EXPECT_NE(left.details["bke"]["skipped"].get<std::string>().find("left"), std::string::npos);
  EXPECT_EQ(left.cost.rounds, 1);
}

// Subspace attribution (sample and concept requests) removes, beyond the holders' pair share of
// their updates, the rest of the updates' forget component: under hard GSD the difference from
// share attribution lies in E, and touches nothing GSD cannot split.
TEST(Ease, SubspaceAttributionAddsOnlyForgetComponentsToTheShare) {
  const auto& run = shared_tiny_run();
  const auto forget = forget_set_of(run, "concept:red");
  ASSERT_GE(forget.holders.size(), 2u);
  auto u = excision_only("hard");
  u.ease.gradient_batches = 2;
  u.ease.attribution = "share";
  const auto share = run_ease(run, forget, u);
  u.ease.attribution = "auto";
  const auto subspace = run_ease(run, forget, u);
  EXPECT_EQ(share.details["excision"]["attribution"], "share");
  EXPECT_EQ(subspace.details["excision"]["attribution"], "subspace");
  EXPECT_GT(subspace.details["excision"]["removed_norm"].get<double>(),
            share.details["excision"]["removed_norm"].get<double>());
  const auto& bases = subspace.lock.bases;
  ASSERT_FALSE(bases.empty());
  double moved = 0;
  for (const auto& [name, w] : subspace.weights) {
    auto diff = (w - share.weights.at(name)).to(torch::kFloat64);
    if (!bases.count(name)) {
      EXPECT_LT(diff.abs().max().item<double>(), 1e-6) << name;
      continue;
    }
    auto e = bases.at(name).to(torch::kFloat64);
    EXPECT_LT((diff - e.matmul(e.t().matmul(diff))).abs().max().item<double>(), 1e-5) << name;
    moved += diff.norm().item<double>();
  }
  EXPECT_GT(moved, 0.0);
  // A client request removes the whole client: nothing else to attribute.
  const auto client = run_ease(run, forget_set_of(run, "client:0"), u);
  EXPECT_EQ(client.details["excision"]["attribution"], "share");
}

// BKE's anchor alternates every forget step with a descent step on the holder's retained pairs.
TEST(Ease, TheBkeAnchorAddsOneRetainStepPerForgetStep) {
  const auto& run = shared_tiny_run();
  const auto forget = forget_set_of(run, "samples:1:0.5");
  auto u = excision_only("soft");
  u.ease.gradient_batches = 2;
  u.ease.bke_stop = "budget";
  u.ease.bke = "both";
  u.ease.bke_steps = 3;
  const auto anchored = run_ease(run, forget, u);
  u.ease.bke_anchor = false;
  const auto free = run_ease(run, forget, u);
  EXPECT_EQ(anchored.details["bke"]["anchor"], true);
  EXPECT_EQ(anchored.details["bke"]["holders"][0]["retain_source"], "holder");
  EXPECT_EQ(anchored.cost.local_steps - free.cost.local_steps, 3);
  EXPECT_FALSE(lethe::testing::identical(anchored.weights, free.weights));
}

TEST(Ease, RecoveryStepsCapEveryRetainedClientsLocalTraining) {
  const auto& run = shared_tiny_run();
  const auto forget = forget_set_of(run, "client:0");
  auto u = excision_only("soft");
  u.ease.recovery_rounds = 1;
  u.ease.recovery_steps = 2;
  auto out = run_ease(run, forget, u);
  EXPECT_EQ(out.cost.rounds, 1);
  EXPECT_EQ(out.cost.local_steps, 2 * 3);  // 3 retained clients, 2 steps each
  u.ease.recovery_steps = 0;  // the configured local epochs: more than 2 steps per client
  EXPECT_GT(run_ease(run, forget, u).cost.local_steps, 6);
}

TEST(Ease, SampleRequestsUseForgetGradientsAndStaySeeded) {
  const auto& run = shared_tiny_run();
  const auto forget = forget_set_of(run, "samples:1:0.5");
  auto u = excision_only("soft");
  u.ease.gradient_batches = 2;
  auto a = run_ease(run, forget, u);
  auto b = run_ease(run, forget, u);
  EXPECT_EQ(a.cost.local_steps, 4);  // 2 forget + 2 retain gradient batches
  EXPECT_NE(a.details["gsd"]["bases"]["forget"].get<std::string>().find("gradient"), std::string::npos);
  for (const auto& [name, w] : a.weights) {
    EXPECT_TRUE(torch::isfinite(w).all().item<bool>()) << name;
    EXPECT_TRUE(torch::equal(w, b.weights.at(name))) << name;
  }
}

TEST(Ease, LoraRunsSketchTheAdapterProductAndExciseOnlyItsUpProjections) {
  // Four rounds, so that "half the rounds" (2) differs from the full-parameter default (1).
  const auto run = testing::train_tiny_run((temp_dir() / "lora").string(), {"model.lora_rank=2", "fl.rounds=4"});
  // The history's modules are the adapters' products B·A (thin QR), named by their prefix.
  const auto history = fl::UpdateHistory::open(run.run_dir + "/history");
  const auto sketch = history.sketch(0);
  ASSERT_FALSE(sketch.empty());
  bool adapter_module = false;
  for (const auto& [module, t] : sketch) {
    EXPECT_FALSE(module.ends_with("lora_A") || module.ends_with("lora_B")) << module;
    adapter_module = adapter_module || run.original.count(module + "lora_B") > 0;
  }
  EXPECT_TRUE(adapter_module);

  const auto forget = forget_set_of(run, "client:0");
  auto u = excision_only("soft");
  u.ease.excision = "weights";
  u.ease.tau_deg = 30;
  // Its own work folder: a second temp_dir() call would empty the folder this run lives in.
  auto out = testing::run_method("ease", run, forget, u, run.run_dir + "/work");
  bool moved = false;
  for (const auto& [name, w] : out.weights) {
    const bool changed = !torch::equal(w, run.original.at(name));
    if (changed) EXPECT_TRUE(name.ends_with("lora_B")) << name;  // B ← B − G(B); A untouched
    moved = moved || changed;
  }
  EXPECT_TRUE(moved);
  for (const auto& [name, e] : out.lock.bases) EXPECT_TRUE(name.ends_with("lora_B")) << name;

  // ease.exact_rounds = -1 (the default) removes the later two thirds of the rounds whole for
  // adapters.
  auto by_regime = excision_only("soft");
  by_regime.ease.exact_rounds = -1;
  const auto later = testing::run_method("ease", run, forget, by_regime, run.run_dir + "/work-regime");
  const int64_t rounds = run.cfg.fl.rounds;
  EXPECT_EQ(later.details["excision"]["exact_rounds"].get<int64_t>(), std::max<int64_t>(1, rounds - rounds / 3));
}

TEST(Ease, TheAblationsAreRegisteredAndKnownAsAblations) {
  for (const char* m : {"ease-bke", "ease-image-bke", "ease-text-bke", "ease-no-bke", "ease-no-anchor",
                        "ease-share", "ease-no-gsd", "ease-no-recovery", "ease-penalty-lock"}) {
    EXPECT_TRUE(unlearners().contains(m)) << m;
    EXPECT_TRUE(is_ablation(m)) << m;
  }
  for (const char* m : {"ease", "federaser", "multidelete", "ease-unknown"}) EXPECT_FALSE(is_ablation(m)) << m;
  // Each runs where it changes what ease does: BKE is off for a client request by default and
  // on for sample and concept requests.
  const auto client = parse_request("client:0"), concept_request = parse_request("concept:red");
  EXPECT_TRUE(ablation_applies("ease-bke", client));
  EXPECT_FALSE(ablation_applies("ease-bke", concept_request));
  EXPECT_FALSE(ablation_applies("ease-no-bke", client));
  EXPECT_TRUE(ablation_applies("ease-no-bke", concept_request));
  EXPECT_TRUE(ablation_applies("ease-no-gsd", client) && ablation_applies("ease-no-gsd", concept_request));
}

// `auto` settles per request: BKE and the share-whole removal for the requests whose holders
// stay, the by-regime rounds and no BKE for a client.
TEST(Ease, AutoSettingsFollowTheRequest) {
  const auto& run = shared_tiny_run();
  UnlearnConfig u;
  u.ease.bke_steps = 2;
  u.ease.gradient_batches = 2;
  u.ease.recovery_rounds = 0;
  const auto concept_out = run_ease(run, forget_set_of(run, "concept:red"), u);
  EXPECT_EQ(concept_out.details["bke"]["towers"], "both");
  EXPECT_EQ(concept_out.details["bke"]["stop"], "budget");
  EXPECT_EQ(concept_out.details["excision"]["exact_rounds"].get<int64_t>(), run.cfg.fl.rounds);
  const auto client_out = run_ease(run, forget_set_of(run, "client:0"), u);
  EXPECT_EQ(client_out.details["bke"]["skipped"], "unlearn.ease.bke = none");
  EXPECT_EQ(client_out.details["excision"]["exact_rounds"].get<int64_t>(), 1);
}

TEST(Ease, FullParameterRunsRemoveOnlyTheLastRoundWholeByDefault) {
  const auto& run = shared_tiny_run();
  const auto forget = forget_set_of(run, "client:0");
  auto u = excision_only("soft");
  u.ease.exact_rounds = -1;
  const auto out = run_ease(run, forget, u);
  EXPECT_EQ(out.details["excision"]["exact_rounds"].get<int64_t>(), 1);
}

TEST(Ease, ThePenaltyLockIsAnchoredAtTheUnlearnedWeightsAndBoundsLaterRounds) {
  const auto& run = shared_tiny_run();
  const auto forget = forget_set_of(run, "client:0");
  auto u = excision_only("hard");
  const auto projected = run_ease(run, forget, u);
  u.ease.lock_form = "penalty";
  u.ease.lock_lambda = 50.0;
  const auto out = run_ease(run, forget, u);
  // Unlearning itself is the same (the server projects during it); only the lock handed on differs.
  EXPECT_TRUE(lethe::testing::identical(out.weights, projected.weights));
  ASSERT_FALSE(out.lock.empty());
  EXPECT_EQ(out.lock.form, fl::LockForm::kPenalty);
  EXPECT_EQ(out.lock.lambda, 50.0);
  EXPECT_EQ(out.lock.directions(), projected.lock.directions());
  for (const auto& [name, anchor] : out.lock.anchor) EXPECT_TRUE(torch::equal(anchor, out.weights.at(name))) << name;
  EXPECT_EQ(out.details["lock"]["form"], "penalty");

  auto in = inputs_of(run, forget, u, temp_dir().string());
  const auto sets = make_audit_sets(in);
  const auto curve = reanchor(in, sets, out.weights, out.lock, 2, "post-penalty");
  EXPECT_TRUE(curve.locked);
  EXPECT_EQ(curve.lock_form, "penalty");
  EXPECT_EQ(curve.forget_r1.size(), 3u);
}

TEST(Ease, ReanchoringUnderTheLockReportsEveryRound) {
  const auto& run = shared_tiny_run();
  const auto forget = forget_set_of(run, "client:0");
  auto u = excision_only("hard");
  auto out = run_ease(run, forget, u);
  auto in = inputs_of(run, forget, u, temp_dir().string());
  const auto sets = make_audit_sets(in);
  auto locked = reanchor(in, sets, out.weights, out.lock, 2, "post");
  EXPECT_TRUE(locked.locked);
  EXPECT_EQ(locked.lock_directions, out.lock.directions());
  EXPECT_EQ(locked.forget_r1.size(), 3u);
  EXPECT_EQ(locked.test_r1.size(), 3u);
  auto free = reanchor(in, sets, out.weights, fl::ForgetLock{}, 2, "post-free");
  EXPECT_FALSE(free.locked);
  EXPECT_EQ(free.forget_r1[0], locked.forget_r1[0]);  // the same start
  EXPECT_EQ(free.data, "retained");

  // The stress test: every client keeps its original data, the removed client's D_f included,
  // so the same rounds re-teach D_f (client 0 answers again).
  auto stressed = u;
  stressed.post_rounds_data = "original";
  const auto in_original = inputs_of(run, forget, stressed, in.work_dir);
  auto relearnt = reanchor(in_original, sets, out.weights, fl::ForgetLock{}, 2, "post-original");
  EXPECT_EQ(relearnt.data, "original");
  EXPECT_EQ(relearnt.forget_r1[0], free.forget_r1[0]);
  EXPECT_GT(relearnt.forget_r1[2], free.forget_r1[2]);
  EXPECT_GE(relearnt.max_forget_drift(), relearnt.forget_r1[2] - relearnt.forget_r1[0]);

  // The report's block: one curve per run, labelled by whether the lock held.
  MethodAudit ease_audit, finetune_audit;
  ease_audit.post_rounds = locked, ease_audit.post_rounds_unlocked = free;
  finetune_audit.post_rounds = free;
  const std::vector<std::pair<std::string, MethodAudit>> methods = {
      {"ease", ease_audit}, {"finetune", finetune_audit}, {"ga", MethodAudit{}}};
  auto curves = reanchoring_curves(methods);
  EXPECT_EQ(curves["rounds"], nlohmann::json({0, 1, 2}));
  EXPECT_EQ(curves["curves"]["ease (lock)"], nlohmann::json(locked.forget_r1));
  EXPECT_EQ(curves["curves"]["ease (no lock)"], nlohmann::json(free.forget_r1));
  EXPECT_EQ(curves["curves"]["finetune"], nlohmann::json(free.forget_r1));
  EXPECT_EQ(curves["curves"].size(), 3u);
  EXPECT_TRUE(reanchoring_curves({{"ga", MethodAudit{}}}).is_null());
  EXPECT_EQ(locked.lock_form, "projection");
  MethodAudit penalised;
  penalised.post_rounds = locked;
  penalised.post_rounds->lock_form = "penalty";
  EXPECT_TRUE(reanchoring_curves({{"ease", penalised}})["curves"].contains("ease (penalty lock)"));
}

}  // namespace
}  // namespace lethe::unlearn
