#include "lethe/train/loop.h"

#include <algorithm>

#include <fmt/format.h>

#include "lethe/core/error.h"
#include "lethe/core/stopwatch.h"
#include "lethe/train/loss.h"

namespace lethe::train {

std::unique_ptr<torch::optim::AdamW> make_optimizer(torch::nn::Module& module,
                                                    const TrainConfig& cfg) {
  std::vector<torch::Tensor> decay, no_decay;
  for (const auto& p : module.named_parameters()) {
    if (!p.value().requires_grad()) continue;
    (p.value().dim() >= 2 ? decay : no_decay).push_back(p.value());
  }
  LETHE_CHECK(!decay.empty() || !no_decay.empty(), "the model has no trainable parameters");
  auto opts = torch::optim::AdamWOptions(cfg.lr)
                  .betas({cfg.beta1, cfg.beta2})
                  .eps(cfg.eps)
                  .weight_decay(cfg.weight_decay);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  if (!decay.empty()) groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(opts));
  auto nd = opts;
  nd.weight_decay(0.0);
  if (!no_decay.empty()) groups.emplace_back(no_decay, std::make_unique<torch::optim::AdamWOptions>(nd));
  return std::make_unique<torch::optim::AdamW>(std::move(groups), opts);
}

void set_lr(torch::optim::Optimizer& opt, double lr) {
  for (auto& g : opt.param_groups()) static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
}

BatchEmbeddings embed_batch(models::Clip& model, const Batch& batch, const Context& ctx) {
  AutocastGuard ac(ctx);
  auto img = model->encode_image(batch.images.to(ctx.device()));
  auto txt = model->encode_text(batch.tokens.to(ctx.device()));
  namespace F = torch::nn::functional;
  return {F::normalize(img.to(torch::kFloat), F::NormalizeFuncOptions().dim(1)),
          F::normalize(txt.to(torch::kFloat), F::NormalizeFuncOptions().dim(1))};
}

torch::Tensor batch_loss(models::Clip& model, const Batch& batch, const Context& ctx) {
  AutocastGuard ac(ctx);  // the loss's similarity matmul too, as before the split
  const auto e = embed_batch(model, batch, ctx);
  return clip_loss(e.image, e.text, model->logit_scale_exp(), batch.groups.to(ctx.device()));
}

void clear_grads(torch::optim::Optimizer& opt) {
  for (auto& g : opt.param_groups())
    for (auto& p : g.params()) p.mutable_grad().reset();
}

double clip_and_step(torch::optim::Optimizer& opt, double clip_grad) {
  double factor = 1.0;
  if (clip_grad > 0) {
    std::vector<torch::Tensor> params;
    for (auto& g : opt.param_groups())
      for (auto& p : g.params()) params.push_back(p);
    const double norm = torch::nn::utils::clip_grad_norm_(params, clip_grad);
    factor = std::min(1.0, clip_grad / (norm + 1e-6));  // clip_grad_norm_'s own coefficient
  }
  opt.step();
  return factor;
}

double descend(torch::optim::Optimizer& opt, const torch::Tensor& loss, double clip_grad,
               const std::string& who, double* clip_factor) {
  clear_grads(opt);
  loss.backward();
  const double factor = clip_and_step(opt, clip_grad);
  if (clip_factor) *clip_factor = factor;
  const double l = loss.item<double>();
  if (!std::isfinite(l))
    throw NumericalError(fmt::format("{} diverged: loss is {} (lower train.lr?)", who, l));
  return l;
}

double train_step(models::Clip& model, torch::optim::Optimizer& opt, const Batch& batch,
                  const TrainConfig& cfg, const Context& ctx, const LoopHooks& hooks,
                  StepTimes* times) {
  const Stopwatch clock;
  clear_grads(opt);
  auto loss = batch_loss(model, batch, ctx);
  const double forward_end = clock.seconds();
  loss.backward();
  const double backward_end = clock.seconds();
  if (hooks.after_backward) hooks.after_backward();
  clip_and_step(opt, cfg.clip_grad);
  const double l = loss.item<double>();
  if (!std::isfinite(l)) throw NumericalError(fmt::format("training diverged: loss is {} (lower train.lr?)", l));
  if (times) *times = {forward_end, backward_end - forward_end, clock.seconds() - backward_end};
  return l;
}

LoopStats run_epochs(models::Clip& model, torch::optim::Optimizer& opt, const BatchMaker& batches,
                     const std::vector<int64_t>& pair_ids, const TrainConfig& cfg,
                     const Context& ctx, const LrSchedule& schedule, int64_t& step,
                     int64_t epochs, std::mt19937_64& rng, const LoopHooks& hooks,
                     Progress* progress, int64_t max_steps) {
  LoopStats st;
  model->train();
  for (int64_t e = 0; e < epochs; ++e) {
    for (const auto& ids : epoch_batches(pair_ids, cfg.batch_size, rng)) {
      if (max_steps > 0 && st.steps == max_steps) return st;
      set_lr(opt, schedule.at(step));
      double l = train_step(model, opt, batches.make(ids, &rng), cfg, ctx, hooks);
      ++step, ++st.steps;
      st.samples += static_cast<int64_t>(ids.size());
      st.loss_sum += l;
      if (progress) {
        progress->set_note(fmt::format("loss {:.3f}", l));
        progress->tick();
      }
    }
  }
  return st;
}

}  // namespace lethe::train
