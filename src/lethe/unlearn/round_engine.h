#pragma once
// What unlearning asks of the engine that trained a run, one engine per federated run kind:
// replay the training on D_r (the retrain reference, retrain.h) and run further rounds from
// given weights, under a Forget Lock when one is given (recovery, fine-tuning, re-anchoring).
// A weight federation (FedAvg and its family) runs experiment::run_federation; a CreamFL run its
// own rounds (creamfl_replay.h). Methods call run_rounds, which picks the engine by run kind and
// runs in a scratch folder without history.
#include <functional>
#include <string>

#include "lethe/core/metrics.h"
#include "lethe/creamfl/train.h"
#include "lethe/experiment/experiment.h"
#include "lethe/experiment/federated.h"
#include "lethe/unlearn/unlearner.h"

namespace lethe::unlearn {

struct RoundsResult {
  TensorMap weights;
  Cost cost;  // rounds, local steps, bytes (wall time is the caller's)
};

struct RoundsOptions {
  fl::ForgetLock lock = {};  // in force in every round (the server state holds it)
  int64_t local_steps = -1;  // ≥ 0: overrides fl.local_steps (a capped recovery)
  // The rounds run on the original partition, D_f and the removed clients included: holders
  // that kept training on the data they were asked to delete (the re-anchoring stress test).
  bool with_forget_data = false;
  // Called with the global weights after every round (the engine's server evaluation).
  std::function<void(int64_t round, const TensorMap& global)> after_round = {};
};

class RoundEngine {
 public:
  virtual ~RoundEngine() = default;
  // The run's training replayed from `model`'s weights (θ⁰) on D_r into `dir`: the same schedule
  // and client sampling, the removed clients sampled as in the run and dropped. `model` ends
  // holding θ^R.
  virtual Cost replay(const UnlearnInputs& in, models::Clip& model, const std::string& dir,
                      MetricsWriter& metrics) const = 0;
  // `rounds` rounds after the run's last from `model`'s weights, on the retained clients (or on
  // every client's original data: opts.with_forget_data), into `dir`. `model` ends holding the
  // last global weights.
  virtual Cost continue_rounds(const UnlearnInputs& in, models::Clip& model, int64_t rounds,
                               const std::string& dir, MetricsWriter& metrics,
                               const RoundsOptions& opts) const = 0;
};

// The engine of a run kind; InputError for a kind without federated rounds (central, multimodal LM).
const RoundEngine& round_engine(experiment::RunKind kind);

// What a federation's rounds cost (run_federation's or train_creamfl's totals): rounds, client
// steps, bytes down + up.
Cost federation_cost(const experiment::FederationResult& result);
Cost federation_cost(const creamfl::CreamTotals& totals);

// `rounds` rounds of the run's engine from `start` in <work_dir>/<tag> (continue_rounds).
RoundsResult run_rounds(const UnlearnInputs& in, const TensorMap& start, int64_t rounds,
                        const std::string& tag, const RoundsOptions& opts = {});

}  // namespace lethe::unlearn
