#include "lethe/eval/retrieval.h"

#include "lethe/core/error.h"
#include "lethe/core/shape.h"

namespace lethe::eval {

nlohmann::json RecallBlock::to_json() const {
  return {{"gallery", gallery}, {"captions", captions}, {"i2t_r1", i2t_r1}, {"i2t_r5", i2t_r5},
          {"i2t_r10", i2t_r10}, {"t2i_r1", t2i_r1},     {"t2i_r5", t2i_r5}, {"t2i_r10", t2i_r10},
          {"rsum", rsum},       {"r1", r1}};
}

RecallBlock RecallBlock::from_json(const nlohmann::json& j) {
  RecallBlock b;
  b.gallery = j.at("gallery");
  b.captions = j.value("captions", int64_t{0});
  b.i2t_r1 = j.at("i2t_r1"), b.i2t_r5 = j.at("i2t_r5"), b.i2t_r10 = j.at("i2t_r10");
  b.t2i_r1 = j.at("t2i_r1"), b.t2i_r5 = j.at("t2i_r5"), b.t2i_r10 = j.at("t2i_r10");
  b.rsum = j.at("rsum"), b.r1 = j.at("r1");
  return b;
}

torch::Tensor query_ranks(const torch::Tensor& queries, const torch::Tensor& candidates,
                          const std::vector<std::pair<int64_t, int64_t>>& positives,
                          int64_t chunk) {
  torch::NoGradGuard ng;
  const int64_t q = queries.size(0), c = candidates.size(0);
  LETHE_CHECK(queries.dim() == 2 && candidates.dim() == 2 && queries.size(1) == candidates.size(1),
              "retrieval: embeddings must be (N,D) with equal D, got {} and {}",
              shape_str(queries), shape_str(candidates));
  // Positives grouped by query (CSR), so each chunk builds its mask without scanning all pairs.
  std::vector<int64_t> count(q + 1, 0);
  for (const auto& [a, b] : positives) {
    LETHE_CHECK(a >= 0 && a < q && b >= 0 && b < c, "retrieval: positive ({}, {}) out of range", a, b);
    ++count[a + 1];
  }
  for (int64_t i = 0; i < q; ++i) {
    LETHE_CHECK(count[i + 1] > 0, "retrieval: query {} has no positive", i);
    count[i + 1] += count[i];
  }
  std::vector<int64_t> fill(count.begin(), count.end() - 1), cols(positives.size());
  for (const auto& [a, b] : positives) cols[fill[a]++] = b;

  auto qn = torch::nn::functional::normalize(queries.to(torch::kFloat),
                                             torch::nn::functional::NormalizeFuncOptions().dim(1));
  auto cn = torch::nn::functional::normalize(candidates.to(torch::kFloat),
                                             torch::nn::functional::NormalizeFuncOptions().dim(1));
  auto ranks = torch::empty({q}, torch::kLong);
  for (int64_t s = 0; s < q; s += chunk) {
    const int64_t e = std::min(q, s + chunk);
    auto sims = qn.slice(0, s, e).mm(cn.t());  // (e-s, C)
    // Flat indices of the positives of this chunk.
    std::vector<int64_t> rows_idx, cols_idx;
    for (int64_t i = s; i < e; ++i)
      for (int64_t k = count[i]; k < count[i + 1]; ++k) rows_idx.push_back(i - s), cols_idx.push_back(cols[k]);
    auto ri = torch::tensor(rows_idx, torch::kLong), ci = torch::tensor(cols_idx, torch::kLong);
    auto mask = torch::zeros_like(sims, torch::kBool);
    mask.index_put_({ri, ci}, true);
    auto best = sims.masked_fill(mask.logical_not(), -std::numeric_limits<float>::infinity())
                    .amax(1, /*keepdim=*/true);
    auto r = ((sims >= best) & mask.logical_not()).sum(1);
    ranks.slice(0, s, e).copy_(r);
  }
  return ranks;
}

namespace {
double recall_at(const torch::Tensor& ranks, int64_t k) {
  return 100.0 * (ranks < k).to(torch::kDouble).mean().item<double>();
}
}  // namespace

RecallBlock retrieval_recall(const torch::Tensor& img, const torch::Tensor& txt,
                             const std::vector<std::pair<int64_t, int64_t>>& positives,
                             int64_t chunk) {
  std::vector<std::pair<int64_t, int64_t>> flipped;
  flipped.reserve(positives.size());
  for (const auto& [i, t] : positives) flipped.emplace_back(t, i);
  auto i2t = query_ranks(img, txt, positives, chunk);
  auto t2i = query_ranks(txt, img, flipped, chunk);
  RecallBlock b;
  b.gallery = img.size(0);
  b.captions = txt.size(0);
  b.i2t_r1 = recall_at(i2t, 1), b.i2t_r5 = recall_at(i2t, 5), b.i2t_r10 = recall_at(i2t, 10);
  b.t2i_r1 = recall_at(t2i, 1), b.t2i_r5 = recall_at(t2i, 5), b.t2i_r10 = recall_at(t2i, 10);
  b.rsum = b.i2t_r1 + b.i2t_r5 + b.i2t_r10 + b.t2i_r1 + b.t2i_r5 + b.t2i_r10;
  b.r1 = 0.5 * (b.i2t_r1 + b.t2i_r1);
  return b;
}

}  // namespace lethe::eval
