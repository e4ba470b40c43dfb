#include "lethe/experiment/clip_client.h"

#include "lethe/core/error.h"
#include "lethe/core/shape.h"
#include "lethe/core/rng.h"
#include "lethe/eval/embed.h"
#include "lethe/train/loop.h"
#include "lethe/train/loss.h"

namespace lethe::experiment {

void load_parameters(models::Clip& model, const TensorMap& weights) {
  torch::NoGradGuard ng;
  auto params = model->named_parameters();
  for (const auto& [name, w] : weights) {
    auto* p = params.find(name);
    LETHE_CHECK(p != nullptr, "weights name '{}', which the model does not have", name);
    LETHE_CHECK(p->sizes() == w.sizes(), "tensor '{}' has shape {} but the model expects {}", name,
                shape_str(w), shape_str(*p));
    p->copy_(w);
  }
}

TensorMap trainable_parameters(models::Clip& model) {
  TensorMap out;
  for (const auto& p : model->named_parameters())
    if (p.value().requires_grad()) out[p.key()] = p.value().detach().clone();
  return out;
}

ClipClient::ClipClient(models::Clip model, const data::Dataset& ds, torch::Tensor tokens,
                       std::vector<std::vector<int64_t>> train_pairs,
                       std::vector<std::vector<int64_t>> val_pairs, train::TrainConfig cfg,
                       Context ctx)
    : model_(std::move(model)),
      ds_(ds),
      batches_(ds, std::move(tokens), cfg.augment_shift),
      train_(std::move(train_pairs)),
      val_(std::move(val_pairs)),
      cfg_(std::move(cfg)),
      ctx_(std::move(ctx)) {}

void ClipClient::load_global(const TensorMap& global) { load_parameters(model_, global); }

fl::FitRes ClipClient::fit(int64_t client, const fl::FitIns& ins) {
  LETHE_CHECK(client >= 0 && client < static_cast<int64_t>(train_.size()),
              "client {} does not exist (the federation has {})", client, train_.size());
  load_global(ins.global);
  auto opt = train::make_optimizer(model_, cfg_);
  // Local training at a constant learning rate: each round starts a fresh optimiser.
  train::LrSchedule sched{cfg_.lr * ins.config.lr_scale, 0, 1, 1.0};
  auto rng = make_engine(ins.seed, ins.round, client, Stream::kShuffle);

  // Gradient views under parameter names, for the round's filters and FedProx.
  TensorMap params;
  for (const auto& p : model_->named_parameters())
    if (ins.global.count(p.key())) params[p.key()] = p.value();
  train::LoopHooks hooks;
  const double mu = ins.config.proximal_mu;
  if (mu > 0 || !ins.gradient_filters.empty()) {
    hooks.after_backward = [&] {
      torch::NoGradGuard ng;
      TensorMap grads;
      for (auto& [name, p] : params) {
        if (!p.grad().defined()) continue;
        if (mu > 0) p.mutable_grad().add_(p - ins.global.at(name), mu);
        grads[name] = p.grad();
      }
      for (const auto& f : ins.gradient_filters) f(client, grads);
    };
  }
  int64_t step = 0;
  auto st = train::run_epochs(model_, *opt, batches_, train_[client], cfg_, ctx_, sched, step,
                              ins.config.local_epochs, rng, hooks, nullptr, ins.config.local_steps);
  fl::FitRes res;
  {
    torch::NoGradGuard ng;
    for (const auto& [name, g] : ins.global) res.update[name] = params.at(name).detach() - g;
  }
  res.num_examples = static_cast<int64_t>(train_[client].size());
  res.loss = st.mean_loss();
  res.steps = st.steps;
  return res;
}

fl::EvaluateRes ClipClient::evaluate(int64_t client, const fl::EvaluateIns& ins) {
  load_global(ins.global);
  fl::EvaluateRes res;
  const auto& ids = val_.at(client);
  res.num_examples = static_cast<int64_t>(ids.size());
  if (ids.size() < 2) return res;
  auto block = eval::evaluate_pairs(model_, ds_, batches_.tokens(), ids, ctx_);
  res.metrics["r1"] = block.r1;
  res.metrics["gallery"] = static_cast<double>(block.gallery);
  return res;
}

}  // namespace lethe::experiment
