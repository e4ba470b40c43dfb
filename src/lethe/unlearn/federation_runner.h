#pragma once
// Federated rounds run by an unlearning method (recovery, fine-tuning): the original
// experiment's engine on the retained clients, in a scratch folder, without history.
#include "lethe/unlearn/unlearner.h"

namespace lethe::unlearn {

struct RoundsResult {
  TensorMap weights;
  Cost cost;  // rounds, local steps, bytes (wall time is the caller's)
};

// `rounds` rounds of the original strategy from `start` on the retained clients (the removed
// client, if any, is excluded); filters apply to every update and gradient (the Forget Lock).
RoundsResult run_rounds(const UnlearnInputs& in, const TensorMap& start, int64_t rounds,
                        const std::string& tag, const std::vector<fl::UpdateFilter>& filters = {});

}  // namespace lethe::unlearn
