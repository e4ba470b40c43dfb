// lethe pretrain [--config FILE] [key=value ...]: the stand-in for a pretrained CLIP
// (experiment/standin.h, docs/pretrained.md), built once under <data root>/pretrained/.
#include <iostream>
#include <memory>

#include "lethe/apps/commands.h"
#include "lethe/apps/table.h"
#include "lethe/core/fs.h"
#include "lethe/embedded_configs.h"
#include "lethe/experiment/standin.h"

namespace lethe::app {

namespace {
constexpr const char* kDefaultPretraining = "pretrain-emoji-styles";
}  // namespace

void add_pretrain_command(CLI::App& app, Action* action) {
  struct Opts {
    std::string config;
    std::vector<std::string> overrides;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand(
      "pretrain", "pretrain the stand-in CLIP on public data no client holds, as an OpenCLIP folder (once)");
  cmd->add_option("--config", o->config,
                  std::string("pretraining config (default: the embedded configs/") + kDefaultPretraining + ".toml)");
  cmd->add_option("overrides", o->overrides, "config overrides, e.g. train.epochs=10");
  add_config_help(cmd, [] {
    return "config keys (key = default  meaning); set them in the TOML file or as key=value overrides:\n" +
           config_keys(experiment::ExperimentConfig{});
  });
  cmd->callback([o, action] {
    *action = [o] {
      const auto cfg = o->config.empty()
                           ? experiment::parse_experiment(embedded_configs().at(kDefaultPretraining),
                                                          std::string("embedded:") + kDefaultPretraining,
                                                          o->overrides)
                           : experiment::load_experiment(o->config, o->overrides);
      const auto s = experiment::ensure_standin(cfg);
      const auto summary = nlohmann::json::parse(read_file(experiment::standin_dir(cfg) + "/run/summary.json"));
      std::cout << recall_table(summary["eval"]);
      std::cout << (s.built ? "pretrained" : "already pretrained") << ": " << s.openclip_dir << "\n"
                << "start a run from it with model.init=openclip:" << s.openclip_dir << "\n";
    };
  });
}

}  // namespace lethe::app
