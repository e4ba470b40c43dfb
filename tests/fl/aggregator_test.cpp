#include "lethe/fl/aggregator.h"

#include <gtest/gtest.h>

#include "fl/test_util.h"

namespace lethe::fl {
namespace {

using lethe::testing::expect_input_error;

TensorMap one(float w, float b) {
  return {{"b", torch::tensor({b})}, {"w", torch::full({2, 2}, w)}};
}

TEST(WeightedMean, RenormalisesOverWhatWasAdded) {
  WeightedMean m;
  m.add(0, one(1, 10), 1);
  m.add(3, one(4, 40), 3);
  EXPECT_EQ(m.count(), 2);
  EXPECT_DOUBLE_EQ(m.total_weight(), 4);
  auto r = m.result();
  EXPECT_FLOAT_EQ(r.at("w")[0][0].item<float>(), (1 * 1 + 3 * 4) / 4.0f);  // 3.25
  EXPECT_FLOAT_EQ(r.at("b")[0].item<float>(), 32.5f);
  EXPECT_EQ(r.at("w").scalar_type(), torch::kFloat32);
}

TEST(WeightedMean, ZeroWeightClientsCountForNothing) {
  WeightedMean m;
  m.add(0, one(100, 100), 0);
  m.add(1, one(2, 3), 5);
  EXPECT_FLOAT_EQ(m.result().at("w")[1][1].item<float>(), 2.0f);
}

TEST(WeightedMean, Errors) {
  WeightedMean m;
  expect_input_error([&] { m.add(2, one(1, 1), -1); }, {"client 2", "negative weight"});
  WeightedMean zero;
  zero.add(0, one(1, 1), 0);
  expect_input_error([&] { zero.result(); }, {"0 examples"});
  WeightedMean layout;
  layout.add(0, one(1, 1), 1);
  expect_input_error([&] { layout.add(4, {{"b", torch::zeros({1})}, {"x", torch::zeros({2, 2})}}, 1); },
                     {"client 4", "lacks tensor 'w'"});
}

}  // namespace
}  // namespace lethe::fl
