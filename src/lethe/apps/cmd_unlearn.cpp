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
  cmd->callback([o, action] {
    *action = [o] {
      o->s.methods = split(o->methods, ',');
      auto audit = unlearn::run_unlearning(o->s);
      std::vector<std::vector<std::string>> rows;
      auto row = [&](const std::string& name, const nlohmann::json& b) {
        rows.push_back({name, fmt::format("{:.2f}", b["forget"]["r1"].get<double>()),
                        fmt::format("{:.2f}", b["retain"]["r1"].get<double>()),
                        fmt::format("{:.2f}", b["test"]["r1"].get<double>()),
                        b.contains("gap") ? fmt::format("{:.2f}", b["gap"]["forget_r1"].get<double>()) : "",
                        b.contains("gap") ? fmt::format("{:.2f}", b["gap"]["retain_r1"].get<double>()) : "",
                        fmt::format("{:.3f}", b["auc_deleted_vs_remaining"].get<double>()),
                        fmt::format("{:.3f}", b["mia"]["auc"].get<double>()),
                        b.contains("cost_ratio") ? fmt::format("{:.3f}", b["cost_ratio"].get<double>()) : ""});
      };
      row("original", audit["original"]);
      row("retrain", audit["reference"]);
      for (const auto& [name, b] : audit["methods"].items()) row(name, b);
      std::cout << "request " << audit["request"].get<std::string>() << ": forget "
                << audit["forget_size"] << " pairs, gallery " << audit["gallery_units"] << " units\n";
      std::cout << render_table({"model", "forget R@1", "retain R@1", "test R@1", "gap forget",
                                 "gap retain", "AUC", "MIA AUC", "cost"},
                                rows);
    };
  });
}

}  // namespace lethe::app
