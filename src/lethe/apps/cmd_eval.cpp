// lethe eval --checkpoint FILE --config FILE [--out DIR] [key=value ...]
#include <iostream>
#include <memory>

#include "lethe/apps/commands.h"
#include "lethe/apps/table.h"
#include "lethe/core/fs.h"
#include "lethe/core/run_folder.h"
#include "lethe/experiment/experiment.h"
#include "lethe/train/central.h"
#include "lethe/train/checkpoint.h"
#include "lethe/train/text.h"

namespace lethe::app {

void add_eval_command(CLI::App& app, Action* action) {
  struct Opts {
    std::string checkpoint, config, out;
    std::vector<std::string> overrides;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("eval", "evaluate a checkpoint's retrieval recall on a dataset");
  cmd->add_option("--checkpoint", o->checkpoint, "model checkpoint (.safetensors)")->required();
  cmd->add_option("--config", o->config, "TOML config naming the dataset and evaluation")->required();
  cmd->add_option("--out", o->out, "write summary.json into this folder");
  cmd->add_option("overrides", o->overrides, "config overrides, e.g. data.limit=100");
  cmd->callback([o, action] {
    *action = [o] {
      auto ck = train::load_checkpoint(o->checkpoint);  // validated before any data is touched
      auto cfg = experiment::load_experiment(o->config, o->overrides);
      Context ctx(cfg.run.context);
      auto model = train::model_from_checkpoint(ck);
      LETHE_CHECK(ck.model.image_size == cfg.data.image_size,
                  "checkpoint '{}' expects {}px images but config key 'data.image_size' = {}",
                  o->checkpoint, ck.model.image_size, cfg.data.image_size);
      auto ds = data::load(cfg.data);
      auto text = train::encode_text(ds, tokenize::BpeTokenizer::from_merges_text(ck.merges),
                                     ck.model.context_length);
      nlohmann::json summary;
      summary["config"] = o->config;
      summary["checkpoint"] = o->checkpoint;
      summary["seed"] = ctx.seed();
      auto t0 = std::chrono::steady_clock::now();
      summary["eval"] = train::evaluate_summary(model, ds, text.tokens, ds.train, cfg.eval, ctx);
      summary["wall_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::cout << recall_table(summary["eval"]);
      if (!o->out.empty()) {
        make_dirs(o->out);
        write_file_atomic(RunFolder(o->out).summary(), summary.dump(2) + "\n");
      }
    };
  });
}

}  // namespace lethe::app
