// lethe train --config FILE [--out DIR] [--resume DIR] [key=value ...]
#include <iostream>
#include <memory>

#include "lethe/apps/commands.h"
#include "lethe/apps/run_target.h"
#include "lethe/apps/table.h"
#include "lethe/core/error.h"
#include "lethe/experiment/experiment.h"

namespace lethe::app {

void add_train_command(CLI::App& app, Action* action) {
  struct Opts {
    std::string config, out, resume;
    std::vector<std::string> overrides;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("train", "train a CLIP centrally or federatedly from a TOML config");
  cmd->add_option("--config", o->config, "TOML config file (see configs/)");
  cmd->add_option("--out", o->out, "run folder (default: runs/<run.name>)");
  cmd->add_option("--resume", o->resume, "continue the interrupted run in this folder");
  cmd->add_option("overrides", o->overrides, "config overrides, e.g. train.lr=5e-4 fl.rounds=20");
  add_config_help(cmd, [] {
    return "config keys (key = default  meaning); set them in the TOML file or as key=value overrides:\n" +
           config_keys(experiment::ExperimentConfig{});
  });
  cmd->callback([o, action] {
    *action = [o] {
      const auto run = resolve_run_target(o->config, o->out, o->resume, o->overrides);
      auto summary = experiment::run_experiment(run.cfg, run.out, {.resume = run.resume});
      std::cout << recall_table(summary["eval"]);
      if (summary.contains("lm")) std::cout << "multimodal LM\n" << lm_accuracy_table(summary["lm"]);
      std::cout << "run folder: " << run.out << " (" << summary["wall_s"].get<double>() << " s)\n";
    };
  });
}

}  // namespace lethe::app
