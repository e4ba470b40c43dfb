// The aggregation rules (aggregate.h) against hand-computed values.
#include "lethe/strategies/aggregate.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "strategies/test_util.h"

namespace lethe::strategies {
namespace {

using lethe::testing::expect_input_error;
using testing::at;
using testing::one;

// Several tensors of different ranks, as a model's update has: a vector, a matrix and a 0-dim
// scalar (the logit scale).
TensorMap model_update(double a0, double a1, double m, double s) {
  return {{"a", torch::tensor({a0, a1}, torch::kFloat)},
          {"m", torch::full({2, 3}, m, torch::kFloat)},
          {"s", torch::tensor(s, torch::kFloat)}};
}

TEST(WeightedAverage, WeighsByExamplesAndRenormalises) {
  auto r = weighted_average({one({1, 2}), one({4, 8})}, {1.0, 2.0});
  EXPECT_FLOAT_EQ(at(r, 0), 3.0);  // (1·1 + 2·4) / 3
  EXPECT_FLOAT_EQ(at(r, 1), 6.0);  // (1·2 + 2·8) / 3
  // A client with no examples carries no weight; the others renormalise.
  r = weighted_average({one({1, 2}), one({100, 100}), one({4, 8})}, {1.0, 0.0, 2.0});
  EXPECT_FLOAT_EQ(at(r, 0), 3.0);
  EXPECT_FLOAT_EQ(at(r, 1), 6.0);
  // Equal weights of any size: the plain mean.
  r = weighted_average({one({1, 2}), one({4, 8})}, {7.0, 7.0});
  EXPECT_FLOAT_EQ(at(r, 0), 2.5);
  EXPECT_FLOAT_EQ(at(r, 1), 5.0);
}

TEST(WeightedAverage, EveryTensorAndItsDtype) {
  auto r = weighted_average({model_update(1, -1, 2, 10), model_update(5, 3, -2, 0)}, {3.0, 1.0});
  EXPECT_FLOAT_EQ(at(r, 0, "a"), 2.0);   // (3 + 5) / 4
  EXPECT_FLOAT_EQ(at(r, 1, "a"), 0.0);   // (−3 + 3) / 4
  EXPECT_TRUE(torch::allclose(r.at("m"), torch::ones({2, 3})));  // (6 − 2) / 4
  EXPECT_FLOAT_EQ(r.at("s").item<float>(), 7.5f);                // 30 / 4
  EXPECT_EQ(r.at("s").dim(), 0);
  for (const auto& [name, t] : r) EXPECT_EQ(t.scalar_type(), torch::kFloat) << name;
}

TEST(CoordinateMedian, OddCountTakesTheMiddleValuePerCoordinate) {
  // Coordinate 0 takes client 2's value, coordinate 1 client 0's: the result is no client's
  // update.
  auto r = coordinate_median({one({1, 4}), one({5, -1}), one({3, 9})});
  EXPECT_FLOAT_EQ(at(r, 0), 3.0);
  EXPECT_FLOAT_EQ(at(r, 1), 4.0);
  // An outlier however large does not move it.
  r = coordinate_median({one({1, 4}), one({1e30, -1e30}), one({3, 9})});
  EXPECT_FLOAT_EQ(at(r, 0), 3.0);
  EXPECT_FLOAT_EQ(at(r, 1), 4.0);
}

TEST(CoordinateMedian, EvenCountAveragesTheTwoMiddleValues) {
  auto r = coordinate_median({one({1, -7}), one({2, 0}), one({10, 1}), one({4, -3})});
  EXPECT_FLOAT_EQ(at(r, 0), 3.0);   // sorted 1 2 4 10: (2 + 4) / 2
  EXPECT_FLOAT_EQ(at(r, 1), -1.5);  // sorted −7 −3 0 1: (−3 + 0) / 2
  r = coordinate_median({one({1}), one({6})});
  EXPECT_FLOAT_EQ(at(r, 0), 3.5);
  r = coordinate_median({one({-2.5})});
  EXPECT_FLOAT_EQ(at(r, 0), -2.5);
}

TEST(CoordinateMedian, EveryTensorShapeAndDtypeKept) {
  auto r = coordinate_median(
      {model_update(1, 9, -1, 3), model_update(2, 8, 5, 1), model_update(3, 7, 2, 2)});
  EXPECT_FLOAT_EQ(at(r, 0, "a"), 2.0);
  EXPECT_FLOAT_EQ(at(r, 1, "a"), 8.0);
  EXPECT_TRUE(torch::equal(r.at("m"), torch::full({2, 3}, 2.0f)));
  EXPECT_EQ(r.at("s").dim(), 0);
  EXPECT_FLOAT_EQ(r.at("s").item<float>(), 2.0f);
  for (const auto& [name, t] : r) EXPECT_EQ(t.scalar_type(), torch::kFloat) << name;
  // Half-way values survive a float64 update exactly.
  auto d = coordinate_median({one({1}, torch::kDouble), one({2}, torch::kDouble)});
  EXPECT_EQ(d.at("w").scalar_type(), torch::kDouble);
  EXPECT_EQ(at(d, 0), 1.5);
}

TEST(CoordinateMedian, OrderOfArrivalDoesNotMatter) {
  std::vector<TensorMap> u = {one({4, 0}), one({-1, 2}), one({7, 1}), one({0, 5}), one({2, -3})};
  const auto want = coordinate_median(u);
  std::reverse(u.begin(), u.end());
  EXPECT_TRUE(lethe::testing::identical(coordinate_median(u), want));
  EXPECT_FLOAT_EQ(at(want, 0), 2.0);
  EXPECT_FLOAT_EQ(at(want, 1), 1.0);
}

TEST(TrimmedMean, CutsTheFloorOfFractionTimesCountAtEachEnd) {
  std::vector<TensorMap> u = {one({1}), one({2}), one({3}), one({4}), one({100})};
  EXPECT_FLOAT_EQ(at(trimmed_mean(u, 0.2), 0), 3.0);    // ⌊0.2·5⌋ = 1 cut: mean(2, 3, 4)
  EXPECT_FLOAT_EQ(at(trimmed_mean(u, 0.1), 0), 22.0);   // ⌊0.5⌋ = 0 cut: plain mean 110 / 5
  EXPECT_FLOAT_EQ(at(trimmed_mean(u, 0.0), 0), 22.0);
  EXPECT_FLOAT_EQ(at(trimmed_mean(u, 0.39), 0), 3.0);   // ⌊1.95⌋ = 1
  EXPECT_FLOAT_EQ(at(trimmed_mean(u, 0.45), 0), 3.0);   // ⌊2.25⌋ = 2 cut: the median
  // Cuts both ends: a low outlier is removed as well as a high one.
  std::vector<TensorMap> both = {one({-1000}), one({2}), one({3}), one({4}), one({1000})};
  EXPECT_FLOAT_EQ(at(trimmed_mean(both, 0.2), 0), 3.0);
}

TEST(TrimmedMean, CountIsExactWhereTheProductIsWhole) {
  EXPECT_EQ(trim_count(5, 0.2), 1);
  EXPECT_EQ(trim_count(5, 0.19), 0);
  EXPECT_EQ(trim_count(10, 0.3), 3);
  EXPECT_EQ(trim_count(1, 0.49), 0);
  EXPECT_EQ(trim_count(2, 0.49), 0);
  EXPECT_EQ(trim_count(0, 0.2), 0);
  // 0.29 × 100 is 28.999999999999996 in binary floating point; a bare floor cut 28.
  EXPECT_EQ(trim_count(100, 0.29), 29);
  EXPECT_EQ(trim_count(180, 0.35), 63);
  // Never everything, even a hair under one half.
  EXPECT_EQ(trim_count(2, 0.4999999999999), 0);
  EXPECT_EQ(trim_count(3, 0.4999999999999), 1);
}

TEST(TrimmedMean, TwentyNineOfAHundredAtEachEnd) {
  // 29 zeros, 42 ones, 29 thousands. Cutting 29 at each end leaves the ones; cutting 28 would
  // keep one 0 and one 1000 and give (1000 + 42) / 44.
  std::vector<TensorMap> u;
  for (int i = 0; i < 29; ++i) u.push_back(one({0}));
  for (int i = 0; i < 42; ++i) u.push_back(one({1}));
  for (int i = 0; i < 29; ++i) u.push_back(one({1000}));
  EXPECT_FLOAT_EQ(at(trimmed_mean(u, 0.29), 0), 1.0);
}

TEST(TrimmedMean, PerCoordinateOnEveryTensor) {
  auto r = trimmed_mean({model_update(1, 50, 0, -9), model_update(2, 40, 3, 1),
                         model_update(3, 30, 6, 2), model_update(-80, 20, 9, 3)},
                        0.25);  // ⌊1⌋ cut at each end of 4: the mean of the middle two
  EXPECT_FLOAT_EQ(at(r, 0, "a"), 1.5);   // sorted −80 1 2 3
  EXPECT_FLOAT_EQ(at(r, 1, "a"), 35.0);  // sorted 20 30 40 50
  EXPECT_TRUE(torch::allclose(r.at("m"), torch::full({2, 3}, 4.5f)));
  EXPECT_FLOAT_EQ(r.at("s").item<float>(), 1.5f);
  EXPECT_EQ(r.at("s").dim(), 0);
}

TEST(TrimmedMean, RejectsFractionsOutsideTheRange) {
  expect_input_error([] { trimmed_mean({one({1}), one({2})}, 0.5); },
                     {"trim fraction 0.5", "[0, 0.5)"});
  expect_input_error([] { trimmed_mean({one({1})}, -0.1); }, {"trim fraction -0.1"});
}

TEST(RobustRules, RejectMismatchedUpdates) {
  expect_input_error([] { coordinate_median({one({1, 2}), one({1})}); }, {"update 1", "'w'"});
  expect_input_error([] { trimmed_mean({one({1}), one({2}), {{"v", torch::zeros({1})}}}, 0.0); },
                     {"update 2"});
}

TEST(BufferedAggregator, IgnoresWeights) {
  // Weighted, the median would follow client 0's 100 examples (value 1); unweighted it is 2.
  BufferedAggregator med(BufferedAggregator::Rule::kMedian, 0.0);
  med.add(0, one({1}), 100.0);
  med.add(1, one({2}), 1.0);
  med.add(2, one({7}), 1.0);
  EXPECT_EQ(med.count(), 3);
  EXPECT_FLOAT_EQ(at(med.result(), 0), 2.0);

  BufferedAggregator trim(BufferedAggregator::Rule::kTrimmedMean, 0.25);
  const std::vector<std::pair<double, double>> value_and_examples = {
      {1.0, 1000.0}, {2.0, 1.0}, {6.0, 1.0}, {9.0, 5.0}};
  for (size_t k = 0; k < value_and_examples.size(); ++k)
    trim.add(int64_t(k), one({value_and_examples[k].first}), value_and_examples[k].second);
  EXPECT_EQ(trim.count(), 4);
  EXPECT_FLOAT_EQ(at(trim.result(), 0), 4.0);  // cut 1 each end: (2 + 6) / 2
}

TEST(BufferedAggregator, ClientsWithoutExamplesAreCountedButHaveNoVote) {
  // Three empty clients return zero updates; were they counted the median would be 0.
  BufferedAggregator med(BufferedAggregator::Rule::kMedian, 0.0);
  med.add(0, one({0}), 0.0);
  med.add(1, one({3}), 10.0);
  med.add(2, one({0}), 0.0);
  med.add(3, one({5}), 10.0);
  med.add(4, one({0}), 0.0);
  EXPECT_EQ(med.count(), 5);  // the engine checks count() against the clients that answered
  EXPECT_FLOAT_EQ(at(med.result(), 0), 4.0);

  BufferedAggregator none(BufferedAggregator::Rule::kTrimmedMean, 0.2);
  none.add(0, one({0}), 0.0);
  none.add(1, one({0}), 0.0);
  expect_input_error([&] { none.result(); }, {"all 2 answering clients reported 0 examples"});
  expect_input_error([&] { none.add(2, one({1}), -1.0); }, {"client 2", "negative weight -1"});
}

}  // namespace
}  // namespace lethe::strategies
