#pragma once
// `lethe bench deployment`: a deployed federation on loopback — this process serves, N
// `lethe client` child processes train — for a few rounds: round latency, bytes and the
// server's peak RSS, and whether every client was counted in every round.
#include <nlohmann/json.hpp>

#include "lethe/bench/suites.h"

namespace lethe::rpc {

nlohmann::json deployment_suite(const bench::SuiteArgs& args);
// Adds "deployment" to bench::suites() (the bench module itself does not link gRPC).
void register_deployment_suite();

}  // namespace lethe::rpc
