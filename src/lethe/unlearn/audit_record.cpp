#include "lethe/unlearn/audit_record.h"

#include <algorithm>
#include <cmath>

#include "lethe/core/error.h"
#include "lethe/core/strings.h"

namespace lethe::unlearn {

nlohmann::json FoldRecall::to_json() const {
  auto j = mean.to_json();
  j["folds"] = r1_folds.size();
  j["r1_folds"] = r1_folds;
  return j;
}

nlohmann::json ModelAudit::to_json() const {
  return {{"forget", forget.to_json()},
          {"retain", retain.to_json()},
          {"test", test.to_json()},
          {"auc_deleted_vs_remaining", auc_deleted_vs_remaining},
          {"mia", mia.to_json()}};
}

nlohmann::json RecallGaps::to_json() const {
  nlohmann::json j = {{"forget_r1", forget_r1}, {"retain_r1", retain_r1}, {"test_r1", test_r1}};
  if (relearn_forget_r1) j["relearn_forget_r1"] = *relearn_forget_r1;
  return j;
}

RecallGaps recall_gaps(const ModelAudit& model, const ModelAudit& reference) {
  return {std::abs(model.forget.r1 - reference.forget.r1), std::abs(model.retain.mean.r1 - reference.retain.mean.r1),
          std::abs(model.test.mean.r1 - reference.test.mean.r1), std::nullopt};
}

nlohmann::json RelearnOutcome::to_json() const {
  return {{"train_pairs", train_pairs},
          {"gallery_pairs", gallery_pairs},
          {"steps", steps},
          {"lr", lr},
          {"forget_r1_before", forget_r1_before},
          {"forget_r1_after", forget_r1_after},
          {"rebound", rebound()}};
}

double ReanchorCurve::max_forget_drift() const {
  double drift = 0;
  for (double f : forget_r1) drift = std::max(drift, std::abs(f - forget_r1.front()));
  return drift;
}

nlohmann::json ReanchorCurve::to_json() const {
  nlohmann::json j = {{"locked", locked},       {"lock_directions", lock_directions},
                      {"rounds", rounds},       {"forget_r1", forget_r1},
                      {"retain_r1", retain_r1}, {"test_r1", test_r1},
                      {"max_forget_drift", max_forget_drift()}, {"data", data}};
  if (locked) j["lock_form"] = lock_form;
  return j;
}

nlohmann::json ReferenceAudit::to_json() const {
  auto j = model.to_json();
  j["method"] = "retrain";
  j["weights_sha256"] = weights_sha256;
  j["wall_s"] = wall_s;
  j["from_cache"] = from_cache;
  if (relearn) j["relearn"] = relearn->to_json();
  return j;
}

nlohmann::json OriginalAudit::to_json() const {
  auto j = model.to_json();
  j["weights_sha256"] = weights_sha256;
  j["gap"] = gap.to_json();
  return j;
}

nlohmann::json MethodAudit::to_json() const {
  auto j = model.to_json();
  j["gap"] = gap.to_json();
  j.update(cost.to_json());  // the cost fields beside the measurements
  j["cost_ratio"] = cost_ratio;
  j["weights_sha256"] = weights_sha256;
  j["details"] = details;
  if (relearn) j["relearn"] = relearn->to_json();
  if (post_rounds) j["post_rounds"] = post_rounds->to_json();
  if (post_rounds_unlocked) j["post_rounds_unlocked"] = post_rounds_unlocked->to_json();
  return j;
}

nlohmann::json TrainingPoint::to_json() const {
  nlohmann::json j = {{"round", round}};
  if (loss) j["loss"] = *loss;
  if (wall_s) j["wall_s"] = *wall_s;
  if (val_r1) j["val_r1"] = *val_r1;
  return j;
}

const MethodAudit& Audit::method(const std::string& name) const {
  std::vector<std::string> ran;
  for (const auto& [n, m] : methods) {
    if (n == name) return m;
    ran.push_back(n);
  }
  throw InputError(fmt::format("the audit of '{}' has no method '{}' (it ran: {})", request, name,
                               join(ran, ", ")));
}

nlohmann::json reanchoring_curves(const std::vector<std::pair<std::string, MethodAudit>>& methods) {
  nlohmann::json curves = nlohmann::json::object();
  size_t points = 0;
  for (const auto& [name, m] : methods) {
    if (m.post_rounds) {
      const auto& p = *m.post_rounds;
      curves[!p.locked ? name : p.lock_form == "penalty" ? name + " (penalty lock)" : name + " (lock)"] = p.forget_r1;
      points = std::max(points, m.post_rounds->forget_r1.size());
    }
    if (m.post_rounds_unlocked) curves[name + " (no lock)"] = m.post_rounds_unlocked->forget_r1;
  }
  if (curves.empty()) return nullptr;
  nlohmann::json rounds = nlohmann::json::array();
  for (size_t r = 0; r < points; ++r) rounds.push_back(r);
  return {{"rounds", std::move(rounds)}, {"curves", std::move(curves)}};
}

nlohmann::json Audit::to_json() const {
  nlohmann::json curve = nlohmann::json::array();
  for (const auto& t : training) curve.push_back(t.to_json());
  nlohmann::json j = {{"request", request},         {"forget_size", forget_size},
                      {"manifest_sha256", manifest_sha256}, {"gallery_units", gallery_units},
                      {"reference", reference.to_json()},   {"original", original.to_json()},
                      {"training", std::move(curve)},       {"methods", methods_json(methods)}};
  if (auto curves = reanchoring_curves(methods); !curves.is_null()) j["reanchoring"] = std::move(curves);
  return j;
}

}  // namespace lethe::unlearn
