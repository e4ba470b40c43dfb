#include "lethe/unlearn/reanchor.h"

#include <algorithm>
#include <cmath>

#include "lethe/eval/embed.h"
#include "lethe/experiment/clip_client.h"
#include "lethe/unlearn/federation_runner.h"

namespace lethe::unlearn {

nlohmann::json reanchor(const UnlearnInputs& in, const AuditSets& sets, const TensorMap& weights,
                        const fl::ForgetLock& lock, int64_t rounds, const std::string& tag) {
  auto model = model_with(in, weights);
  nlohmann::json forget = nlohmann::json::array(), retain = nlohmann::json::array(),
                 test = nlohmann::json::array();
  auto measure = [&](const TensorMap& global) {
    experiment::load_parameters(model, global);
    const auto table = embed_audit_sets(model, in, sets);
    forget.push_back(table.evaluate(sets.forget).r1);
    retain.push_back(eval::mean_recall(evaluate_folds(table, sets.retain)).r1);
    test.push_back(eval::mean_recall(evaluate_folds(table, sets.test)).r1);
  };
  measure(weights);
  const bool original = in.ucfg.post_rounds_data == "original";
  run_rounds(in, weights, rounds, tag,
             {.lock = lock,
              .with_forget_data = original,
              .after_round = [&](int64_t, const TensorMap& global) { measure(global); }});
  double drift = 0;
  for (const auto& f : forget) drift = std::max(drift, std::abs(f.get<double>() - forget[0].get<double>()));
  return {{"locked", !lock.empty()},       {"lock_directions", lock.directions()},
          {"rounds", rounds},              {"forget_r1", std::move(forget)},
          {"retain_r1", std::move(retain)}, {"test_r1", std::move(test)},
          {"max_forget_drift", drift},     {"data", in.ucfg.post_rounds_data}};
}

nlohmann::json reanchoring_curves(const nlohmann::json& methods) {
  nlohmann::json curves = nlohmann::json::object();
  size_t points = 0;
  for (const auto& [name, block] : methods.items()) {
    if (block.contains("post_rounds")) {
      const auto& p = block["post_rounds"];
      curves[p.value("locked", false) ? name + " (lock)" : name] = p["forget_r1"];
      points = std::max(points, p["forget_r1"].size());
    }
    if (block.contains("post_rounds_unlocked"))
      curves[name + " (no lock)"] = block["post_rounds_unlocked"]["forget_r1"];
  }
  if (curves.empty()) return nullptr;
  nlohmann::json rounds = nlohmann::json::array();
  for (size_t r = 0; r < points; ++r) rounds.push_back(r);
  return {{"rounds", std::move(rounds)}, {"curves", std::move(curves)}};
}

}  // namespace lethe::unlearn
