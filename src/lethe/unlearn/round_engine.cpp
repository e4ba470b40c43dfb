#include "lethe/unlearn/round_engine.h"

#include <filesystem>

#include "lethe/core/run_folder.h"
#include "lethe/experiment/clip_client.h"
#include "lethe/unlearn/creamfl_replay.h"

namespace lethe::unlearn {

namespace {

// FedAvg and its family: experiment::run_federation on the retained clients' data.
class WeightFederationRounds : public RoundEngine {
 public:
  Cost replay(const UnlearnInputs& in, models::Clip& model, const std::string& dir,
              MetricsWriter& metrics) const override {
    auto cfg = in.cfg;
    cfg.fl.history_every = 0;  // a replay needs no history
    cfg.fl.sketch_max_rank = 0;
    return federation_cost(experiment::run_federation(
        model, in.ds, in.tokens, in.forget.retained, cfg, in.ctx, dir, metrics,
        {.excluded_clients = in.forget.removed_clients, .server_eval = false}));
  }

  Cost continue_rounds(const UnlearnInputs& in, models::Clip& model, int64_t rounds, const std::string& dir,
                       MetricsWriter& metrics, const RoundsOptions& opts) const override {
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
    return federation_cost(experiment::run_federation(
        model, in.ds, in.tokens, opts.with_forget_data ? in.clients : in.forget.retained, cfg, in.ctx, dir, metrics,
        {.excluded_clients = opts.with_forget_data ? std::vector<int64_t>{} : in.forget.removed_clients,
         .rounds = rounds,
         .server_eval = false,
         .evaluation = evaluation,
         .lock = opts.lock}));
  }
};

// CreamFL: its own rounds over representations of the public set (creamfl_replay.h).
class CreamFlRounds : public RoundEngine {
 public:
  Cost replay(const UnlearnInputs& in, models::Clip& model, const std::string& dir,
              MetricsWriter& metrics) const override {
    return federation_cost(replay_creamfl(in, model, dir, metrics, {}));
  }

  Cost continue_rounds(const UnlearnInputs& in, models::Clip& model, int64_t rounds, const std::string& dir,
                       MetricsWriter& metrics, const RoundsOptions& opts) const override {
    LETHE_CHECK(opts.local_steps < 0 || opts.local_steps == in.cfg.fl.local_steps,
                "a CreamFL run's rounds keep its fl.local_steps ({}), not {}: its clients' optimisers "
                "continue from the run's checkpoint",
                in.cfg.fl.local_steps, opts.local_steps);
    return federation_cost(replay_creamfl(
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
         .server_filter = opts.lock.empty() ? fl::UpdateFilter{} : opts.lock.filter()}));
  }
};

}  // namespace

const RoundEngine& round_engine(experiment::RunKind kind) {
  static const WeightFederationRounds weights;
  static const CreamFlRounds creamfl;
  switch (kind) {
    case experiment::RunKind::kFederation:
      return weights;
    case experiment::RunKind::kCreamFl:
      return creamfl;
    case experiment::RunKind::kCentral:
    case experiment::RunKind::kMultimodalLm:
      break;
  }
  throw InputError("unlearning replays federated rounds: this run was not trained by a federation");
}

Cost federation_cost(const experiment::FederationResult& result) {
  const auto& t = result.totals;
  return {.local_steps = t.steps, .rounds = t.rounds, .bytes = t.bytes_down + t.bytes_up};
}

Cost federation_cost(const creamfl::CreamTotals& t) {
  return {.local_steps = t.counters.steps, .rounds = t.rounds, .bytes = t.counters.bytes_down + t.counters.bytes_up};
}

RoundsResult run_rounds(const UnlearnInputs& in, const TensorMap& start, int64_t rounds,
                        const std::string& tag, const RoundsOptions& opts) {
  if (rounds <= 0) return {clone(start), {}};
  const std::string dir = in.work_dir + "/" + tag;
  std::filesystem::remove_all(dir);
  auto model = model_with(in, start);
  MetricsWriter metrics(RunFolder(dir).metrics());
  const auto cost = round_engine(experiment::run_kind(in.cfg)).continue_rounds(in, model, rounds, dir, metrics, opts);
  return {experiment::trainable_parameters(model), cost};
}

}  // namespace lethe::unlearn
