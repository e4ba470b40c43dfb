#pragma once
// Federated CLIP training: the partition, the CLIP client, a strategy from the registry and the
// simulation transport wired into fl::Federation.
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <string>
#include <vector>

#include "lethe/core/context.h"
#include "lethe/core/metrics.h"
#include "lethe/data/dataset.h"
#include "lethe/experiment/experiment.h"
#include "lethe/fl/client.h"
#include "lethe/fl/federation.h"
#include "lethe/models/clip.h"

namespace lethe::experiment {

// Who trains on what: per client, the pair ids it trains on and the ones it holds out.
struct ClientData {
  std::vector<std::vector<int64_t>> train;
  std::vector<std::vector<int64_t>> val;
  int64_t num_clients() const { return static_cast<int64_t>(train.size()); }
};

// A federated run's model, data and partition, for hooks that act on it between rounds.
struct RunScope {
  const ExperimentConfig& cfg;
  const Context& ctx;
  models::Clip& model;  // scratch: holds whatever the last evaluation loaded
  const data::Dataset& ds;
  const torch::Tensor& tokens;
  const ClientData& clients;
  const std::string& run_dir;
};

struct FederationOptions {
  std::vector<int64_t> excluded_clients = {};  // sampled as usual, then dropped (retrain replays)
  bool resume = false;
  int64_t rounds = 0;                     // 0 = cfg.fl.rounds
  bool server_eval = true;                // R@1 on the validation gallery after every round
  // Replaces the validation-gallery evaluation (runs whenever the server evaluates: set
  // fl.evaluate_every); the model is the caller's to load.
  fl::ServerEvaluation evaluation = {};
  fl::ForgetLock lock = {};               // installed on a fresh run (a resumed run keeps its own)
  TransportFactory transport = {};        // default: the in-process simulation
  BetweenRounds between_rounds = {};      // after every round (e.g. a deployed server's requests)
};

// What a weight federation did; to_json() is summary.json's "training" block.
struct FederationResult {
  fl::FederationTotals totals;  // rounds, client fits, steps, bytes, wall time (across resume)
  int64_t history_bytes = 0;    // the update history on disk
  nlohmann::json to_json() const;
};

// Runs the federation in `dir` (checkpoints/, history/) from the model's current weights (or
// the newest checkpoint when resuming); the model ends holding the final global weights.
FederationResult run_federation(models::Clip& model, const data::Dataset& ds,
                              const torch::Tensor& tokens, const ClientData& clients,
                              const ExperimentConfig& cfg, const Context& ctx,
                              const std::string& dir, MetricsWriter& metrics,
                              const FederationOptions& opts = {});

// The partition of a run folder (made on a fresh run, reloaded and checked otherwise).
ClientData client_data(const ExperimentConfig& cfg, const data::Dataset& ds, const std::string& run_dir);

// lethe train with mode = "federated": partition + run_federation.
nlohmann::json train_federated(models::Clip& model, const data::Dataset& ds,
                               const torch::Tensor& tokens, const ExperimentConfig& cfg,
                               const Context& ctx, const std::string& out_dir,
                               MetricsWriter& metrics, const RunOptions& opts);

}  // namespace lethe::experiment
