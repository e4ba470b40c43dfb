#include "lethe/train/optimizer_state.h"

#include <gtest/gtest.h>

#include "lethe/core/error.h"
#include "lethe/train/checkpoint.h"
#include "lethe/train/loop.h"

namespace lethe::train {
namespace {

struct StepFixture {
  StepFixture() {
    ContextConfig cc;
    cc.precision = "fp32";
    cc.threads = 1;
    ctx = Context(cc);
    mc.preset = "tiny";
    mc = mc.resolved();
    mc.image_size = 16;
    mc.vocab_size = 40;
    auto gen = torch::make_generator<at::CPUGeneratorImpl>(11);
    const int64_t b = 6;
    batch.images = torch::randn({b, 3, 16, 16}, gen);
    batch.tokens = torch::randint(1, 39, {b, mc.context_length}, gen, torch::kLong);
    batch.groups = torch::arange(b, torch::kLong);
  }
  TensorMap weights(models::Clip& m) {
    TensorMap out;
    for (const auto& p : m->named_parameters()) out[p.key()] = p.value().detach().clone();
    return out;
  }
  void load(models::Clip& m, const TensorMap& w) {
    torch::NoGradGuard ng;
    for (auto& p : m->named_parameters()) p.value().copy_(w.at(p.key()));
  }
  Context ctx;
  models::ClipConfig mc;
  TrainConfig tc;
  Batch batch;
};

bool same(const TensorMap& a, const TensorMap& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [k, v] : a)
    if (!b.count(k) || !torch::equal(v, b.at(k))) return false;
  return true;
}

TEST(OptimizerState, ExportedMomentsContinueTheSameTrajectory) {
  StepFixture s;
  auto model = make_model(s.mc, 1);
  auto opt = make_optimizer(model, s.tc);
  EXPECT_TRUE(export_adamw_state(*model, *opt).empty());  // no state before the first step
  for (int i = 0; i < 2; ++i) train_step(model, *opt, s.batch, s.tc, s.ctx);
  const auto state = export_adamw_state(*model, *opt);
  const auto w2 = s.weights(model);
  EXPECT_EQ(state.at("step.logit_scale").item<int64_t>(), 2);
  train_step(model, *opt, s.batch, s.tc, s.ctx);
  const auto continued = s.weights(model);

  // A new optimiser (a client's next round) with the exported state takes the same step ...
  auto other = make_model(s.mc, 2);
  s.load(other, w2);
  auto resumed = make_optimizer(other, s.tc);
  import_adamw_state(*other, *resumed, state, "test");
  train_step(other, *resumed, s.batch, s.tc, s.ctx);
  EXPECT_TRUE(same(s.weights(other), continued));

  // ... and a fresh one does not.
  s.load(other, w2);
  auto fresh = make_optimizer(other, s.tc);
  train_step(other, *fresh, s.batch, s.tc, s.ctx);
  EXPECT_FALSE(same(s.weights(other), continued));
}

TEST(OptimizerState, MissingOrMisshapenTensorIsNamed) {
  StepFixture s;
  auto model = make_model(s.mc, 1);
  auto opt = make_optimizer(model, s.tc);
  train_step(model, *opt, s.batch, s.tc, s.ctx);
  auto state = export_adamw_state(*model, *opt);
  auto missing = state;
  missing.erase("exp_avg.logit_scale");
  auto fresh = make_optimizer(model, s.tc);
  try {
    import_adamw_state(*model, *fresh, missing, "client 3");
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("'exp_avg.logit_scale'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("client 3"), std::string::npos) << e.what();
  }
  auto bent = state;
  bent["exp_avg_sq.logit_scale"] = torch::zeros({2});
  EXPECT_THROW(import_adamw_state(*model, *fresh, bent, "client 3"), InputError);
}

}  // namespace
}  // namespace lethe::train
