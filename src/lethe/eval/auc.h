#pragma once
#include <torch/torch.h>

#include <cstdint>

namespace lethe::eval {

// Area under the ROC curve of `scores` for binary `labels` (1 = positive), ties counted as half
// (Mann–Whitney U with average ranks). InputError if either class is empty.
double auroc(const torch::Tensor& scores, const torch::Tensor& labels);

// MultiDelete's deleted-vs-remaining AUC (METHODS.md §6): D_f pair scores are the negatives,
// each of `chunks` disjoint, seeded chunks of |D_f| retained pair scores the positives; the mean
// AUROC over chunks. 0.5 = deleted pairs look like retained ones. Fewer chunks are used when
// D_r is too small for `chunks` full ones.
double deleted_vs_remaining_auc(const torch::Tensor& forget_scores,
                                const torch::Tensor& retain_scores, int64_t chunks, uint64_t seed);

}  // namespace lethe::eval
