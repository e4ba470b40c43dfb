#pragma once
// What an unlearning session measured, typed: the audit of one deletion request on a CLIP run
// (every model's retrieval, AUC, membership inference, gaps to the retrain reference, cost,
// relearning attack and re-anchoring curves). Sessions build it, callers read its fields, and
// to_json() writes audit.json — the one place it becomes JSON (the report, the benchmark's rows
// and Python's dicts read that document).
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "lethe/eval/mia.h"
#include "lethe/eval/retrieval.h"
#include "lethe/unlearn/unlearner.h"

namespace lethe::unlearn {

// Retain / test recall: the field-wise mean over disjoint galleries of the forget gallery's size
// (folds), and each fold's R@1.
struct FoldRecall {
  eval::RecallBlock mean;
  std::vector<double> r1_folds;
  nlohmann::json to_json() const;  // mean's fields, "folds" (count) and "r1_folds"
  bool operator==(const FoldRecall&) const = default;
};

// One model measured on the audit's galleries (audit.h's audit_model).
struct ModelAudit {
  eval::RecallBlock forget;  // the forget gallery (D_f, or a sample of it)
  FoldRecall retain, test;
  double auc_deleted_vs_remaining = 0.5;
  eval::MiaResult mia;
  nlohmann::json to_json() const;  // {"forget", "retain", "test", "auc_deleted_vs_remaining", "mia"}
  bool operator==(const ModelAudit&) const = default;
};

// |X − X_retrain| in R@1 points.
struct RecallGaps {
  double forget_r1 = 0, retain_r1 = 0, test_r1 = 0;
  // |attacked model's forget R@1 − attacked reference's| after the relearning attack.
  std::optional<double> relearn_forget_r1;
  nlohmann::json to_json() const;
  bool operator==(const RecallGaps&) const = default;
};

RecallGaps recall_gaps(const ModelAudit& model, const ModelAudit& reference);

// The relearning attack's outcome (relearn.h): forget R@1 on the gallery it never trained on.
struct RelearnOutcome {
  int64_t train_pairs = 0, gallery_pairs = 0, steps = 0;
  double lr = 0;
  double forget_r1_before = 0, forget_r1_after = 0;
  double rebound() const { return forget_r1_after - forget_r1_before; }
  nlohmann::json to_json() const;  // the fields and "rebound"
  bool operator==(const RelearnOutcome&) const = default;
};

// Further federated rounds from an unlearned model (reanchor.h): R@1 after 0, 1, …, rounds.
struct ReanchorCurve {
  bool locked = false;
  std::string lock_form;  // "projection" | "penalty" when locked (fl::LockForm)
  int64_t lock_directions = 0, rounds = 0;
  std::vector<double> forget_r1, retain_r1, test_r1;
  std::string data;  // "retained" | "original": whose data the rounds train on
  double max_forget_drift() const;  // max_t |forget_r1[t] − forget_r1[0]|
  nlohmann::json to_json() const;
  bool operator==(const ReanchorCurve&) const = default;
};

// The retrain reference: the federation trained again without D_f.
struct ReferenceAudit {
  ModelAudit model;
  std::string weights_sha256;
  double wall_s = 0;
  bool from_cache = false;
  std::optional<RelearnOutcome> relearn;
  nlohmann::json to_json() const;
};

// The model the request was made on.
struct OriginalAudit {
  ModelAudit model;
  std::string weights_sha256;
  RecallGaps gap;  // what unlearning has to close
  nlohmann::json to_json() const;
};

// One method's unlearned model.
struct MethodAudit {
  ModelAudit model;
  RecallGaps gap;
  Cost cost;
  double cost_ratio = 0;  // cost.wall_s / the reference's (0 when that is unknown)
  std::string weights_sha256;
  nlohmann::json details = nlohmann::json::object();  // the method's own diagnostics (UnlearnOutput)
  std::optional<RelearnOutcome> relearn;
  std::optional<ReanchorCurve> post_rounds;           // under the method's lock when it has one
  std::optional<ReanchorCurve> post_rounds_unlocked;  // the same rounds without it
  nlohmann::json to_json() const;
};

// One round of the original run (metrics.jsonl): what the report's training chart shows.
struct TrainingPoint {
  int64_t round = 0;
  std::optional<double> loss, wall_s, val_r1;
  nlohmann::json to_json() const;
};

struct Audit {
  std::string request;  // as given (client:0, samples:0:0.5, …)
  int64_t forget_size = 0;    // pairs in D_f
  std::string manifest_sha256;  // of manifest.json: which pairs were forgotten
  int64_t gallery_units = 0;  // units in each gallery (forget, every retain and test fold)
  ReferenceAudit reference;
  OriginalAudit original;
  std::vector<TrainingPoint> training;
  std::vector<std::pair<std::string, MethodAudit>> methods;  // in the order they ran

  // The named method's audit; InputError naming the methods that ran when it did not.
  const MethodAudit& method(const std::string& name) const;
  nlohmann::json to_json() const;
};

// {name: m.to_json()} for the methods of an audit (either kind).
template <class M>
nlohmann::json methods_json(const std::vector<std::pair<std::string, M>>& methods) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [name, m] : methods) j[name] = m.to_json();
  return j;
}

// The report's "reanchoring" block: {"rounds": [0, …, R], "curves": {"NAME (lock)" |
// "NAME (penalty lock)" | "NAME": forget_r1, "NAME (no lock)": forget_r1 of post_rounds_unlocked}};
// null when no method was re-anchored.
nlohmann::json reanchoring_curves(const std::vector<std::pair<std::string, MethodAudit>>& methods);

}  // namespace lethe::unlearn
