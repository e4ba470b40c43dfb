// lethe export --run DIR [--method M] --format openclip --out DIR2 (interop/export.h)
#include <memory>

#include "lethe/apps/commands.h"
#include "lethe/core/log.h"
#include "lethe/interop/export.h"

namespace lethe::app {

void add_export_command(CLI::App& app, Action* action) {
  struct Opts {
    std::string run, method, format = "openclip", out;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("export", "write a run's model (or an unlearned one) as an OpenCLIP folder");
  cmd->add_option("--run", o->run, "a finished run folder, or an audit folder of lethe unlearn")->required();
  cmd->add_option("--method", o->method, "export the model this unlearning method made (default: the run's final model)");
  cmd->add_option("--format", o->format, "openclip (open_clip_model.safetensors, open_clip_config.json, merges)")
      ->check(CLI::IsMember({"openclip"}));
  cmd->add_option("--out", o->out, "a new (or empty) folder")->required();
  cmd->callback([o, action] {
    *action = [o] {
      const auto source = interop::export_source(o->run, o->method);
      interop::export_openclip(train::load_checkpoint(source), o->out);
      log::info("exported {} to {} (OpenCLIP: open_clip_model.safetensors, open_clip_config.json, {})",
                source, o->out, interop::kExportMergesFile);
    };
  });
}

}  // namespace lethe::app
