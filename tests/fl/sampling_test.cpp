#include "lethe/fl/sampling.h"

#include <gtest/gtest.h>

#include <numeric>

namespace lethe::fl {
namespace {

std::vector<int64_t> range(int64_t n) {
  std::vector<int64_t> v(n);
  std::iota(v.begin(), v.end(), 0);
  return v;
}

TEST(Sampling, SizeFromFractionOrCount) {
  EXPECT_EQ(sample_size(10, 0.3, 0, 1), 3);  // 0.3·10 is 3.0000000000000004
  EXPECT_EQ(sample_size(10, 0.25, 0, 1), 3);  // ceil(2.5)
  EXPECT_EQ(sample_size(10, 0.01, 0, 1), 1);
  EXPECT_EQ(sample_size(10, 0.1, 0, 4), 4);   // at least min_fit_clients
  EXPECT_EQ(sample_size(10, 0.5, 7, 1), 7);   // a count wins over the fraction
  EXPECT_EQ(sample_size(3, 1.0, 7, 1), 3);    // never more than available
  EXPECT_EQ(sample_size(0, 1.0, 0, 1), 0);
}

TEST(Sampling, DeterministicAscendingDistinct) {
  auto a = sample_clients(42, 3, range(100), 10);
  EXPECT_EQ(a, sample_clients(42, 3, range(100), 10));
  ASSERT_EQ(a.size(), 10u);
  EXPECT_TRUE(std::is_sorted(a.begin(), a.end()));
  EXPECT_EQ(std::adjacent_find(a.begin(), a.end()), a.end());
  EXPECT_NE(a, sample_clients(42, 4, range(100), 10));  // another round
  EXPECT_NE(a, sample_clients(43, 3, range(100), 10));  // another seed
}

TEST(Sampling, EveryClientEquallyLikely) {
  std::vector<int> hits(10, 0);
  for (int64_t round = 1; round <= 2000; ++round)
    for (int64_t c : sample_clients(5, round, range(10), 3)) ++hits[c];
  for (int h : hits) EXPECT_NEAR(h, 600, 90);  // 2000 · 3/10, ~4.5 standard deviations
}

TEST(Sampling, RemovingClientsKeepsTheOthersChoices) {
  // The rule behind retrain references: a client's key ignores who else is available.
  for (int64_t round = 1; round <= 50; ++round) {
    const auto all = sample_clients(9, round, range(20), 5);
    std::vector<int64_t> without_3;
    for (int64_t c : range(20))
      if (c != 3) without_3.push_back(c);
    const auto fewer = sample_clients(9, round, without_3, 5);
    // Every originally chosen client except 3 is chosen again; at most one newcomer.
    int64_t kept = 0;
    for (int64_t c : all)
      if (c != 3) {
        EXPECT_TRUE(std::binary_search(fewer.begin(), fewer.end(), c)) << "round " << round;
        ++kept;
      }
    EXPECT_EQ(static_cast<int64_t>(fewer.size()) - kept, std::count(all.begin(), all.end(), 3));
  }
}

TEST(Sampling, EvaluationUsesItsOwnStream) {
  EXPECT_NE(sample_clients(1, 1, range(50), 5),
            sample_clients(1, 1, range(50), 5, Stream::kEval));
}

TEST(Faults, RatesAndDeterminism) {
  int failed = 0, straggled = 0;
  for (int64_t round = 1; round <= 100; ++round)
    for (int64_t c = 0; c < 100; ++c) {
      const auto f = draw_fault(3, round, c, 0.2, 0.1);
      EXPECT_EQ(f, draw_fault(3, round, c, 0.2, 0.1));
      failed += f == Fault::kFailure;
      straggled += f == Fault::kStraggler;
    }
  EXPECT_NEAR(failed, 2000, 200);
  EXPECT_NEAR(straggled, 1000, 150);
  for (int64_t c = 0; c < 100; ++c) EXPECT_EQ(draw_fault(3, 1, c, 0.0, 0.0), Fault::kNone);
  for (int64_t c = 0; c < 100; ++c) EXPECT_EQ(draw_fault(3, 1, c, 0.0, 1.0), Fault::kStraggler);
}

}  // namespace
}  // namespace lethe::fl
