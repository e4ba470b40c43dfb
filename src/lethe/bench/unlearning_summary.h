#pragma once
// The numbers of `lethe bench unlearning`: audit.json documents of `lethe unlearn` (one per seed
// and request) reduced to per-seed metric rows, then to mean ± sample std over seeds per
// (request, model), and rendered as markdown tables. Pure functions: no training, no files.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace lethe::bench {

// One `run_unlearning` result on the run trained with `seed`.
struct SeedAudit {
  int64_t seed = 0;
  nlohmann::json audit;
};

// The metrics of one model in an audit, flat: forget_r1, retain_r1, test_r1, forget_rprec,
// retain_rprec, test_rprec (R-precision, eval/retrieval.h), gap_forget,
// gap_retain, gap_test, auc, mia_auc (CLIP) or forget_vqa, forget_vqa_choice, forget_qa,
// retain_vqa, retain_qa, heldout_vqa, gap_forget_vqa, gap_forget_qa, gap_retain_vqa, gap_sum,
// gap_sum_choice (multimodal LM), then
// cost_ratio, wall_s — each only where the audit has it
// (the original has no cost; the retrain reference is the unit of cost, ratio 1).
nlohmann::json model_metrics(const nlohmann::json& block, bool is_retrain);

// Per-seed rows: [{"seed", "request", "forget_size", "forget_unit" ("pairs", or "image
// questions" for a multimodal-LM audit), "models": [{"model", metrics...}]}],
// models in the order original, retrain, then the methods.
nlohmann::json seed_rows(const std::vector<SeedAudit>& audits);

// CONTRACT.md's results.json: one flat row per (seed, request, model) — {"request", "method",
// "seed", "forget_r1", "retain_r1", "test_r1", "forget_rprec", "retain_rprec", "test_rprec",
// "gap_forget_r1", "gap_retain_r1", "gap_test_r1", "auc", "mia_auc", "wall_s", "cost_ratio"},
// each metric only where the audit
// has it; "method" is "original", "retrain" or the method's name.
nlohmann::json contract_rows(const std::vector<SeedAudit>& audits);

// Per request, in first-seen order: {"request", "seeds": [...], "forget_size": stat, "forget_unit",
// "models": [{"model", "<metric>": {"mean", "std", "n"}}]}. std is the sample standard
// deviation (n − 1), null when a metric has fewer than two seeds. InputError when a
// (seed, request) pair appears twice.
nlohmann::json aggregate_unlearning(const std::vector<SeedAudit>& audits);

// One markdown table per request of aggregate_unlearning's result, cells "mean ± std".
std::string unlearning_markdown(const nlohmann::json& aggregate);

}  // namespace lethe::bench
