#pragma once
// The stand-in for a pretrained CLIP (docs/pretrained.md). No pretrained CLIP can be downloaded
// here, so Lethe pretrains one centrally on public image–text data that no federated client
// holds (configs/pretrain-emoji-styles.toml: emoji in art styles no client vendor draws) and
// exports it as an OpenCLIP folder; from then on it is an OpenCLIP checkpoint like a user's,
// reached through model.init (interop/pretrained_start.h).
//
// Layout, under the data root (data.root, else $LETHE_DATA, else ~/.cache/lethe):
//   pretrained/<run.name>/run/       the central training run (config.toml, checkpoints, ...)
//   pretrained/<run.name>/openclip/  its export: open_clip_model.safetensors, config, merges
// Built once: a finished run whose config.toml is this config's is reused.
#include <string>

#include "lethe/experiment/experiment.h"

namespace lethe::experiment {

struct StandIn {
  std::string openclip_dir;  // the OpenCLIP folder (model.init = "openclip:" + this)
  bool built = false;        // trained now (false: reused)
};

// The folder of a pretraining config: <data root>/pretrained/<run.name>.
std::string standin_dir(const ExperimentConfig& pretrain);

// Trains (unless a finished run of exactly this config is there) and exports. InputError for a
// config that is not a central run, or a folder holding a run of another config.
StandIn ensure_standin(const ExperimentConfig& pretrain);

// Before a run starts from model.init = "openclip:$LETHE_DATA/pretrained/<name>/openclip": when
// that folder holds no model yet and configs/<name>.toml is embedded, that stand-in is built
// first (first use; logged). Any other model.init is left alone.
void ensure_init_available(const ExperimentConfig& cfg);

}  // namespace lethe::experiment
