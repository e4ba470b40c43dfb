// lethe demo [--quick] [--out DIR]: the main job on an embedded default config.
#include <iostream>
#include <memory>

#include "lethe/apps/commands.h"
#include "lethe/apps/table.h"
#include "lethe/embedded_configs.h"
#include "lethe/experiment/experiment.h"

namespace lethe::app {

void add_demo_command(CLI::App& app, Action* action) {
  struct Opts {
    std::string out;
    bool quick = false;
    std::vector<std::string> overrides;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("demo", "train on the emoji set and evaluate (embedded config)");
  cmd->add_option("--out", o->out, "run folder (default: runs/demo or runs/demo-quick)");
  cmd->add_flag("--quick", o->quick, "procedural shapes instead of emoji: about a minute");
  cmd->add_option("overrides", o->overrides, "config overrides");
  cmd->callback([o, action] {
    *action = [o] {
      const std::string name = o->quick ? "shapes-quick" : "emoji-central";
      auto cfg = experiment::parse_experiment(embedded_configs().at(name), "embedded:" + name, o->overrides);
      std::string out = o->out.empty() ? (o->quick ? "runs/demo-quick" : "runs/demo") : o->out;
      auto summary = experiment::run_experiment(cfg, out);
      std::cout << recall_table(summary["eval"]);
      std::cout << "run folder: " << out << "\n";
    };
  });
}

}  // namespace lethe::app
