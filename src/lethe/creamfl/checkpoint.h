#pragma once
// A CreamFL federation's state after a round, so that `lethe train --resume` continues it
// exactly: fl::CheckpointStore's files in <run>/checkpoints, holding the server CLIP
// ("global/"), the server's AdamW (extra "server"), every party's model and AdamW (extra
// "party_<k>", train::export_training_state), the run's counters, and the [fl], [creamfl] and
// [train] sections the run must be resumed with. Client sampling and every batch order are pure
// functions of (seed, round, client), so nothing else is needed.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lethe/creamfl/party.h"
#include "lethe/creamfl/server.h"
#include "lethe/creamfl/train.h"
#include "lethe/fl/history.h"
#include "lethe/fl/server_state.h"

namespace lethe::creamfl {

// Everything a checkpoint saves and restores.
struct FederationState {
  models::Clip& server;
  CreamServer& srv;
  std::vector<std::unique_ptr<Party>>& parties;
  RunCounters& counters;
  fl::UpdateHistory* history = nullptr;  // the run's update history, if it keeps one
};

// The sections a run is resumed with; [fl] keys that leave the trajectory alone (rounds,
// checkpoint_every, …) are left out.
nlohmann::json resume_config(const CreamInputs& in);

void save_checkpoint(fl::CheckpointStore& store, int64_t round, uint64_t seed,
                     const FederationState& st, const nlohmann::json& config);

// Loads the newest checkpoint into `st` and returns its round. InputError when there is none,
// or when it belongs to another run (seed, clients or config). The store is left as it is; a
// history in `st` adopts the checkpoint's index (deleting later rounds' files: a resume's).
int64_t load_checkpoint(const fl::CheckpointStore& store, uint64_t seed, FederationState& st,
                        const nlohmann::json& config);

// load_checkpoint, then the store forgets any checkpoint after that round (a resume).
int64_t restore_checkpoint(const fl::CheckpointStore& store, uint64_t seed, FederationState& st,
                           const nlohmann::json& config);

}  // namespace lethe::creamfl
