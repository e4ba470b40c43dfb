#pragma once
// An experiment: the whole resolved configuration of a training run and the function that runs
// it (central or federated) into a run folder (ARCHITECTURE.md "the run folder").
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "lethe/core/context.h"
#include "lethe/data/dataset.h"
#include "lethe/fl/fl_config.h"
#include "lethe/models/clip.h"
#include "lethe/train/train_config.h"

namespace lethe::experiment {

struct RunConfig {
  std::string name = "run";
  std::string mode = "central";  // central | federated
  ContextConfig context;

  template <class V>
  void visit(V& v) {
    v("name", name, "run name (default output folder runs/<name>)");
    v("mode", mode, "central | federated").one_of({"central", "federated"});
    context.visit(v);
  }
};

struct ExperimentConfig {
  RunConfig run;
  data::DataConfig data;
  models::ClipConfig model;
  train::TrainConfig train;
  train::EvalConfig eval;
  fl::FlConfig fl;

  template <class V>
  void visit(V& v) {
    v.section("run", run);
    v.section("data", data);
    v.section("model", model);
    v.section("train", train);
    v.section("eval", eval);
    v.section("fl", fl);
  }
};

// Reads and fully validates a config file plus key=value overrides (unknown keys rejected).
ExperimentConfig load_experiment(const std::string& path, const std::vector<std::string>& overrides);
ExperimentConfig parse_experiment(const std::string& toml_text, const std::string& name,
                                  const std::vector<std::string>& overrides = {});

struct RunOptions {
  bool resume = false;  // continue the run already in out_dir (federated)
};

// Trains into out_dir (config.toml, metrics.jsonl, checkpoints/, summary.json written last and
// atomically) and returns the summary.
nlohmann::json run_experiment(const ExperimentConfig& cfg, const std::string& out_dir,
                              const RunOptions& opts = {});

}  // namespace lethe::experiment
