#include "lethe/eval/retrieval.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "lethe/core/error.h"

using lethe::eval::query_scores;
using lethe::eval::retrieval_recall;

namespace {
torch::Tensor query_ranks(const torch::Tensor& q, const torch::Tensor& c,
                          const std::vector<std::pair<int64_t, int64_t>>& pos, int64_t chunk = 2048) {
  return query_scores(q, c, pos, chunk).ranks;
}

torch::Tensor rows(std::vector<std::vector<float>> v) {
  auto t = torch::empty({(int64_t)v.size(), (int64_t)v[0].size()});
  for (size_t i = 0; i < v.size(); ++i)
    for (size_t j = 0; j < v[0].size(); ++j) t[i][j] = v[i][j];
  return t;
}
}  // namespace

TEST(Retrieval, RanksOnePositiveEach) {
  // Query 0 is closest to candidate 0; query 1 is closest to candidate 0 but its positive is 1.
  auto q = rows({{1, 0}, {0.9f, 0.1f}});
  auto c = rows({{1, 0}, {0, 1}, {0.7f, 0.7f}});
  auto r = query_ranks(q, c, {{0, 0}, {1, 1}});
  EXPECT_EQ(r[0].item<int64_t>(), 0);
  // For query 1: cos to c0 ≈ 0.994, c2 ≈ 0.78, c1 ≈ 0.11 → two candidates above its positive.
  EXPECT_EQ(r[1].item<int64_t>(), 2);
}

TEST(Retrieval, SeveralPositivesTakeTheBest) {
  // Image 0 has captions 0 and 2; caption 2 is its best match, so rank 0 even though caption 1
  // beats caption 0.
  auto img = rows({{1, 0}});
  auto txt = rows({{0, 1}, {0.6f, 0.8f}, {1, 0}});
  auto r = query_ranks(img, txt, {{0, 0}, {0, 2}});
  EXPECT_EQ(r[0].item<int64_t>(), 0);
  auto r2 = query_ranks(img, txt, {{0, 0}});
  EXPECT_EQ(r2[0].item<int64_t>(), 2);
}

TEST(Retrieval, TiesCountAgainstTheModel) {
  // All candidates identical: the positive ties with both negatives → rank 2.
  auto q = rows({{1, 0}});
  auto c = rows({{1, 0}, {1, 0}, {1, 0}});
  EXPECT_EQ(query_ranks(q, c, {{0, 1}})[0].item<int64_t>(), 2);
  // A tie between two positives does not hurt.
  EXPECT_EQ(query_ranks(q, rows({{1, 0}, {1, 0}, {0, 1}}), {{0, 0}, {0, 1}})[0].item<int64_t>(), 0);
}

TEST(Retrieval, RecallBlockHandComputed) {
  // Two images, four captions (two per image, Karpathy-style).
  auto img = rows({{1, 0}, {0, 1}});
  auto txt = rows({{1, 0}, {0.8f, 0.6f}, {0, 1}, {0.9f, 0.1f}});
  // Image 0 ↔ captions 0,1; image 1 ↔ captions 2,3 (caption 3 is misleading: close to image 0).
  auto b = retrieval_recall(img, txt, {{0, 0}, {0, 1}, {1, 2}, {1, 3}});
  EXPECT_EQ(b.gallery, 2);
  EXPECT_EQ(b.captions, 4);
  EXPECT_DOUBLE_EQ(b.i2t_r1, 100.0);  // both images find one of their captions first
  // t2i: captions 0,1,2 rank their image first; caption 3 ranks image 0 first → 75%.
  EXPECT_DOUBLE_EQ(b.t2i_r1, 75.0);
  EXPECT_DOUBLE_EQ(b.t2i_r5, 100.0);
  EXPECT_DOUBLE_EQ(b.r1, 87.5);
  EXPECT_DOUBLE_EQ(b.rsum, 100 + 100 + 100 + 75 + 100 + 100);
  // R-precision. i2t (R = 2): image 0 ranks captions 0 (cosine 1), 3 (0.994), 1 (0.8): its top 2
  // hold one of its two → 1/2; image 1 ranks 2 (1), then 1 (0.6): → 1/2. t2i (R = 1) is hit@1.
  EXPECT_DOUBLE_EQ(b.i2t_rprec, 50.0);
  EXPECT_DOUBLE_EQ(b.t2i_rprec, 75.0);
  EXPECT_DOUBLE_EQ(b.rprec, 62.5);
}

TEST(Retrieval, RPrecisionCountsThePositivesAmongTheTopR) {
  // One query, three positives (0, 2, 4) among six candidates, scores in the order of the
  // candidates' first coordinate.
  auto q = rows({{1, 0}});
  auto c = rows({{1.0f, 0.0f}, {0.99f, 0.14f}, {0.98f, 0.2f}, {0.9f, 0.44f}, {0.8f, 0.6f}, {0.0f, 1.0f}});
  // Ranking: 0 (pos), 1, 2 (pos), 3, 4 (pos), 5: top 3 holds 0 and 2 → 2/3.
  EXPECT_NEAR(query_scores(q, c, {{0, 0}, {0, 2}, {0, 4}}).r_precision[0].item<double>(), 2.0 / 3, 1e-12);
  // Positives 0, 1, 2 fill the top 3 → 1.
  EXPECT_DOUBLE_EQ(query_scores(q, c, {{0, 0}, {0, 1}, {0, 2}}).r_precision[0].item<double>(), 1.0);
  // A tie with a non-positive counts against the model: candidates 0 and 1 identical, so the
  // non-positive 0 goes first: the top 2 of positives {1, 2} hold 0 and 1 → 1/2.
  auto tied = rows({{1, 0}, {1, 0}, {0, 1}});
  EXPECT_DOUBLE_EQ(query_scores(q, tied, {{0, 1}, {0, 2}}).r_precision[0].item<double>(), 0.5);
  EXPECT_DOUBLE_EQ(query_scores(q, tied, {{0, 1}}).r_precision[0].item<double>(), 0.0);
  // Tied positives do not hurt each other.
  EXPECT_DOUBLE_EQ(query_scores(q, tied, {{0, 0}, {0, 1}}).r_precision[0].item<double>(), 1.0);
}

TEST(Retrieval, ChunkingDoesNotChangeRanks) {
  torch::manual_seed(0);
  auto q = torch::randn({37, 8}), c = torch::randn({23, 8});
  std::vector<std::pair<int64_t, int64_t>> pos;
  for (int64_t i = 0; i < 37; ++i) pos.emplace_back(i, i % 23);
  auto a = query_scores(q, c, pos, 4), b = query_scores(q, c, pos, 1000);
  EXPECT_TRUE(torch::equal(a.ranks, b.ranks));
  EXPECT_TRUE(torch::equal(a.r_precision, b.r_precision));
}

TEST(Retrieval, MatchesABruteForceCountWithManyAndRepeatedPositives) {
  // Queries with 1–4 positives (one listed twice), against a direct count per query.
  torch::manual_seed(1);
  auto q = torch::randn({29, 6}), c = torch::randn({41, 6});
  std::vector<std::pair<int64_t, int64_t>> pos;
  for (int64_t i = 0; i < 29; ++i)
    for (int64_t k = 0; k <= i % 4; ++k) pos.emplace_back(i, (i * 7 + k * 13) % 41);
  pos.emplace_back(3, pos[3].second);
  auto sims = torch::nn::functional::normalize(q, torch::nn::functional::NormalizeFuncOptions().dim(1))
                  .mm(torch::nn::functional::normalize(c, torch::nn::functional::NormalizeFuncOptions().dim(1)).t());
  const auto scores = query_scores(q, c, pos, 5);
  for (int64_t i = 0; i < 29; ++i) {
    std::set<int64_t> mine;
    for (const auto& [a, b] : pos)
      if (a == i) mine.insert(b);
    float best = -2;
    for (auto b : mine) best = std::max(best, sims[i][b].item<float>());
    int64_t expect = 0;
    for (int64_t j = 0; j < 41; ++j) expect += !mine.count(j) && sims[i][j].item<float>() >= best;
    EXPECT_EQ(scores.ranks[i].item<int64_t>(), expect) << "query " << i;
    // R-precision: sort the candidates by score, non-positives first among equals.
    std::vector<std::pair<float, int>> order;  // (score, positive?)
    for (int64_t j = 0; j < 41; ++j) order.emplace_back(sims[i][j].item<float>(), mine.count(j) ? 1 : 0);
    std::sort(order.begin(), order.end(), [](auto x, auto y) {
      return x.first != y.first ? x.first > y.first : x.second < y.second;
    });
    const auto r = static_cast<int64_t>(mine.size());
    int64_t top = 0;
    for (int64_t j = 0; j < r; ++j) top += order[j].second;
    EXPECT_DOUBLE_EQ(scores.r_precision[i].item<double>(), static_cast<double>(top) / r) << "query " << i;
  }
}

TEST(Retrieval, Errors) {
  auto q = rows({{1, 0}, {0, 1}});
  try {
    query_ranks(q, q, {{0, 0}});
    FAIL();
  } catch (const lethe::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("query 1 has no positive"), std::string::npos);
  }
  EXPECT_THROW(query_ranks(q, q, {{0, 5}, {1, 1}}), lethe::InputError);
}

TEST(Retrieval, MeanOverFoldsIsFieldWise) {
  lethe::eval::RecallBlock a, b;
  a.gallery = 10, a.captions = 20, a.i2t_r1 = 40, a.t2i_r1 = 20, a.r1 = 30, a.rsum = 300, a.t2i_r10 = 90;
  b.gallery = 11, b.captions = 22, b.i2t_r1 = 60, b.t2i_r1 = 40, b.r1 = 50, b.rsum = 400, b.t2i_r10 = 70;
  a.rprec = 10, b.rprec = 30;
  const auto m = lethe::eval::mean_recall({a, b});
  EXPECT_EQ(m.gallery, 11);  // 10.5 rounds half away from zero
  EXPECT_EQ(m.captions, 21);
  EXPECT_DOUBLE_EQ(m.i2t_r1, 50);
  EXPECT_DOUBLE_EQ(m.t2i_r1, 30);
  EXPECT_DOUBLE_EQ(m.r1, 40);
  EXPECT_DOUBLE_EQ(m.rsum, 350);
  EXPECT_DOUBLE_EQ(m.t2i_r10, 80);
  EXPECT_DOUBLE_EQ(m.rprec, 20);
  EXPECT_DOUBLE_EQ(lethe::eval::mean_recall({a}).r1, 30);
  EXPECT_THROW(lethe::eval::mean_recall({}), lethe::InputError);
}
