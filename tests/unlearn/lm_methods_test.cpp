// The multimodal LM's unlearning methods (METHODS.md §5): the registry, MMUnlearner's saliency
// masks and its protection of the parameters outside them, and that every method moves the
// forget questions' likelihood the way it should.
#include "lethe/unlearn/lm_methods.h"

#include <gtest/gtest.h>

#include "common/test_util.h"
#include "lethe/core/metrics.h"
#include "mllm/fixture.h"

namespace lethe::unlearn {
namespace {

using lethe::testing::expect_input_error;
using lethe::testing::have_emoji;

// One trained LM on 10 emoji shared by the tests (training is the expensive part).
struct Trained {
  Trained() : f(10) {
    f.cfg.epochs = 25;
    f.cfg.lr = 3e-3;
    MetricsWriter metrics;
    lm = mllm::train_lm(f.setup(), {}, metrics);
    forget = f.world.visual_items({0, 1}, false);
    retain_vqa = f.world.visual_items({2, 3, 4, 5, 6, 7, 8, 9}, false);
    text = f.world.text_items(f.world.all_entities());
  }
  LmUnlearnInputs inputs(const UnlearnConfig& u) const {
    return {f.ds, f.cfg, f.clip, f.ctx, lm, &lm, forget, retain_vqa, text, u};
  }
  // Mean answer NLL of items under weights.
  double nll(const TensorMap& w, const std::vector<mllm::QaItem>& items) const {
    auto m = mllm::lm_with(lm, w, f.cfg, f.clip);
    std::vector<int64_t> ids(items.size());
    for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int64_t>(i);
    torch::NoGradGuard ng;
    return mllm::answer_nll(m.model, mllm::make_batch(m.text(f.ds), items, ids), f.ctx).mean().item<double>();
  }

  lethe::testing::MllmFixture f;
  mllm::LmModel lm;
  std::vector<mllm::QaItem> forget, retain_vqa, text;
};

const Trained& trained() {
  static Trained t;
  return t;
}

TEST(LmUnlearn, RegistryHasTheMethodsAndNamesTheValidOnes) {
  for (const char* m : {"ga", "graddiff", "klmin", "npo", "mmunlearner"})
    EXPECT_TRUE(lm_unlearners().contains(m)) << m;
  expect_input_error([] { lm_unlearners().get("multidelete"); }, {"unknown", "mmunlearner"});
}

TEST(LmUnlearn, SaliencyMasksFollowGamma) {
  if (!have_emoji()) GTEST_SKIP() << "emoji npm packages not installed (run scripts/setup)";
  const auto& t = trained();
  UnlearnConfig u;
  u.mmunlearner.fisher_batches = 2;
  u.mmunlearner.gamma = 0.0;
  for (const auto& [k, m] : saliency_masks(t.inputs(u))) EXPECT_EQ(m.min().item<float>(), 1.0f) << k;
  u.mmunlearner.gamma = 2.0;
  int64_t on = 0, total = 0;
  for (const auto& [k, m] : saliency_masks(t.inputs(u))) {
    EXPECT_TRUE(((m == 0) | (m == 1)).all().item<bool>()) << k;
    on += m.sum().item<int64_t>(), total += m.numel();
  }
  EXPECT_GT(on, 0);
  EXPECT_LT(on, total);
  u.mmunlearner.gamma = 1e30;
  for (const auto& [k, m] : saliency_masks(t.inputs(u))) EXPECT_EQ(m.max().item<float>(), 0.0f) << k;
}

TEST(LmUnlearn, MmunlearnerMovesOnlyMaskedParametersUnlessUnprotected) {
  if (!have_emoji()) GTEST_SKIP() << "emoji npm packages not installed (run scripts/setup)";
  const auto& t = trained();
  UnlearnConfig u;
  u.mmunlearner.fisher_batches = 2;
  u.lm.lr = 1e-3;
  const auto masks = saliency_masks(t.inputs(u));
  const auto before = state_dict(*t.lm.model);
  auto out = lm_unlearners().get("mmunlearner").factory()->run(t.inputs(u));
  int64_t moved_inside = 0;
  for (const auto& [k, m] : masks) {
    const auto changed = out.weights.at(k) != before.at(k);
    EXPECT_FALSE((changed & (m == 0)).any().item<bool>()) << k << ": a protected parameter moved";
    moved_inside += (changed & (m == 1)).sum().item<int64_t>();
  }
  EXPECT_GT(moved_inside, 0);
  EXPECT_GT(out.details["mask_fraction"].get<double>(), 0.0);
  EXPECT_GT(t.nll(out.weights, t.forget), t.nll(before, t.forget));

  u.mmunlearner.protect = false;  // the released code: descent moves everything
  auto loose = lm_unlearners().get("mmunlearner").factory()->run(t.inputs(u));
  int64_t moved_outside = 0;
  for (const auto& [k, m] : masks)
    moved_outside += ((loose.weights.at(k) != before.at(k)) & (m == 0)).sum().item<int64_t>();
  EXPECT_GT(moved_outside, 0);
}

TEST(LmUnlearn, AscentMethodsRaiseTheForgetLossAndCountTheirSteps) {
  if (!have_emoji()) GTEST_SKIP() << "emoji npm packages not installed (run scripts/setup)";
  const auto& t = trained();
  UnlearnConfig u;
  u.lm.lr = 1e-3;
  const double base = t.nll(state_dict(*t.lm.model), t.forget);
  for (const char* m : {"ga", "graddiff", "klmin", "npo"}) {
    auto out = lm_unlearners().get(m).factory()->run(t.inputs(u));
    EXPECT_GT(t.nll(out.weights, t.forget), base) << m;
    EXPECT_GT(out.details["ascent_steps"].get<int64_t>(), 0) << m;
    EXPECT_EQ(out.cost.local_steps, out.details["ascent_steps"].get<int64_t>() +
                                        out.details["descent_steps"].get<int64_t>()) << m;
    EXPECT_EQ(out.details["descent_steps"].get<int64_t>() == 0, std::string(m) == "ga") << m;
  }
}

}  // namespace
}  // namespace lethe::unlearn
