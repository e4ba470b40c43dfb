#pragma once
// The client side of a federation (Flower's Client, made fit for simulation): one Client object
// serves every virtual client id. It keeps one model replica, loads the global weights into it
// at each turn and trains on the data of the client id it is called with, so memory does not
// grow with the number of clients beyond their data index.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "lethe/core/tensor_map.h"
#include "lethe/fl/state_blob.h"

namespace lethe::fl {

// A projection applied in place: by the server to every incoming update before aggregation,
// and by clients to every local gradient after backward (e.g. EASE's Forget Lock). `tensors`
// holds the update (or the gradients, aliasing param.grad()) under the parameter names; a
// filter may skip names it does not know.
using UpdateFilter = std::function<void(int64_t client, TensorMap& tensors)>;

// ∂/∂θ of a penalty the server asks clients to add to their local loss (the Forget Lock's
// penalty form), added to `grads` (aliasing param.grad()) given the client's current `params`,
// both under the parameter names; a term may skip names it does not know.
using GradientTerm = std::function<void(int64_t client, const TensorMap& params, TensorMap& grads)>;

// What every client's local steps carry this round beyond its FitConfig: after every backward,
// the gradient terms are added, then the filters applied, in order.
struct LocalRules {
  std::vector<GradientTerm> gradient_terms;
  std::vector<UpdateFilter> gradient_filters;
  bool empty() const { return gradient_terms.empty() && gradient_filters.empty(); }
  void apply(int64_t client, const TensorMap& params, TensorMap& grads) const {
    for (const auto& t : gradient_terms) t(client, params, grads);
    for (const auto& f : gradient_filters) f(client, grads);
  }
};

// What the strategy asks of one client this round.
struct FitConfig {
  int64_t local_epochs = 1;
  int64_t local_steps = 0;   // > 0: stop after this many optimiser steps (within local_epochs)
  double proximal_mu = 0.0;  // > 0: add (μ/2)·‖θ − θ^t‖² to the local loss (FedProx)
  double lr_scale = 1.0;     // this round's client learning rate = train.lr × lr_scale
  nlohmann::json extra = nlohmann::json::object();  // strategy-specific settings
};

struct FitInstruction {
  int64_t client = 0;
  FitConfig config;
};

struct FitIns {
  const TensorMap& global;  // θ^t: the trainable parameters the update is taken against
  int64_t round = 0;        // 1-based
  uint64_t seed = 0;        // run seed: local shuffles use make_engine(seed, round, client, kShuffle)
  FitConfig config;
  const LocalRules& local;  // on the gradients after every local backward
};

struct FitRes {
  TensorMap update;          // θ_k − θ^t: the same names, shapes and dtypes as FitIns::global
  int64_t num_examples = 0;  // n_k: training examples this round's weight is based on
  double loss = 0.0;         // mean local training loss
  int64_t steps = 0;         // local optimiser steps (drives the simulated response time)
  double train_s = 0.0;      // wall seconds of local optimisation; the rest of the fit (loading
                             // θ^t, computing the update) is federation overhead
  nlohmann::json metrics = nlohmann::json::object();
};

struct EvaluateIns {
  const TensorMap& global;
  int64_t round = 0;
};

struct EvaluateRes {
  int64_t num_examples = 0;  // weight in the federated average
  double loss = 0.0;
  std::map<std::string, double> metrics;  // averaged over clients, weighted by num_examples
};

class Client {
 public:
  virtual ~Client() = default;
  // Trains virtual client `client` for one round from ins.global.
  virtual FitRes fit(int64_t client, const FitIns& ins) = 0;
  // Evaluates ins.global on client `client`'s local validation split.
  virtual EvaluateRes evaluate(int64_t client, const EvaluateIns& ins) = 0;

  // What the virtual clients carry from one of their rounds to the next (e.g. optimiser
  // moments); empty for stateless clients. The simulation saves it with every server checkpoint
  // so that a resumed run is exact; a deployed client keeps its own.
  virtual StateBlob state() const { return {}; }
  // Restores state() from a checkpoint; `source` names it in errors.
  virtual void load_state(const StateBlob& /*state*/, const std::string& /*source*/) {}
};

}  // namespace lethe::fl
