#include "lethe/eval/auc.h"

#include "lethe/core/error.h"
#include "lethe/core/rng.h"

namespace lethe::eval {

double auroc(const torch::Tensor& scores, const torch::Tensor& labels) {
  auto s = scores.to(torch::kDouble).flatten();
  auto y = labels.to(torch::kBool).flatten();
  LETHE_CHECK(s.numel() == y.numel(), "auroc: {} scores but {} labels", s.numel(), y.numel());
  const int64_t n = s.numel(), pos = y.sum().item<int64_t>(), neg = n - pos;
  LETHE_CHECK(pos > 0 && neg > 0, "auroc needs both classes (got {} positive, {} negative)", pos, neg);
  // Average ranks (1-based) with ties sharing the mean rank.
  auto sorted = s.sort();
  auto vals = std::get<0>(sorted), idx = std::get<1>(sorted);
  auto v = vals.accessor<double, 1>();
  auto ranks = torch::empty({n}, torch::kDouble);
  auto r = ranks.accessor<double, 1>();
  auto ix = idx.accessor<int64_t, 1>();
  for (int64_t i = 0; i < n;) {
    int64_t j = i;
    while (j + 1 < n && v[j + 1] == v[i]) ++j;
    const double avg = 0.5 * double(i + j) + 1.0;
    for (int64_t k = i; k <= j; ++k) r[ix[k]] = avg;
    i = j + 1;
  }
  const double rank_sum = ranks.masked_select(y).sum().item<double>();
  return (rank_sum - double(pos) * double(pos + 1) / 2.0) / (double(pos) * double(neg));
}

double deleted_vs_remaining_auc(const torch::Tensor& forget_scores,
                                const torch::Tensor& retain_scores, int64_t chunks, uint64_t seed) {
  const int64_t nf = forget_scores.numel(), nr = retain_scores.numel();
  LETHE_CHECK(nf > 0 && nr > 0, "deleted-vs-remaining AUC needs forget and retain scores");
  const int64_t size = std::min(nf, nr);
  const int64_t k = std::max<int64_t>(1, std::min(chunks, nr / size));
  auto rng = make_engine(seed, 0, -1, Stream::kEval);
  auto perm = permutation(nr, rng);
  double total = 0;
  for (int64_t c = 0; c < k; ++c) {
    std::vector<int64_t> pick(perm.begin() + c * size, perm.begin() + (c + 1) * size);
    auto r = retain_scores.flatten().index_select(0, torch::tensor(pick, torch::kLong));
    auto f = forget_scores.flatten().slice(0, 0, size);
    auto scores = torch::cat({f.to(torch::kDouble), r.to(torch::kDouble)});
    auto labels = torch::cat({torch::zeros({size}), torch::ones({size})});
    total += auroc(scores, labels);
  }
  return total / double(k);
}

}  // namespace lethe::eval
