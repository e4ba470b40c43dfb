// The global–local ensemble: chunked scores equal the full |P|×|P| computation, the streamed
// softmax over clients equals the direct one, and the better-aligned client gets the weight.
#include "lethe/creamfl/ensemble.h"

#include <gtest/gtest.h>

#include <limits>

namespace lethe::creamfl {
namespace {

torch::Tensor unit(torch::Tensor t) { return t / t.norm(2, 1, true); }

// The reference: the full matrix, masked, in one go.
torch::Tensor naive_scores(const torch::Tensor& z, const torch::Tensor& g, const torch::Tensor& units) {
  auto logits = z.mm(g.t());
  const int64_t n = z.size(0);
  auto mask = (units.unsqueeze(1) == units.unsqueeze(0)) & torch::eye(n, torch::kBool).logical_not();
  auto pos = logits.diagonal();
  return pos - torch::logsumexp(logits.masked_fill(mask, -std::numeric_limits<float>::infinity()), 1);
}

struct Fixture {
  torch::Tensor g, units;
  std::vector<torch::Tensor> clients;
  Fixture() {
    torch::manual_seed(3);
    g = unit(torch::randn({37, 8}));
    units = torch::arange(37, torch::kLong).div(2, "floor");  // pairs of rows share a unit
    for (double noise : {0.1, 1.0, 3.0}) clients.push_back(unit(g + noise * torch::randn({37, 8})));
  }
};

TEST(CreamEnsemble, ChunkedScoresEqualTheFullMatrix) {
  Fixture f;
  auto want = naive_scores(f.clients[1], f.g, f.units);
  for (int64_t rows : {1, 5, 36, 37, 100})
    EXPECT_TRUE(torch::allclose(ensemble_scores(f.clients[1], f.g, f.units, rows), want, 1e-5, 1e-5))
        << rows << " rows per chunk";
}

TEST(CreamEnsemble, StreamedSoftmaxOverClientsEqualsTheDirectOne) {
  Fixture f;
  RepresentationAggregator agg(Aggregation::kEnsemble, f.g, f.units, 7);
  std::vector<torch::Tensor> scores;
  for (const auto& z : f.clients) agg.add(z), scores.push_back(naive_scores(z, f.g, f.units));
  auto w = torch::softmax(torch::stack(scores), 0);  // (K,|P|)
  auto want = (w.unsqueeze(2) * torch::stack(f.clients)).sum(0);
  EXPECT_EQ(agg.count(), 3);
  EXPECT_TRUE(torch::allclose(agg.result(), want, 1e-5, 1e-5));
  // The client closest to the server's space (least noise) carries most of the weight.
  EXPECT_GT(w[0].mean().item<double>(), w[2].mean().item<double>());
}

TEST(CreamEnsemble, AverageIsTheMeanAndEmptyIsAnError) {
  Fixture f;
  RepresentationAggregator agg(Aggregation::kAverage, f.g, f.units, 7);
  EXPECT_THROW(agg.result(), std::exception);
  for (const auto& z : f.clients) agg.add(z);
  EXPECT_TRUE(torch::allclose(agg.result(), torch::stack(f.clients).mean(0), 1e-6, 1e-6));
  EXPECT_THROW(agg.add(torch::zeros({5, 8})), std::exception);
}

TEST(CreamEnsemble, TargetAgreementIsTheMeanCosineToTheServersRepresentations) {
  Fixture f;
  EXPECT_NEAR(target_agreement(f.g * 3.0, f.g), 1.0, 1e-6);
  EXPECT_NEAR(target_agreement(-f.g, f.g), -1.0, 1e-6);
  auto half = f.g.clone();
  half.slice(0, 0, half.size(0) / 2).neg_();
  EXPECT_NEAR(target_agreement(half, f.g), double(f.g.size(0) % 2) / double(f.g.size(0)), 1e-6);
  EXPECT_THROW(target_agreement(f.g.slice(0, 1), f.g), std::exception);
}

TEST(CreamEnsemble, ChunkRowsBoundTheScoreMatrix) {
  EXPECT_EQ(chunk_rows(20000, int64_t(64) << 20), (int64_t(64) << 20) / (20000 * 4));
  EXPECT_EQ(chunk_rows(1 << 30, 1024), 1);
  EXPECT_THROW(parse_aggregation("mean"), std::exception);
}

}  // namespace
}  // namespace lethe::creamfl
