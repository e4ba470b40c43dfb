#pragma once
// Federated rounds run by an unlearning method (recovery, fine-tuning) or after it (the
// re-anchoring check): the original experiment's engine on the retained clients, in a scratch
// folder, without history. A CreamFL run's rounds continue its federation (creamfl_replay.h).
#include "lethe/creamfl/train.h"
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

// What a federation's rounds cost (run_federation's or train_creamfl's totals): rounds, client
// steps, bytes down + up.
Cost federation_cost(const experiment::FederationResult& result);
Cost federation_cost(const creamfl::CreamTotals& totals);

// `rounds` rounds of the original strategy from `start` on the retained clients (the removed
// client, if any, is excluded), or on every client's original data (with_forget_data).
RoundsResult run_rounds(const UnlearnInputs& in, const TensorMap& start, int64_t rounds,
                        const std::string& tag, const RoundsOptions& opts = {});

}  // namespace lethe::unlearn
