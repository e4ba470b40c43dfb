#pragma once
// FedProx's proximal term as a local rule (Li et al., 2020): a client's local loss gains
// (μ/2)·‖θ − θ^t‖², whose gradient μ·(θ − θ^t) is added after every backward, before the
// server's own terms and filters. Every client implementation takes its rules from here, so
// the proximal term and the Forget Lock's penalty go through the same path.
#include "lethe/fl/client.h"

namespace lethe::fl {

// ∂/∂θ of (μ/2)·‖θ − θ^t‖²: μ·(θ − θ^t), for the names `global` holds.
GradientTerm proximal_term(double mu, const TensorMap& global);

// What a client applies after every local backward this round: FedProx's term when the
// strategy asks for one (ins.config.proximal_mu > 0), then ins.local's terms and filters.
LocalRules client_rules(const FitIns& ins);

}  // namespace lethe::fl
