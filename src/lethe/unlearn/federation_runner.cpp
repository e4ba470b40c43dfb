#include "lethe/unlearn/federation_runner.h"

#include <filesystem>

#include "lethe/core/metrics.h"
#include "lethe/core/run_folder.h"
#include "lethe/experiment/clip_client.h"
#include "lethe/unlearn/creamfl_replay.h"

namespace lethe::unlearn {

Cost federation_cost(const experiment::FederationResult& result) {
  const auto& t = result.totals;
  return {.local_steps = t.steps, .rounds = t.rounds, .bytes = t.bytes_down + t.bytes_up};
}

Cost federation_cost(const creamfl::CreamTotals& t) {
  return {.local_steps = t.counters.steps, .rounds = t.rounds, .bytes = t.counters.bytes_down + t.counters.bytes_up};
}

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
  MetricsWriter metrics(RunFolder(dir).metrics());
  if (experiment::run_kind(in.cfg) == experiment::RunKind::kCreamFl) {
    LETHE_CHECK(opts.local_steps < 0 || opts.local_steps == in.cfg.fl.local_steps,
                "a CreamFL run's rounds keep its fl.local_steps ({}), not {}: its clients' optimisers "
                "continue from the run's checkpoint",
                in.cfg.fl.local_steps, opts.local_steps);
    const auto totals = replay_creamfl(
        in, model, dir, metrics,
        {.rounds = rounds,
         .from_run = true,
         .with_forget_data = opts.with_forget_data,
         .after_round =
             [&](int64_t r) {
               if (opts.after_round) opts.after_round(r, experiment::trainable_parameters(model));
             },
         // The server never moves along the locked directions (its clients' models are not
         // the server's: the lock is on the server's round).
         .server_filter = opts.lock.empty() ? fl::UpdateFilter{} : opts.lock.filter()});
    return {experiment::trainable_parameters(model), federation_cost(totals)};
  }
  auto totals = experiment::run_federation(
      model, in.ds, in.tokens, opts.with_forget_data ? in.clients : in.forget.retained, cfg, in.ctx, dir, metrics,
      {.excluded_clients = opts.with_forget_data ? std::vector<int64_t>{} : in.forget.removed_clients,
       .rounds = rounds,
       .server_eval = false,
       .evaluation = evaluation,
       .lock = opts.lock});
  return {experiment::trainable_parameters(model), federation_cost(totals)};
}

}  // namespace lethe::unlearn
