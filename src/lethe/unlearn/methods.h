#pragma once
// Registration of the built-in methods, grouped by the file that implements them.
#include "lethe/unlearn/unlearner.h"

namespace lethe::unlearn {

// finetune, retrain-free federated baselines (federated_methods.cpp).
void register_federated_methods(Registry<UnlearnerFactory>& r);
// ga, ga+ft, npo, graddiff, klmin (ascent_methods.cpp).
void register_ascent_methods(Registry<UnlearnerFactory>& r);
// federaser, pga, fedrecovery, history-subtraction (history_methods.cpp).
void register_history_methods(Registry<UnlearnerFactory>& r);
// multidelete (multidelete.cpp).
void register_multidelete(Registry<UnlearnerFactory>& r);
// ease (ease.cpp).
void register_ease(Registry<UnlearnerFactory>& r);

}  // namespace lethe::unlearn
