#include "lethe/experiment/standin.h"

#include "lethe/core/config.h"
#include "lethe/core/error.h"
#include "lethe/core/fs.h"
#include "lethe/core/log.h"
#include "lethe/core/run_folder.h"
#include "lethe/embedded_configs.h"
#include "lethe/interop/export.h"
#include "lethe/interop/openclip_files.h"
#include "lethe/interop/pretrained_start.h"
#include "lethe/train/checkpoint.h"

namespace lethe::experiment {

namespace {
constexpr std::string_view kPretrainedPrefix = "openclip:$LETHE_DATA/pretrained/";
}  // namespace

std::string standin_dir(const ExperimentConfig& pretrain) {
  return data::data_root(pretrain.data) + "/pretrained/" + pretrain.run.name;
}

StandIn ensure_standin(const ExperimentConfig& pretrain) {
  LETHE_CHECK(run_kind(pretrain) == RunKind::kCentral && pretrain.model.init.empty(),
              "a stand-in is pretrained centrally from scratch: config '{}' has run.mode = '{}'{}",
              pretrain.run.name, pretrain.run.mode, pretrain.model.init.empty() ? "" : " and a model.init");
  const std::string dir = standin_dir(pretrain);
  const RunFolder run(dir + "/run");
  const std::string openclip = dir + "/openclip";
  auto resolved = pretrain;
  const std::string want = config::to_toml(resolved);
  StandIn s{openclip, false};
  if (run.finished()) {
    LETHE_CHECK(run.holds_config(want),
                "'{}' holds a stand-in pretrained with another config: delete the folder to rebuild it", dir);
    log::info("stand-in '{}': reusing {}", pretrain.run.name, run.dir());
  } else {
    log::info("stand-in '{}': pretraining into {} (once; later runs reuse it)", pretrain.run.name, run.dir());
    run_experiment(pretrain, run.dir(), {.resume = run.has_config()});
    s.built = true;
  }
  if (!file_exists(openclip + "/" + interop::kOpenClipWeightsFile))
    interop::export_openclip(train::load_checkpoint(run.final_checkpoint()), openclip);
  return s;
}

void ensure_init_available(const ExperimentConfig& cfg) {
  const std::string& init = cfg.model.init;
  if (!init.starts_with(kPretrainedPrefix)) return;
  const std::string rest = init.substr(kPretrainedPrefix.size());
  const std::string name = rest.substr(0, rest.find('/'));
  const std::string weights = interop::expand_data_root(init.substr(std::string_view("openclip:").size()),
                                                        data::data_root(cfg.data));
  if (file_exists(weights) || file_exists(weights + "/" + interop::kOpenClipWeightsFile)) return;
  const auto& configs = embedded_configs();
  auto it = configs.find(name);
  LETHE_CHECK(it != configs.end(),
              "config key 'model.init' = '{}': no model there, and no embedded config '{}' to pretrain it "
              "with (lethe pretrain --config FILE builds one)",
              init, name);
  auto pretrain = parse_experiment(it->second, "embedded:" + name);
  pretrain.data.root = cfg.data.root;  // the same data root, so the folder is the one asked for
  ensure_standin(pretrain);
}

}  // namespace lethe::experiment
