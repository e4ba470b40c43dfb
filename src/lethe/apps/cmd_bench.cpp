// lethe bench SUITE|all [--config FILE] [--out DIR] [key=value ...]
#include <iostream>
#include <memory>

#include "lethe/apps/commands.h"
#include "lethe/bench/suites.h"
#include "lethe/core/fs.h"

namespace lethe::app {

void add_bench_command(CLI::App& app, Action* action) {
  struct Opts {
    std::string suite, out = "bench/results";
    bench::SuiteArgs args;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("bench", "run a benchmark suite and write its JSON");
  cmd->add_option("suite", o->suite, "suite name, or 'all'")->required();
  cmd->add_option("--config", o->args.config, "config file, or an embedded config's name (configs/), for suites that train");
  cmd->add_option("--out", o->out, "output folder")->capture_default_str();
  cmd->add_option("overrides", o->args.overrides, "suite options key=value");
  cmd->callback([o, action] {
    *action = [o] {
      std::vector<std::string> names =
          o->suite == "all" ? bench::suites().names() : std::vector<std::string>{o->suite};
      for (const auto& name : names) {
        const auto& suite = bench::suites().get(name);  // unknown names list the valid ones
        make_dirs(o->out);
        o->args.out_dir = o->out;
        auto result = suite.factory(o->args);
        const std::string file = o->out + "/" + name + ".json";
        write_file_atomic(file, result.dump(2) + "\n");
        std::cout << "wrote " << file << "\n";
      }
    };
  });
}

}  // namespace lethe::app
