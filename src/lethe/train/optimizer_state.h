#pragma once
// AdamW's per-parameter state under parameter names, so that it can outlive one optimiser
// object: a federated client that keeps its moments between rounds (fl.client_optimizer =
// "keep") exports them after its local epochs and imports them into the next round's AdamW.
#include <torch/torch.h>

#include <string>

#include "lethe/core/tensor_map.h"

namespace lethe::train {

// The key LibTorch files a parameter's optimiser state under (its TensorImpl's address).
std::string optimizer_state_key(const torch::Tensor& p);

// "exp_avg.NAME", "exp_avg_sq.NAME" and "step.NAME" (a 0-d int64) for every trainable parameter
// NAME of `module` that `opt` holds state for (none before its first step).
TensorMap export_adamw_state(torch::nn::Module& module, torch::optim::AdamW& opt);

// Installs state exported by export_adamw_state into a fresh `opt` over the same module. Every
// trainable parameter must be present with its shape; `source` names the state in errors.
void import_adamw_state(torch::nn::Module& module, torch::optim::AdamW& opt, const TensorMap& state,
                        const std::string& source);

// What a long-lived trainer (a CreamFL party) carries from one round to the next, as one map:
// the module's parameters and buffers under "model/<name>" and its AdamW state under
// "adamw/<...>" (absent before the first step).
TensorMap export_training_state(torch::nn::Module& module, torch::optim::AdamW& opt);
// Installs it into the same architecture and a fresh `opt`; InputError naming `source` and the
// tensor when anything is missing or of another shape.
void import_training_state(torch::nn::Module& module, torch::optim::AdamW& opt,
                           const TensorMap& state, const std::string& source);

}  // namespace lethe::train
