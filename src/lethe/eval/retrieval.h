#pragma once
// Retrieval recall in both directions with any number of positives per query (several captions
// per image, several images per caption). Similarities are computed in chunks of queries, so a
// 100k gallery never materialises a dense 100k×100k matrix.
//
// Rank of a query = number of NON-positive candidates scoring >= its best positive (ties count
// against the model, so a constant scorer gets ~0 recall, not 100%). Hit@K ⇔ rank < K.
//
// R-precision of a query with R positives = the fraction of its top R candidates that are
// positives (the EASE paper's second metric). Ties are broken against the model as for ranks:
// a non-positive scoring equal to a positive ranks above it. With one positive it is hit@1.
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cstdint>
#include <utility>
#include <vector>

namespace lethe::eval {

struct RecallBlock {
  int64_t gallery = 0;   // images in the gallery
  int64_t captions = 0;  // captions in the gallery
  double i2t_r1 = 0, i2t_r5 = 0, i2t_r10 = 0;
  double t2i_r1 = 0, t2i_r5 = 0, t2i_r10 = 0;
  double rsum = 0;  // sum of the six, percentage points
  double r1 = 0;    // mean of i2t_r1 and t2i_r1 (the headline number)
  double i2t_rprec = 0, t2i_rprec = 0;  // mean R-precision per direction, percent
  double rprec = 0;                     // mean of the two
  nlohmann::json to_json() const;
  static RecallBlock from_json(const nlohmann::json& j);
  bool operator==(const RecallBlock&) const = default;
};

// Field-wise mean of recall blocks measured on equal-sized galleries (folds), as COCO 1K reports
// the mean of five folds; gallery/captions are the folds' means, rounded.
RecallBlock mean_recall(const std::vector<RecallBlock>& folds);

// Per query, among the candidates (pessimistic ties as above):
//   queries (Q,D), candidates (C,D) float; positives: (query, candidate) index pairs; every
//   query must have at least one positive.
struct QueryScores {
  torch::Tensor ranks;        // (Q,) int64
  torch::Tensor r_precision;  // (Q,) float64 in [0, 1]
};
QueryScores query_scores(const torch::Tensor& queries, const torch::Tensor& candidates,
                         const std::vector<std::pair<int64_t, int64_t>>& positives,
                         int64_t chunk = 2048);

// img (NI,D) and txt (NC,D) embeddings (normalised or not: cosine is applied here);
// positives: (image, caption) index pairs. Percentages in the result.
RecallBlock retrieval_recall(const torch::Tensor& img, const torch::Tensor& txt,
                             const std::vector<std::pair<int64_t, int64_t>>& positives,
                             int64_t chunk = 2048);

}  // namespace lethe::eval
