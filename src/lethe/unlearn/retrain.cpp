#include "lethe/unlearn/retrain.h"

#include <filesystem>

#include "lethe/core/fs.h"
#include "lethe/core/log.h"
#include "lethe/core/metrics.h"
#include "lethe/core/run_folder.h"
#include "lethe/core/safetensors.h"
#include "lethe/core/stopwatch.h"
#include "lethe/experiment/clip_client.h"
#include "lethe/unlearn/round_engine.h"

namespace lethe::unlearn {

Reference retrain_reference(const UnlearnInputs& in, const std::string& cache_dir) {
  const std::string weights = cache_dir + "/weights.safetensors";
  const std::string info = cache_dir + "/reference.json";
  // The cache is valid for this request on this training run: a run folder retrained with
  // another config (same partition, so the same manifest) must not reuse it.
  const std::string run_config = sha256_file(RunFolder(in.run_dir).config());
  Reference ref;
  nlohmann::json meta;
  bool reuse = false;
  if (file_exists(weights) && file_exists(info)) {
    meta = nlohmann::json::parse(read_file(info), nullptr, false);
    LETHE_CHECK(!meta.is_discarded() && meta.value("manifest_sha256", "") == in.forget.sha256,
                "retrain cache '{}' is corrupt or belongs to another request; delete the folder",
                info);
    reuse = meta.value("run_config_sha256", "") == run_config;
    if (!reuse)
      log::info("retrain reference: {} was computed for another config of this run; recomputing",
                cache_dir);
  }
  if (reuse) {
    ref.weights = read_safetensors(weights).tensors;
    ref.wall_s = meta.at("wall_s");
    ref.cost.rounds = meta.value("rounds", int64_t{0});
    ref.cost.local_steps = meta.value("local_steps", int64_t{0});
    ref.cost.bytes = meta.value("bytes", int64_t{0});
    ref.cost.wall_s = ref.wall_s;
    ref.from_cache = true;
    log::info("retrain reference: reusing {}", cache_dir);
    return ref;
  }
  log::info("retrain reference: replaying training on D_r ({} pairs) into {}", in.forget.retain.size(),
            cache_dir);
  const Stopwatch clock;
  std::filesystem::remove_all(cache_dir);
  auto model = initial_model(in);  // the same initial weights as the original run
  MetricsWriter metrics(RunFolder(cache_dir).metrics());
  ref.cost = round_engine(experiment::run_kind(in.cfg)).replay(in, model, cache_dir + "/run", metrics);
  ref.weights = experiment::trainable_parameters(model);
  ref.wall_s = clock.seconds();
  ref.cost.wall_s = ref.wall_s;
  write_safetensors(weights, ref.weights, {{"lethe.manifest_sha256", in.forget.sha256}});
  meta = {{"manifest_sha256", in.forget.sha256}, {"run_config_sha256", run_config}, {"request", in.forget.request.str()},
                         {"wall_s", ref.wall_s}, {"rounds", ref.cost.rounds},
                         {"local_steps", ref.cost.local_steps}, {"bytes", ref.cost.bytes}};
  write_file_atomic(info, meta.dump(2) + "\n");  // written last: its presence marks a complete cache
  std::filesystem::remove_all(cache_dir + "/run/checkpoints");
  return ref;
}

}  // namespace lethe::unlearn
