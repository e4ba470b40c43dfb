#pragma once
// A CreamFL federation end to end (METHODS.md §1): partition, parties, and the rounds — server
// public epoch, global representations, local training with the regularisers, representation
// upload, aggregation (ensemble or average), server distillation — with a metrics event per
// round and the communication of every round counted against what FedAvg would have moved.
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

#include "lethe/core/context.h"
#include "lethe/core/metrics.h"
#include "lethe/core/tensor_map.h"
#include "lethe/creamfl/creamfl_config.h"
#include "lethe/creamfl/partition.h"
#include "lethe/data/dataset.h"
#include "lethe/fl/client.h"
#include "lethe/fl/fl_config.h"
#include "lethe/models/clip.h"
#include "lethe/train/train_config.h"

namespace lethe::creamfl {

struct CreamInputs {
  const CreamConfig& cream;
  const fl::FlConfig& fl;               // rounds, sampling, local_epochs / local_steps, partition
  const train::TrainConfig& train;      // every party's and the server's AdamW, batch, augmentation
  const data::DataConfig& data;         // the emoji data (Fashion-MNIST is loaded beside it)
};

// What a round costs in memory and bytes, for benchmarks.
struct RoundProbe {
  // Called at the start of every round and after its last step (e.g. to reset and read the
  // process's peak RSS).
  std::function<void(int64_t round)> before, after;
};

// (round, client, share): rewrites a client's share of the round's server displacement in place.
using ShareFilter = std::function<void(int64_t round, int64_t client, TensorMap& share)>;

struct CreamRunOptions {
  // Continue from the newest checkpoint in <out_dir>/checkpoints (checkpoint.h); otherwise the
  // folder must hold none.
  bool resume = false;
  RoundProbe probe = {};
  // The federation's replays for unlearning (unlearn/creamfl_replay.h):
  // the partition to train on instead of the one the config and seed make (a deletion request's,
  // same parties in the same order);
  const CreamPartition* partition = nullptr;
  // the Fashion-MNIST data the caller already loaded (fashion_data), instead of loading it again;
  const data::Dataset* fashion = nullptr;
  // clients sampled as usual, then dropped (a removed client);
  std::vector<int64_t> excluded_clients = {};
  // a finished run's checkpoint folder: every party's model and optimiser and the server's
  // optimiser come from its newest checkpoint, the server's weights are `server`'s as passed,
  // and `rounds` (> 0) more rounds follow that checkpoint's round;
  std::string continue_from = {};
  int64_t rounds = 0;
  bool server_eval = true;   // the server's validation R@1 after every round
  // Applied (client −1) to the server's displacement of every round before it is kept, e.g. the
  // Forget Lock of EASE's recovery rounds (fl/forget_lock.h).
  fl::UpdateFilter server_filter = {};
  // Replaces each client's share of every round's server displacement (shares.h) by what it
  // makes of it, the rest of the displacement kept (FedEraser's calibration of a CreamFL run);
  // the shares are tracked for it whether or not a history is kept. Before server_filter.
  ShareFilter share_filter = {};
  // <out_dir>/history when creamfl.client_shares is on (fl.history_every, fl.sketch_max_rank):
  // every client's share of each round's server update (shares.h), for the history-based
  // unlearning methods. Never kept when continuing another run's checkpoints.
  bool history = true;
};

// The Fashion-MNIST dataset a run with these inputs gives its fashion clients (creamfl.fashion_images
// per split, at the emoji data's image size).
data::Dataset fashion_data(const CreamInputs& in);

// The partition a run with these inputs and seed trains on. `fashion`: the Fashion-MNIST
// dataset, loaded here when the config has fashion clients and it is null.
CreamPartition run_partition(const CreamInputs& in, const data::Dataset& ds, const data::Dataset* fashion,
                             uint64_t seed);

// What the rounds have added up so far (kept in checkpoints across resume).
struct RunCounters {
  int64_t fits = 0, steps = 0, bytes_up = 0, bytes_down = 0, fedavg_bytes = 0;
  double val_r1 = 0;
  nlohmann::json to_json() const;
  // InputError naming `source` for a missing or mistyped counter.
  static RunCounters from_json(const nlohmann::json& j, const std::string& source);
};

// What a CreamFL run (or continuation) did; to_json() is summary.json's "training" block.
struct CreamTotals {
  int64_t rounds = 0;    // rounds this call ran
  RunCounters counters;  // a resumed run's include its earlier rounds; a continuation's are its own
  int64_t public_pairs = 0, val_pairs = 0, server_parameters = 0;
  nlohmann::json clients;  // the roster: each party's kind, model and data
  double wall_s = 0;
  nlohmann::json to_json() const;
};

// Trains the server CLIP `server` (ds: the emoji dataset, tokens: every caption's tokens),
// writes <out_dir>/partition.json, the update history (creamfl.client_shares) and a checkpoint
// every fl.checkpoint_every rounds and after the last; returns the run's totals.
CreamTotals train_creamfl(models::Clip& server, const data::Dataset& ds,
                             const torch::Tensor& tokens, const CreamInputs& in,
                             const Context& ctx, const std::string& out_dir,
                             MetricsWriter& metrics, const CreamRunOptions& opts = {});

}  // namespace lethe::creamfl
