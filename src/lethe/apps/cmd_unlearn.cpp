// lethe unlearn --run DIR --forget REQUEST --method NAME[,NAME...] [--out DIR] [key=value ...]
#include <iostream>
#include <memory>

#include "lethe/apps/commands.h"
#include "lethe/apps/table.h"
#include "lethe/core/strings.h"
#include "lethe/unlearn/session.h"

namespace lethe::app {

void add_unlearn_command(CLI::App& app, Action* action) {
  struct Opts {
    unlearn::SessionOptions s;
    std::string methods;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("unlearn", "honour a deletion request on a trained federated run and audit it");
  cmd->add_option("--run", o->s.run_dir, "the federated run folder")->required();
  cmd->add_option("--forget", o->s.request, "client:K | samples:K:FRACTION | samples:@FILE | concept:WORD")->required();
  cmd->add_option("--method", o->methods, "comma-separated methods (lethe methods lists them)")->required();
  cmd->add_option("--out", o->s.out_dir, "output folder (default <run>/unlearn/<request>)");
  cmd->add_option("overrides", o->s.overrides, "unlearn.* knobs, run.threads, ...");
  add_config_help(cmd, [] {
    return "unlearning knobs (key = default  meaning), as key=value overrides; run.threads and run.precision\n"
           "override the run's own settings:\n" +
           config_keys(unlearn::UnlearnConfig{}, "unlearn");
  });
  cmd->callback([o, action] {
    *action = [o] {
      o->s.methods = split(o->methods, ',');
      auto audit = unlearn::run_unlearning(o->s);
      std::cout << "request " << audit["request"].get<std::string>() << ": forget "
                << audit["forget_size"] << " pairs, gallery " << audit["gallery_units"] << " units\n";
      std::cout << audit_table(audit);
    };
  });
}

}  // namespace lethe::app
