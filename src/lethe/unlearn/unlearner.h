#pragma once
// The Unlearner interface and its registry. A method gets the original run (config, data,
// partition, θ^T, history) and the forget set, and returns new weights plus what it cost.
// Methods never see a transport: the federations they run are the same engine as training.
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>

#include "lethe/core/context.h"
#include "lethe/core/registry.h"
#include "lethe/core/tensor_map.h"
#include "lethe/experiment/experiment.h"
#include "lethe/experiment/federated.h"
#include "lethe/fl/forget_lock.h"
#include "lethe/unlearn/forget_set.h"
#include "lethe/unlearn/unlearn_config.h"

namespace lethe::unlearn {

struct Cost {
  double wall_s = 0;             // measured by the caller around run()
  int64_t local_steps = 0;       // client optimiser steps
  int64_t rounds = 0;            // federated rounds
  int64_t bytes = 0;             // bytes communicated (down + up)
  int64_t history_bytes_read = 0;
  nlohmann::json to_json() const;
};

struct UnlearnInputs {
  const experiment::ExperimentConfig& cfg;  // the original run's resolved config
  const Context& ctx;
  const data::Dataset& ds;
  const torch::Tensor& tokens;              // every caption's tokens
  const experiment::ClientData& clients;    // the original partition
  const ForgetSet& forget;
  const TensorMap& original;                // θ^T: trainable parameters
  const models::ClipConfig& model_cfg;      // resolved
  const UnlearnConfig& ucfg;
  std::string run_dir;                      // the original run (history/, checkpoints/)
  std::string work_dir;                     // scratch for this method's own federations
  // A CreamFL run with Fashion-MNIST clients: the emoji data the federation trains on, which
  // `ds` extends with Fashion-MNIST's pairs (ids from federation->num_pairs(); creamfl_replay.h)
  // so that requests and the audit name both. Null: `ds` is the federation's data.
  const data::Dataset* federation = nullptr;
  // A run started from pretrained weights (model.init): those weights, which θ⁰ holds under its
  // seeded adapters. Null: θ⁰ is the seeded fresh model.
  const TensorMap* pretrained = nullptr;
};

// Whether pair `p` of in.ds is one the federation's own data does not hold (a Fashion-MNIST pair
// of a CreamFL run).
inline bool is_appended(const UnlearnInputs& in, int64_t p) {
  return in.federation && p >= in.federation->num_pairs();
}

struct UnlearnOutput {
  TensorMap weights;  // trainable parameters of the unlearned model
  Cost cost;
  nlohmann::json details = nlohmann::json::object();  // method-specific (stopping rule, |E|, …)
  fl::ForgetLock lock = {};  // what every later round must keep (EASE); empty for other methods
};

class Unlearner {
 public:
  virtual ~Unlearner() = default;
  virtual UnlearnOutput run(const UnlearnInputs& in) = 0;
  // Whether the method reads the run's stored per-client weight updates (<run>/history): a
  // weight-averaging federation's, or each client's share of a CreamFL server's updates.
  virtual bool reads_history() const { return false; }
};

using UnlearnerFactory = std::function<std::unique_ptr<Unlearner>()>;
// Every built-in method (METHODS.md §2), from the registry's first use.
Registry<UnlearnerFactory>& unlearners();
// Whether `method` is a registered ablation of another method (ease-no-gsd, ...): one knob of
// its parent changed, to show what that part does.
bool is_ablation(const std::string& method);
// Whether ablation `method` changes what its parent does for `request` (ease-bke: client
// requests only, where ease runs no BKE; ease-no-bke: sample and concept requests only).
bool ablation_applies(const std::string& method, const Request& request);

// One deletion request honoured by one registered method: the method's output, its wall time in
// cost.wall_s. The one path every caller takes — `lethe unlearn` (and through it the benchmark
// and `import lethe`) and the live server between rounds (rpc/deploy.cpp).
UnlearnOutput honour_request(const UnlearnInputs& in, const std::string& method);

// The original run's initial model θ^0 (experiment.cpp's make_workbench: this seed stream, and
// the pretrained weights of a model.init run).
models::Clip initial_model(const UnlearnInputs& in);

// A model built from `weights` (trainable parameters over the original's architecture).
models::Clip model_with(const UnlearnInputs& in, const TensorMap& weights);

}  // namespace lethe::unlearn
