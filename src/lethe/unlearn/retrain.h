#pragma once
// The retrain reference θ^R (METHODS.md §2): the original federated training replayed on D_r —
// same initial weights, seeds, schedule and client sampling, the removed client sampled and
// dropped — cached in <run>/unlearn/retrain-<manifest sha>/ and reused by later requests with
// the same manifest.
#include <nlohmann/json.hpp>

#include "lethe/unlearn/unlearner.h"

namespace lethe::unlearn {

struct Reference {
  TensorMap weights;
  double wall_s = 0;  // of the replay that produced it (also when read from the cache)
  Cost cost;
  bool from_cache = false;
};

Reference retrain_reference(const UnlearnInputs& in, const std::string& cache_dir);

}  // namespace lethe::unlearn
