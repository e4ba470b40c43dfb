#include "lethe/unlearn/reanchor.h"

#include "lethe/eval/embed.h"
#include "lethe/experiment/clip_client.h"
#include "lethe/unlearn/round_engine.h"

namespace lethe::unlearn {

ReanchorCurve reanchor(const UnlearnInputs& in, const AuditSets& sets, const TensorMap& weights,
                       const fl::ForgetLock& lock, int64_t rounds, const std::string& tag) {
  auto model = model_with(in, weights);
  ReanchorCurve c{.locked = !lock.empty(),
                  .lock_form = lock.empty()                         ? ""
                               : lock.form == fl::LockForm::kPenalty ? "penalty"
                                                                     : "projection",
                  .lock_directions = lock.directions(),
                  .rounds = rounds,
                  .data = in.ucfg.post_rounds_data};
  auto measure = [&](const TensorMap& global) {
    experiment::load_parameters(model, global);
    const auto table = embed_audit_sets(model, in, sets);
    c.forget_r1.push_back(table.evaluate(sets.forget).r1);
    c.retain_r1.push_back(eval::mean_recall(evaluate_folds(table, sets.retain)).r1);
    c.test_r1.push_back(eval::mean_recall(evaluate_folds(table, sets.test)).r1);
  };
  measure(weights);
  const bool original = in.ucfg.post_rounds_data == "original";
  run_rounds(in, weights, rounds, tag,
             {.lock = lock,
              .with_forget_data = original,
              .after_round = [&](int64_t, const TensorMap& global) { measure(global); }});
  return c;
}

}  // namespace lethe::unlearn
