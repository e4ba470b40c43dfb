#pragma once
// Registration of the built-in methods, grouped by the file that implements them.
#include "lethe/unlearn/unlearner.h"

namespace lethe::unlearn {

// finetune, retrain-free federated baselines (federated_methods.cpp).
void register_federated_methods(Registry<UnlearnerFactory>& r);

}  // namespace lethe::unlearn
