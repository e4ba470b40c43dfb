#pragma once
// Evaluating one model for the audit (METHODS.md §6): forget / retain-sample / test retrieval at
// one fixed gallery size, the deleted-vs-remaining AUC and membership inference. Retain and test
// R@K are means over disjoint galleries (folds) of that size: one gallery of a 5% request holds
// ~86 units, where one unit moves the i2t/t2i mean R@1 by 0.6 points (docs/evaluation.md).
#include "lethe/eval/embed.h"
#include "lethe/eval/retrieval.h"
#include "lethe/unlearn/audit_record.h"
#include "lethe/unlearn/unlearner.h"

namespace lethe::unlearn {

struct AuditSets {
  std::vector<int64_t> forget;                   // the forget gallery (D_f, or a sample of it)
  std::vector<std::vector<int64_t>> retain, test;  // folds: disjoint galleries of `units` units
  std::vector<int64_t> auc_retain;            // what the AUC ranks D_f against (remaining pairs)
  std::vector<int64_t> members, nonmembers;   // MIA: retain-train pairs vs test pairs
  std::vector<int64_t> distractors;           // caption ids the MIA loss ranks against
  // Relearning attack: the D_f units it fine-tunes on, and the forget gallery without them
  // (the rebound is measured on pairs the attack never saw).
  std::vector<int64_t> relearn_train, relearn_gallery;
  int64_t units = 0;
};

AuditSets make_audit_sets(const UnlearnInputs& in, int64_t max_units = 1000);

// Every image and caption of the sets (forget, folds, AUC and MIA pairs) encoded once by `model`.
eval::EmbeddingTable embed_audit_sets(models::Clip& model, const UnlearnInputs& in, const AuditSets& sets);

// Recall on each fold (eval::mean_recall gives the audit's figure).
std::vector<eval::RecallBlock> evaluate_folds(const eval::EmbeddingTable& table,
                                              const std::vector<std::vector<int64_t>>& folds);

// The model holding `weights` measured on the sets.
ModelAudit audit_model(const UnlearnInputs& in, const AuditSets& sets, const TensorMap& weights);

std::string weights_sha256(const TensorMap& weights);

}  // namespace lethe::unlearn
