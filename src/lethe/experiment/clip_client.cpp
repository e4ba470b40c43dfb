#include "lethe/experiment/clip_client.h"

#include <charconv>

#include "lethe/core/error.h"
#include "lethe/core/shape.h"
#include "lethe/core/stopwatch.h"
#include "lethe/core/rng.h"
#include "lethe/eval/embed.h"
#include "lethe/fl/proximal.h"
#include "lethe/train/loop.h"
#include "lethe/train/loss.h"
#include "lethe/train/optimizer_state.h"

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
                       Context ctx, bool keep_optimizer)
    : model_(std::move(model)),
      ds_(ds),
      batches_(ds, std::move(tokens), cfg.augment_shift),
      train_(std::move(train_pairs)),
      val_(std::move(val_pairs)),
      cfg_(std::move(cfg)),
      ctx_(std::move(ctx)),
      keep_optimizer_(keep_optimizer) {}

void ClipClient::load_global(const TensorMap& global) { load_parameters(model_, global); }

fl::FitRes ClipClient::fit(int64_t client, const fl::FitIns& ins) {
  LETHE_CHECK(client >= 0 && client < static_cast<int64_t>(train_.size()),
              "client {} does not exist (the federation has {})", client, train_.size());
  load_global(ins.global);
  auto opt = train::make_optimizer(model_, cfg_);
  if (auto it = optimizer_state_.find(client); keep_optimizer_ && it != optimizer_state_.end())
    train::import_adamw_state(*model_, *opt, it->second, fmt::format("client {}", client));
  // Local training at a constant learning rate within the round.
  train::LrSchedule sched{cfg_.lr * ins.config.lr_scale, 0, 1, 1.0};
  auto rng = make_engine(ins.seed, ins.round, client, Stream::kShuffle);

  // Gradient views under parameter names, for the round's local rules (FedProx's term, the
  // server's terms and filters).
  TensorMap params;
  for (const auto& p : model_->named_parameters())
    if (ins.global.count(p.key())) params[p.key()] = p.value();
  train::LoopHooks hooks;
  const auto rules = fl::client_rules(ins);
  if (!rules.empty()) {
    hooks.after_backward = [&] {
      torch::NoGradGuard ng;
      TensorMap grads;
      for (auto& [name, p] : params)
        if (p.grad().defined()) grads[name] = p.grad();
      rules.apply(client, params, grads);
    };
  }
  int64_t step = 0;
  const Stopwatch clock;
  auto st = train::run_epochs(model_, *opt, batches_, train_[client], cfg_, ctx_, sched, step,
                              ins.config.local_epochs, rng, hooks, nullptr, ins.config.local_steps);
  const double train_seconds = clock.seconds();
  if (keep_optimizer_) optimizer_state_[client] = train::export_adamw_state(*model_, *opt);
  fl::FitRes res;
  {
    torch::NoGradGuard ng;
    for (const auto& [name, g] : ins.global) res.update[name] = params.at(name).detach() - g;
  }
  res.num_examples = static_cast<int64_t>(train_[client].size());
  res.loss = st.mean_loss();
  res.steps = st.steps;
  res.train_s = train_seconds;
  return res;
}

fl::StateBlob ClipClient::state() const {
  fl::StateBlob blob;
  if (!keep_optimizer_) return blob;
  nlohmann::json clients = nlohmann::json::array();
  for (const auto& [client, tensors] : optimizer_state_) {
    clients.push_back(client);
    for (const auto& [name, t] : tensors) blob.tensors[fmt::format("{}/{}", client, name)] = t;
  }
  blob.meta = {{"optimizer", "adamw"}, {"clients", clients}};
  return blob;
}

void ClipClient::load_state(const fl::StateBlob& state, const std::string& source) {
  LETHE_CHECK(keep_optimizer_, "'{}' holds clients' optimiser state but fl.client_optimizer is "
              "not \"keep\"", source);
  optimizer_state_.clear();
  try {
    LETHE_CHECK(state.meta.value("optimizer", "") == "adamw",
                "'{}': the clients' optimiser state is not AdamW's", source);
    for (const auto& c : state.meta.at("clients")) {
      const auto client = c.get<int64_t>();
      LETHE_CHECK(client >= 0 && client < static_cast<int64_t>(train_.size()),
                  "'{}' holds optimiser state of client {}, which does not exist", source, client);
      optimizer_state_[client];
    }
  } catch (const nlohmann::json::exception& e) {
    throw InputError(fmt::format("'{}': malformed clients' optimiser state: {}", source, e.what()));
  }
  for (const auto& [name, t] : state.tensors) {
    const auto slash = name.find('/');
    int64_t client = -1;
    if (slash != std::string::npos) {
      const auto [end, ec] = std::from_chars(name.data(), name.data() + slash, client);
      if (ec != std::errc() || end != name.data() + slash) client = -1;
    }
    auto it = optimizer_state_.find(client);
    LETHE_CHECK(it != optimizer_state_.end(), "'{}': unexpected client-state tensor '{}'", source,
                name);
    it->second[name.substr(slash + 1)] = t;
  }
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
