#pragma once
// An experiment: the whole resolved configuration of a training run and the function that runs
// it (central or federated) into a run folder (ARCHITECTURE.md "the run folder").
#include <nlohmann/json.hpp>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lethe/core/context.h"
#include "lethe/creamfl/creamfl_config.h"
#include "lethe/data/dataset.h"
#include "lethe/fl/fl_config.h"
#include "lethe/fl/transport.h"
#include "lethe/mllm/mllm_config.h"
#include "lethe/models/clip.h"
#include "lethe/train/text.h"
#include "lethe/train/train_config.h"

namespace lethe::fl {
class Federation;
}

namespace lethe::experiment {

struct RunConfig {
  std::string name = "run";
  std::string mode = "central";  // central | federated | mllm (the multimodal LM, METHODS.md §5)
  ContextConfig context;

  template <class V>
  void visit(V& v) {
    v("name", name, "run name (default output folder runs/<name>)");
    v("mode", mode, "central | federated | mllm (CLIP pretraining, then the multimodal LM)")
        .one_of({"central", "federated", "mllm"});
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
  creamfl::CreamConfig creamfl;  // fl.strategy = "creamfl"
  mllm::MllmConfig mllm;         // run.mode = "mllm"

  template <class V>
  void visit(V& v) {
    v.section("run", run);
    v.section("data", data);
    v.section("model", model);
    v.section("train", train);
    v.section("eval", eval);
    v.section("fl", fl);
    v.section("creamfl", creamfl);
    v.section("mllm", mllm);
  }
};

// What a config trains — the one place a run's kind is read off its config (run.mode and
// fl.strategy); training, unlearning, the server and the benchmarks switch on it.
enum class RunKind {
  kCentral,         // run.mode = "central": one model on all the data
  kFederation,      // run.mode = "federated": weight averaging (FedAvg and its family)
  kCreamFl,         // run.mode = "federated", fl.strategy = "creamfl": representations on a public set
  kMultimodalLm,    // run.mode = "mllm": CLIP pretraining, then the multimodal LM
};
RunKind run_kind(const ExperimentConfig& cfg);
// Federated in either form (a partition, clients, rounds, an update history).
inline bool is_federated(RunKind k) { return k == RunKind::kFederation || k == RunKind::kCreamFl; }

// A config's [unlearn] table: the unlearning knobs of its regime (a benchmark config's), which
// training does not read. Returns the config without it and the table as unlearn.key=value
// overrides (what `lethe unlearn` and `lethe bench unlearning` take). A text without the table, or
// one that does not parse (its error comes from the parser that reads it), is returned as is.
struct SplitConfig {
  std::string training;
  std::vector<std::string> unlearn_overrides;
};
SplitConfig split_unlearn_section(const std::string& toml_text, const std::string& name);

// Reads and fully validates a config file plus key=value overrides (unknown keys rejected; an
// [unlearn] table is left to the unlearning stages).
ExperimentConfig load_experiment(const std::string& path, const std::vector<std::string>& overrides);
ExperimentConfig parse_experiment(const std::string& toml_text, const std::string& name,
                                  const std::vector<std::string>& overrides = {});

// What every process of a run builds from the config in the same way: the context, the
// dataset, the tokenizer (learnt from the data, or with model.init the pretrained model's), and
// the initial model θ⁰ (seeded; with model.init the pretrained weights plus seeded adapters). A
// `lethe client` builds exactly what `lethe train` would, so deployed and simulated clients
// train identically.
struct Workbench {
  Context ctx;
  data::Dataset ds;
  train::TextData text;
  models::ClipConfig model_cfg;
  models::Clip model{nullptr};
};
Workbench make_workbench(const ExperimentConfig& cfg);

struct ClientData;
struct RunScope;
// Builds the transport of a federated run once its partition is known (default: simulation).
using TransportFactory =
    std::function<std::unique_ptr<fl::Transport>(const ClientData& clients, const Context& ctx)>;
// Called after every round of a federated run, with what the run holds (federated.h).
using BetweenRounds = std::function<void(fl::Federation& fed, const RunScope& scope)>;

struct RunOptions {
  bool resume = false;  // continue the run already in out_dir (federated)
  TransportFactory transport = {};  // federated: how the server reaches its clients
  BetweenRounds between_rounds = {};
};

// Trains into out_dir (config.toml, metrics.jsonl, checkpoints/, summary.json written last and
// atomically) and returns the summary.
nlohmann::json run_experiment(const ExperimentConfig& cfg, const std::string& out_dir,
                              const RunOptions& opts = {});

}  // namespace lethe::experiment
