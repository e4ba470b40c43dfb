#pragma once
// A piece of federation state that checkpoints store exactly: tensors (e.g. optimiser moments,
// named like the parameters) plus JSON (counters, settings).
#include <nlohmann/json.hpp>

#include "lethe/core/tensor_map.h"

namespace lethe::fl {

struct StateBlob {
  TensorMap tensors;
  nlohmann::json meta = nlohmann::json::object();
  bool empty() const { return tensors.empty() && meta.empty(); }
};

}  // namespace lethe::fl
