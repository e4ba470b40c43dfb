#include "lethe/eval/retrieval.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "lethe/core/error.h"
#include "lethe/core/shape.h"

namespace lethe::eval {

nlohmann::json RecallBlock::to_json() const {
  return {{"gallery", gallery}, {"captions", captions}, {"i2t_r1", i2t_r1}, {"i2t_r5", i2t_r5},
          {"i2t_r10", i2t_r10}, {"t2i_r1", t2i_r1},     {"t2i_r5", t2i_r5}, {"t2i_r10", t2i_r10},
          {"rsum", rsum},       {"r1", r1},             {"i2t_rprec", i2t_rprec},
          {"t2i_rprec", t2i_rprec}, {"rprec", rprec}};
}

RecallBlock RecallBlock::from_json(const nlohmann::json& j) {
  RecallBlock b;
  b.gallery = j.at("gallery");
  b.captions = j.value("captions", int64_t{0});
  b.i2t_r1 = j.at("i2t_r1"), b.i2t_r5 = j.at("i2t_r5"), b.i2t_r10 = j.at("i2t_r10");
  b.t2i_r1 = j.at("t2i_r1"), b.t2i_r5 = j.at("t2i_r5"), b.t2i_r10 = j.at("t2i_r10");
  b.rsum = j.at("rsum"), b.r1 = j.at("r1");
  // Blocks written before R-precision existed lack it.
  b.i2t_rprec = j.value("i2t_rprec", 0.0), b.t2i_rprec = j.value("t2i_rprec", 0.0);
  b.rprec = j.value("rprec", 0.0);
  return b;
}

RecallBlock mean_recall(const std::vector<RecallBlock>& folds) {
  LETHE_CHECK(!folds.empty(), "mean_recall: no folds");
  RecallBlock m;
  double gallery = 0, captions = 0;
  for (const auto& b : folds) {
    gallery += double(b.gallery), captions += double(b.captions);
    m.i2t_r1 += b.i2t_r1, m.i2t_r5 += b.i2t_r5, m.i2t_r10 += b.i2t_r10;
    m.t2i_r1 += b.t2i_r1, m.t2i_r5 += b.t2i_r5, m.t2i_r10 += b.t2i_r10;
    m.rsum += b.rsum, m.r1 += b.r1;
    m.i2t_rprec += b.i2t_rprec, m.t2i_rprec += b.t2i_rprec, m.rprec += b.rprec;
  }
  const auto n = double(folds.size());
  m.gallery = std::llround(gallery / n), m.captions = std::llround(captions / n);
  for (double* f : {&m.i2t_r1, &m.i2t_r5, &m.i2t_r10, &m.t2i_r1, &m.t2i_r5, &m.t2i_r10, &m.rsum, &m.r1,
                    &m.i2t_rprec, &m.t2i_rprec, &m.rprec})
    *f /= n;
  return m;
}

QueryScores query_scores(const torch::Tensor& queries, const torch::Tensor& candidates,
                         const std::vector<std::pair<int64_t, int64_t>>& positives, int64_t chunk) {
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
  // A pair listed twice is one positive.
  int64_t width = 0;
  for (int64_t i = 0; i < q; ++i) {
    auto first = cols.begin() + count[i], last = cols.begin() + count[i + 1];
    std::sort(first, last);
    fill[i] = std::unique(first, last) - cols.begin();
    width = std::max(width, fill[i] - count[i]);
  }

  auto qn = torch::nn::functional::normalize(queries.to(torch::kFloat),
                                             torch::nn::functional::NormalizeFuncOptions().dim(1));
  auto cn = torch::nn::functional::normalize(candidates.to(torch::kFloat),
                                             torch::nn::functional::NormalizeFuncOptions().dim(1));
  auto ranks = torch::empty({q}, torch::kLong);
  auto r_precision = torch::empty({q}, torch::kDouble);
  const float neg_inf = -std::numeric_limits<float>::infinity();
  // One similarity buffer for every chunk (a fresh 100+ MB tensor per chunk costs as much in
  // page faults as the matmul itself), compared in place and counted in float: both several
  // times faster than a bool comparison and a bool sum (measured, docs/performance.md).
  LETHE_CHECK(c < (int64_t{1} << 24), "retrieval: {} candidates exceed the exact float count", c);
  auto buffer = torch::empty({std::min(q, chunk), c});
  const auto cn_t = cn.t();
  for (int64_t s = 0; s < q; s += chunk) {
    const int64_t e = std::min(q, s + chunk), n = e - s;
    auto sims = buffer.narrow(0, 0, n);
    torch::mm_out(sims, qn.slice(0, s, e), cn_t);  // (n, C)
    // Each query's positives as a padded (n, width) index (pads repeat its first positive and
    // are masked out).
    auto idx = torch::empty({n, width}, torch::kLong);
    auto valid = torch::empty({n, width}, torch::kBool);
    auto* ip = idx.data_ptr<int64_t>();
    auto* vp = valid.data_ptr<bool>();
    for (int64_t i = 0; i < n; ++i)
      for (int64_t k = 0; k < width; ++k) {
        const int64_t at = count[s + i] + k;
        const bool ok = at < fill[s + i];
        ip[i * width + k] = cols[ok ? at : count[s + i]];
        vp[i * width + k] = ok;
      }
    auto pos = sims.gather(1, idx).masked_fill(valid.logical_not(), neg_inf);
    // R-precision: the positives in score order s_0 >= s_1 >= ... (pads, -inf, last); the j-th
    // stands at place j + n_j, n_j the non-positives scoring >= s_j, and counts if that place
    // is among the first R. n_0 is the rank, computed below; the others need one pass each
    // over the similarities, made before the rank's pass overwrites them.
    const auto r = valid.sum(1);  // (n,) positives per query
    const auto sorted = std::get<0>(pos.sort(1, /*descending=*/true));
    auto hits = torch::zeros({n}, torch::kLong);
    for (int64_t j = 1; j < width; ++j) {
      const auto s_j = sorted.select(1, j).unsqueeze(1);
      const auto n_j = sims.ge(s_j).sum(1) - pos.ge(s_j).sum(1);
      hits += (r.gt(j) & (n_j + j).lt(r)).to(torch::kLong);
    }
    auto best = sorted.select(1, 0).unsqueeze(1);
    // Every candidate scoring >= the best positive, minus the positives among them (those tied
    // with it: nothing positive scores above its maximum).
    auto tied_positives = pos.ge(best).sum(1);
    auto at_or_above = sims.ge_(best).sum(1).to(torch::kLong);
    auto rank = at_or_above - tied_positives;
    ranks.slice(0, s, e).copy_(rank);
    hits += rank.lt(r).to(torch::kLong);
    r_precision.slice(0, s, e).copy_(hits.to(torch::kDouble) / r.to(torch::kDouble));
  }
  return {ranks, r_precision};
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
  const auto i2t_scores = query_scores(img, txt, positives, chunk);
  const auto t2i_scores = query_scores(txt, img, flipped, chunk);
  const auto& i2t = i2t_scores.ranks;
  const auto& t2i = t2i_scores.ranks;
  RecallBlock b;
  b.gallery = img.size(0);
  b.captions = txt.size(0);
  b.i2t_r1 = recall_at(i2t, 1), b.i2t_r5 = recall_at(i2t, 5), b.i2t_r10 = recall_at(i2t, 10);
  b.t2i_r1 = recall_at(t2i, 1), b.t2i_r5 = recall_at(t2i, 5), b.t2i_r10 = recall_at(t2i, 10);
  b.rsum = b.i2t_r1 + b.i2t_r5 + b.i2t_r10 + b.t2i_r1 + b.t2i_r5 + b.t2i_r10;
  b.r1 = 0.5 * (b.i2t_r1 + b.t2i_r1);
  b.i2t_rprec = 100.0 * i2t_scores.r_precision.mean().item<double>();
  b.t2i_rprec = 100.0 * t2i_scores.r_precision.mean().item<double>();
  b.rprec = 0.5 * (b.i2t_rprec + b.t2i_rprec);
  return b;
}

}  // namespace lethe::eval
