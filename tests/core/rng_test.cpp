#include "lethe/core/rng.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <set>

namespace lethe {
namespace {

TEST(Rng, SplitMix64ReferenceValues) {
  // Reference outputs of the published SplitMix64 (Vigna) for states 0 and 1.
  EXPECT_EQ(splitmix64(0), 0xe220a8397b1dcdafull);
  EXPECT_EQ(splitmix64(1), 0x910a2dec89025cc1ull);
}

TEST(Rng, StreamSeedIsDeterministic) {
  EXPECT_EQ(stream_seed(42, 3, 7, Stream::kShuffle), stream_seed(42, 3, 7, Stream::kShuffle));
  auto a = make_engine(42, 3, 7, Stream::kShuffle);
  auto b = make_engine(42, 3, 7, Stream::kShuffle);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(a(), b());
}

TEST(Rng, StreamsDifferAcrossEveryCoordinate) {
  std::set<uint64_t> seen;
  int count = 0;
  for (uint64_t seed : {0ull, 1ull, 2ull})
    for (int64_t round : {-1, 0, 1, 2})
      for (int64_t client : {-1, 0, 1, 2})
        for (Stream s : {Stream::kInit, Stream::kShuffle, Stream::kSampling, Stream::kUnlearn}) {
          seen.insert(stream_seed(seed, round, client, s));
          ++count;
        }
  EXPECT_EQ(seen.size(), static_cast<size_t>(count));
  // Swapping round and client gives another stream.
  EXPECT_NE(stream_seed(5, 1, 2, Stream::kInit), stream_seed(5, 2, 1, Stream::kInit));
}

TEST(Rng, GeneratorFollowsTheStream) {
  auto g1 = make_generator(9, 1, 2, Stream::kInit);
  auto g2 = make_generator(9, 1, 2, Stream::kInit);
  auto g3 = make_generator(9, 1, 3, Stream::kInit);
  auto a = torch::randn({16}, g1);
  auto b = torch::randn({16}, g2);
  auto c = torch::randn({16}, g3);
  EXPECT_TRUE(torch::equal(a, b));
  EXPECT_FALSE(torch::equal(a, c));
  EXPECT_EQ(g1.current_seed(), stream_seed(9, 1, 2, Stream::kInit));
}

TEST(Rng, PermutationIsAPermutation) {
  auto e = make_engine(1, 0, 0, Stream::kShuffle);
  for (int64_t n : {0, 1, 2, 5, 1000}) {
    auto p = permutation(n, e);
    ASSERT_EQ(static_cast<int64_t>(p.size()), n);
    auto sorted = p;
    std::sort(sorted.begin(), sorted.end());
    for (int64_t i = 0; i < n; ++i) EXPECT_EQ(sorted[i], i);
  }
  auto e1 = make_engine(1, 0, 0, Stream::kShuffle);
  auto e2 = make_engine(1, 0, 0, Stream::kShuffle);
  auto p1 = permutation(1000, e1);
  EXPECT_EQ(p1, permutation(1000, e2));
  std::vector<int64_t> identity(1000);
  std::iota(identity.begin(), identity.end(), 0);
  EXPECT_NE(p1, identity);
}

TEST(Rng, PermutationMovesEveryPositionUniformly) {
  // Each of the 6 orderings of 3 items appears about 1/6 of the time.
  auto e = make_engine(3, 0, 0, Stream::kShuffle);
  std::map<std::vector<int64_t>, int> counts;
  const int trials = 6000;
  for (int i = 0; i < trials; ++i) counts[permutation(3, e)]++;
  ASSERT_EQ(counts.size(), 6u);
  for (const auto& [perm, c] : counts) EXPECT_NEAR(c, trials / 6, 150);  // ~5 sigma
}

TEST(Rng, UniformIndexBoundsAndBalance) {
  auto e = make_engine(7, 0, 0, Stream::kSampling);
  EXPECT_EQ(uniform_index(1, e), 0u);
  std::vector<int> counts(10);
  const int trials = 20000;
  for (int i = 0; i < trials; ++i) {
    uint64_t v = uniform_index(10, e);
    ASSERT_LT(v, 10u);
    counts[v]++;
  }
  for (int c : counts) EXPECT_NEAR(c, trials / 10, 200);  // ~5 sigma
  // Near 2^64 most draws are rejected; results must still be in range.
  const uint64_t huge = (1ull << 63) + 12345;
  for (int i = 0; i < 100; ++i) EXPECT_LT(uniform_index(huge, e), huge);
}

TEST(Rng, UniformIndexRejectsZero) {
  auto e = make_engine(7, 0, 0, Stream::kSampling);
  EXPECT_THROW(uniform_index(0, e), std::logic_error);
}

TEST(Rng, Uniform01InUnitIntervalWithMeanOneHalf) {
  auto e = make_engine(11, 0, 0, Stream::kNoise);
  double sum = 0;
  const int trials = 20000;
  for (int i = 0; i < trials; ++i) {
    double u = uniform01(e);
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
  }
  EXPECT_NEAR(sum / trials, 0.5, 0.01);  // sd of the mean ≈ 0.002
}

}  // namespace
}  // namespace lethe
