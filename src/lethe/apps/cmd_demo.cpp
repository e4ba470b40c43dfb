// lethe demo [--regime lora|scratch|quick] [--out DIR] [--post-rounds N] [key=value ...]: the main
// job end to end on an embedded config. Federated CLIP training (by default LoRA adapters on a
// frozen pretrained CLIP, docs/pretrained.md), a client:0 deletion request honoured by EASE,
// finetune and FedEraser next to the retrain reference, re-anchoring rounds (EASE with and
// without its Forget Lock), the comparison table, audit.json and report.html.
#include <iostream>
#include <memory>

#include "lethe/apps/commands.h"
#include "lethe/apps/table.h"
#include "lethe/core/config.h"
#include "lethe/core/fs.h"
#include "lethe/core/run_folder.h"
#include "lethe/core/stopwatch.h"
#include "lethe/core/strings.h"
#include "lethe/embedded_configs.h"
#include "lethe/experiment/experiment.h"
#include "lethe/unlearn/request.h"
#include "lethe/unlearn/session.h"

namespace lethe::app {

namespace {

// Whether `dir` holds a training run of exactly this config. A finished one (summary.json is
// written last) is reused, so a second `lethe demo` goes straight to unlearning (whose retrain
// reference is cached too); an interrupted one is resumed.
bool same_config(const RunFolder& run, experiment::ExperimentConfig cfg) {
  return run.holds_config(config::to_toml(cfg));
}

// The embedded training config of each regime.
std::string demo_config(const std::string& regime) {
  if (regime == "scratch") return "emoji-scratch-demo";
  if (regime == "quick") return "shapes-demo";
  return "emoji-demo";
}

// What is trained, for the first progress line.
std::string model_label(const experiment::ExperimentConfig& cfg) {
  if (cfg.model.init.empty()) return cfg.model.preset + " CLIP from scratch";
  return fmt::format("LoRA rank {} on the frozen {}", cfg.model.lora_rank, cfg.model.init);
}

}  // namespace

void add_demo_command(CLI::App& app, Action* action) {
  struct Opts {
    std::string out;
    std::string regime = "lora";
    bool quick = false;  // --quick: --regime quick
    std::string effective_regime() const { return quick ? "quick" : regime; }
    int64_t post_rounds = -1;
    std::string request = "client:0";
    std::string methods = "ease,finetune,federaser";
    std::vector<std::string> overrides;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand(
      "demo", "federated training on the emoji set, a client:0 deletion request, EASE vs baselines, report");
  cmd->add_option("--out", o->out, "run folder (default: runs/<the config's run.name>)");
  cmd->add_option("--regime", o->regime,
                  "lora: LoRA on a frozen pretrained CLIP (the paper's regime; builds the stand-in once); "
                  "scratch: a small CLIP trained from scratch; quick: procedural shapes, about two minutes")
      ->check(CLI::IsMember({"lora", "scratch", "quick"}))
      ->capture_default_str();
  cmd->add_flag("--quick", o->quick, "the same as --regime quick");
  cmd->add_option("--forget", o->request, "the deletion request")->capture_default_str();
  cmd->add_option("--method", o->methods, "unlearning methods next to the retrain reference")
      ->capture_default_str();
  cmd->add_option("--post-rounds", o->post_rounds,
                  "re-anchoring rounds after each method (default: 8, or 4 with --regime quick)");
  cmd->add_option("overrides", o->overrides, "training config overrides, e.g. run.threads=1 fl.rounds=5");
  add_config_help(cmd, [o] {
    const std::string name = demo_config(o->effective_regime());
    return fmt::format("the demo's training config ({}; key = value  meaning), changed by key=value overrides:\n", name) +
           config_keys(experiment::parse_experiment(embedded_configs().at(name), "embedded:" + name));
  });
  cmd->callback([o, action] {
    *action = [o] {
      const Stopwatch clock;
      const std::string name = demo_config(o->effective_regime());
      const auto cfg = experiment::parse_experiment(embedded_configs().at(name), "embedded:" + name, o->overrides);
      const std::string out = o->out.empty() ? "runs/" + cfg.run.name : o->out;
      const int64_t post = o->post_rounds >= 0 ? o->post_rounds : (o->effective_regime() == "quick" ? 4 : 8);

      std::cout << fmt::format("[1/3] federated training: {} clients, {} rounds of {} ({} on {}) into {}\n",
                               cfg.fl.clients, cfg.fl.rounds, cfg.fl.strategy, model_label(cfg),
                               cfg.data.name, out)
                << std::flush;
      const RunFolder run(out);
      const bool same = same_config(run, cfg);
      if (same && run.finished()) {
        std::cout << "      reusing the finished training in " << out << "\n";
      } else if (same && run.resumable()) {
        std::cout << "      resuming the interrupted training in " << out << "\n";
        experiment::run_experiment(cfg, out, {.resume = true});
      } else {
        experiment::run_experiment(cfg, out);  // refuses a folder holding another run
      }

      unlearn::SessionOptions s;
      s.run_dir = out;
      s.request = o->request;
      s.methods = split(o->methods, ',');
      s.overrides = {fmt::format("unlearn.post_rounds={}", post)};
      std::cout << fmt::format("[2/3] deletion request {}: the retrain reference, then {}, each followed by {} "
                               "re-anchoring rounds\n",
                               s.request, join(s.methods, ", "), post)
                << std::flush;
      const auto audit = std::get<unlearn::Audit>(unlearn::run_unlearning(s));  // a CLIP federation's

      const std::string folder = run.unlearn(unlearn::parse_request(s.request).slug());
      std::cout << fmt::format("[3/3] {}: forget {} pairs; R@1 (%) at a gallery of {} pairs per split\n",
                               audit.request, audit.forget_size, audit.gallery_units)
                << audit_table(audit.to_json()) << "audit:  " << folder << "/audit.json\n";
      if (file_exists(folder + "/report.html")) std::cout << "report: " << folder << "/report.html\n";
      std::cout << fmt::format("demo finished in {:.0f} s\n", clock.seconds());
    };
  });
}

}  // namespace lethe::app
