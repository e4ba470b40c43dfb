#pragma once
// Test doubles for the federation: a deterministic linear-regression client (one nn::Linear
// replica serves every virtual client; each client's data is regenerated from (data_seed,
// client) at every turn, so nothing per client is kept unless `momentum` asks each client to keep
// its SGD momentum buffer between rounds) and a plain-averaging strategy.
#include <torch/torch.h>

#include <functional>
#include <map>
#include <string>

#include "lethe/core/rng.h"
#include "lethe/core/tensor_map.h"
#include "lethe/fl/client.h"
#include "lethe/fl/proximal.h"
#include "lethe/fl/strategy.h"

namespace lethe::fl::testing {

struct ToyOptions {
  int64_t in = 6, out = 3;
  int64_t base_examples = 6;  // client k has base_examples + k % 5 examples
  int64_t batch = 4;
  double lr = 0.05;
  uint64_t data_seed = 7;
  double momentum = 0.0;  // > 0: SGD momentum whose buffer each client keeps between its rounds
};

class ToyClient final : public Client {
 public:
  explicit ToyClient(ToyOptions opts = {}) : opts_(opts), model_(opts.in, opts.out) {}

  // θ^0: seeded initial weights under nn::Linear's names.
  TensorMap initial() const {
    auto gen = make_generator(opts_.data_seed, 0, -1, Stream::kInit);
    return {{"bias", torch::zeros({opts_.out})},
            {"weight", torch::randn({opts_.out, opts_.in}, gen) * 0.1}};
  }

  int64_t examples(int64_t client) const { return opts_.base_examples + client % 5; }

  FitRes fit(int64_t client, const FitIns& ins) override {
    if (before_fit) before_fit(client, ins.round);
    load_state_dict(*model_, ins.global);
    auto [x, y] = data(client);
    auto engine = make_engine(ins.seed, ins.round, client, Stream::kShuffle);
    TensorMap params;
    for (const auto& p : model_->named_parameters()) params.emplace(p.key(), p.value());
    const auto rules = client_rules(ins);  // FedProx's term, then the server's
    FitRes res;
    double loss_sum = 0;
    const int64_t n = x.size(0);
    for (int64_t e = 0; e < ins.config.local_epochs; ++e) {
      auto perm = torch::tensor(permutation(n, engine));
      for (int64_t b = 0; b < n; b += opts_.batch) {
        auto idx = perm.narrow(0, b, std::min(opts_.batch, n - b));
        model_->zero_grad();
        auto loss = torch::mse_loss(model_->forward(x.index_select(0, idx)), y.index_select(0, idx));
        loss.backward();
        torch::NoGradGuard ng;
        TensorMap grads;
        for (auto& [name, p] : params) grads.emplace(name, p.grad());
        rules.apply(client, params, grads);
        for (auto& [name, p] : params) {
          torch::Tensor step = p.grad();
          if (opts_.momentum > 0) {
            auto [it, fresh] = buffers_[client].try_emplace(name, torch::zeros_like(p));
            step = it->second.mul_(opts_.momentum).add_(p.grad());
          }
          p.sub_(step, opts_.lr);
        }
        loss_sum += loss.item<double>();
        ++res.steps;
      }
    }
    res.update = sub(state_dict(*model_), ins.global);
    res.num_examples = n;
    res.loss = loss_sum / double(res.steps);
    return res;
  }

  EvaluateRes evaluate(int64_t client, const EvaluateIns& ins) override {
    load_state_dict(*model_, ins.global);
    auto [x, y] = data(client);
    torch::NoGradGuard ng;
    EvaluateRes r;
    r.num_examples = x.size(0);
    r.loss = torch::mse_loss(model_->forward(x), y).item<double>();
    r.metrics["client_id"] = double(client);
    return r;
  }

  StateBlob state() const override {
    StateBlob blob;
    for (const auto& [client, buffers] : buffers_)
      for (const auto& [name, b] : buffers) blob.tensors[std::to_string(client) + "/" + name] = b.clone();
    return blob;
  }
  void load_state(const StateBlob& state, const std::string&) override {
    buffers_.clear();
    for (const auto& [key, t] : state.tensors) {
      const auto slash = key.find('/');
      buffers_[std::stoll(key.substr(0, slash))][key.substr(slash + 1)] = t.clone();
    }
  }

  // Called before every fit: tests throw from it to simulate a crash.
  std::function<void(int64_t client, int64_t round)> before_fit;

 private:
  // x ~ N(0, I); y = (W* + client shift)·x + noise, all from (data_seed, client).
  std::pair<torch::Tensor, torch::Tensor> data(int64_t client) const {
    auto gen = make_generator(opts_.data_seed, 0, client, Stream::kInit);
    auto x = torch::randn({examples(client), opts_.in}, gen);
    auto w = torch::randn({opts_.out, opts_.in}, gen) * 0.1 +
             torch::linspace(-1, 1, opts_.out * opts_.in).reshape({opts_.out, opts_.in});
    auto y = x.matmul(w.t()) + 0.01 * torch::randn({examples(client), opts_.out}, gen);
    return {x, y};
  }

  ToyOptions opts_;
  torch::nn::Linear model_;
  std::map<int64_t, TensorMap> buffers_;  // momentum buffers by client
};

// θ^{t+1} = θ^t + Δ̄ (FedAvg without the strategies module).
class MeanStrategy final : public Strategy {
 public:
  using Strategy::Strategy;
  std::string name() const override { return "mean"; }
  TensorMap aggregate_fit(int64_t, const TensorMap& global, const UpdateAggregator& results) override {
    auto next = clone(global);
    add_(next, results.result());
    return next;
  }
};

}  // namespace lethe::fl::testing
