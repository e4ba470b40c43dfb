#pragma once
// A CreamFL run in the unlearning frame (docs/methods/creamfl.md "Unlearning a CreamFL run").
// Its clients send representations of the public set P, not weight updates, so the frame sees:
//  - data: the emoji pairs and, when the run has Fashion-MNIST clients, Fashion-MNIST's pairs
//    after them (data::append; UnlearnInputs::federation is then the emoji data alone), so that
//    one list of pair ids names what any client holds;
//  - holders: client k holds the pairs its items come from (a uni-modal client holds one side of
//    each; a Fashion-MNIST client its images, each with its caption), and one holder after the n
//    clients, index n, is the server's own P: a concept request removes pairs from P too;
//  - replays: CreamFL rounds (creamfl/train.h) on the partition without D_f, a removed client
//    sampled as usual and then dropped, either from θ^0 and fresh clients (the retrain
//    reference) or from given server weights with every client's model and optimiser as the
//    run left them (the rounds a method runs: finetune, ga+ft's recovery, re-anchoring).
// The history methods (Unlearner::reads_history) read each client's share of the server's
// updates (creamfl/shares.h), kept when the run was trained with creamfl.client_shares.
#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>

#include "lethe/core/metrics.h"
#include "lethe/creamfl/train.h"
#include "lethe/experiment/experiment.h"
#include "lethe/experiment/federated.h"
#include "lethe/unlearn/request.h"
#include "lethe/unlearn/unlearner.h"

namespace lethe::unlearn {

// A CreamFL run's Fashion-MNIST data (creamfl::fashion_data) when it has fashion clients.
std::optional<data::Dataset> creamfl_fashion(const experiment::ExperimentConfig& cfg);

// The run's holders over the pairs of data::append(ds, *fashion): train[k] = client k's pairs
// (a Fashion-MNIST client's shifted by ds.num_pairs()), train[n] = P; val[n] and an emoji
// client's val = the server's validation gallery (never trained on), a Fashion-MNIST client's
// val = Fashion-MNIST's test pairs. `fashion`: the run's Fashion-MNIST data (creamfl::fashion_data),
// needed when it has fashion clients. InputError when <run>/partition.json is not the partition
// the run's config and seed make.
experiment::ClientData creamfl_holders(const experiment::ExperimentConfig& cfg, const data::Dataset& ds,
                                       const data::Dataset* fashion, const std::string& run_dir);

// Why `method` cannot unlearn this CreamFL run, or "" if it can: the history methods
// (federaser, history-subtraction, fedrecovery, pga, EASE) need the clients' shares of the
// server's updates (creamfl.client_shares).
std::string creamfl_refusal(const experiment::ExperimentConfig& cfg, const std::string& method);

// InputError for what the frame cannot honour on a CreamFL run: client:n or samples:n:F (P is
// the server's, not a client), a client that does not exist, a method creamfl_refusal names.
void check_creamfl_request(const experiment::ExperimentConfig& cfg, const Request& request,
                           const std::vector<std::string>& methods);

struct CreamReplay {
  int64_t rounds = 0;             // with `from_run`: rounds after the run's last (else fl.rounds run)
  bool from_run = false;          // the caller's server weights, the run's clients as they ended
  bool with_forget_data = false;  // the original partition, nobody dropped (re-anchoring's stress test)
  std::function<void(int64_t round)> after_round = {};
  fl::UpdateFilter server_filter = {};  // on every round's server displacement (a Forget Lock)
  creamfl::ShareFilter share_filter = {};  // on every client's share of it (FedEraser's calibration)
  int64_t local_epochs = 0;               // > 0: overrides fl.local_epochs
};

// Runs the replay in `dir`; `server` starts from its weights as passed and ends holding the
// replay's. Returns train_creamfl's totals.
creamfl::CreamTotals replay_creamfl(const UnlearnInputs& in, models::Clip& server, const std::string& dir,
                              MetricsWriter& metrics, const CreamReplay& how);

}  // namespace lethe::unlearn
