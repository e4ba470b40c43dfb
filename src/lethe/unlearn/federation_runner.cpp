#include "lethe/unlearn/federation_runner.h"

#include <filesystem>

#include "lethe/core/metrics.h"
#include "lethe/experiment/clip_client.h"

namespace lethe::unlearn {

RoundsResult run_rounds(const UnlearnInputs& in, const TensorMap& start, int64_t rounds,
                        const std::string& tag, const RoundsOptions& opts) {
  RoundsResult out;
  if (rounds <= 0) {
    out.weights = clone(start);
    return out;
  }
  auto cfg = in.cfg;
  cfg.fl.rounds = rounds;
  cfg.fl.history_every = 0;  // a method's own rounds need no history
  cfg.fl.sketch_max_rank = 0;
  if (opts.local_steps >= 0) cfg.fl.local_steps = opts.local_steps;
  fl::ServerEvaluation evaluation;
  if (opts.after_round) {
    cfg.fl.evaluate_every = 1;
    cfg.fl.fraction_evaluate = 0.0;
    evaluation = [&](int64_t round, const TensorMap& global) {
      opts.after_round(round, global);
      return std::map<std::string, double>{};
    };
  }
  const std::string dir = in.work_dir + "/" + tag;
  std::filesystem::remove_all(dir);
  auto model = model_with(in, start);
  MetricsWriter metrics(dir + "/metrics.jsonl");
  auto totals = experiment::run_federation(
      model, in.ds, in.tokens, opts.with_forget_data ? in.clients : in.forget.retained, cfg, in.ctx, dir, metrics,
      {.excluded_clients = opts.with_forget_data ? std::vector<int64_t>{} : in.forget.removed_clients,
       .rounds = rounds,
       .server_eval = false,
       .evaluation = evaluation,
       .lock = opts.lock});
  out.weights = experiment::trainable_parameters(model);
  out.cost.rounds = totals.value("rounds", int64_t{0});
  out.cost.local_steps = totals.value("steps", int64_t{0});
  out.cost.bytes = totals.value("bytes_down", int64_t{0}) + totals.value("bytes_up", int64_t{0});
  return out;
}

}  // namespace lethe::unlearn
