#pragma once
// Federated CLIP over the network: what `lethe server` and `lethe client` run. The server is
// `lethe train` with the RPC transport in place of the simulation (same run folder, same
// strategy, history, checkpoints, --resume); a client builds the same model and ClipClient a
// simulated run would from the config the server sends and trains on the pairs it is assigned.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "lethe/experiment/experiment.h"
#include "lethe/rpc/client.h"
#include "lethe/rpc/server.h"
#include "lethe/unlearn/request.h"
#include "lethe/unlearn/unlearn_config.h"

namespace lethe::rpc {

// Runs the federated experiment `cfg` into out_dir, serving its clients over gRPC; returns the
// run's summary (as lethe train). InputError unless run.mode = federated. Writes the address it
// serves on to out_dir/server_address ("host:port", the port resolved when --listen asked for 0).
// `live` holds EASE's settings for the unlearning requests it honours (the server's `unlearn.*`
// overrides); recovery rounds and BKE are always off there: the federation's next rounds recover.
nlohmann::json serve_experiment(const experiment::ExperimentConfig& cfg, const std::string& out_dir,
                                const ServerOptions& opts, bool resume,
                                const unlearn::UnlearnConfig& live = {});

// What a running federation of `num_clients` clients can honour: EASE on a client:K request for
// one of them, on a run trained from scratch (no model.init). InputError naming what is wrong
// otherwise (syntax, unknown client, unknown method, a method that cannot run live). The server
// checks every request with it on receipt, so that a bad one is refused at once, never queued.
unlearn::Request check_live_request(const experiment::ExperimentConfig& cfg, int64_t num_clients,
                                    const std::string& request, const std::string& method);

// Joins the server, trains as client opts.client until the run ends; returns the tasks answered.
// `overrides` may set run.threads, run.device and run.precision only: everything else that
// shapes training is the server's.
int64_t run_client(const ClientOptions& opts, const std::vector<std::string>& overrides);

}  // namespace lethe::rpc
