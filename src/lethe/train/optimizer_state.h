#pragma once
// AdamW's per-parameter state under parameter names, so that it can outlive one optimiser
// object: a federated client that keeps its moments between rounds (fl.client_optimizer =
// "keep") exports them after its local epochs and imports them into the next round's AdamW.
#include <torch/torch.h>

#include "lethe/core/tensor_map.h"
#include "lethe/models/clip.h"

namespace lethe::train {

// "exp_avg.NAME", "exp_avg_sq.NAME" and "step.NAME" (a 0-d int64) for every trainable parameter
// NAME of `model` that `opt` holds state for (none before its first step).
TensorMap export_adamw_state(models::Clip& model, torch::optim::AdamW& opt);

// Installs state exported by export_adamw_state into a fresh `opt` over the same model. Every
// trainable parameter must be present with its shape; `source` names the state in errors.
void import_adamw_state(models::Clip& model, torch::optim::AdamW& opt, const TensorMap& state,
                        const std::string& source);

}  // namespace lethe::train
