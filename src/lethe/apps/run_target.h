#pragma once
// The run a training command works on: --config FILE (+ overrides) into --out (default
// runs/<run.name>), or --resume DIR with the run's own config.toml. Shared by train and server.
#include <string>
#include <vector>

#include "lethe/experiment/experiment.h"

namespace lethe::app {

struct RunTarget {
  experiment::ExperimentConfig cfg;
  std::string out;
  bool resume = false;
};

// InputError for --out and --resume naming different folders, --config with --resume, no
// config.toml in the resumed folder, or neither --config nor --resume.
RunTarget resolve_run_target(const std::string& config, const std::string& out,
                             const std::string& resume, const std::vector<std::string>& overrides);

}  // namespace lethe::app
