#include "lethe/fl/screening.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace lethe::fl {
namespace {

FitRes result(float fill, double loss = 0.5) {
  FitRes r;
  r.update = {{"bias", torch::full({3}, fill)}, {"weight", torch::full({2, 2}, fill)}};
  r.loss = loss;
  return r;
}

TEST(Screening, NonFiniteValuesNameTheTensorAndTheLoss) {
  EXPECT_EQ(nonfinite_result(result(1)), "");
  auto r = result(1);
  r.update.at("weight")[1][0] = std::nanf("");
  EXPECT_EQ(nonfinite_result(r), "tensor 'weight' has 1 non-finite value (NaN or ±Inf) of 4");
  EXPECT_EQ(nonfinite_result(result(std::numeric_limits<float>::infinity())),
            "tensor 'bias' has 3 non-finite values (NaN or ±Inf) of 3");
  EXPECT_EQ(nonfinite_result(result(1, std::nan(""))), "reported loss is nan");
}

TEST(Screening, AbsoluteBoundOnTheNorm) {
  double norm = -1;
  // ‖Δ‖ over all 7 entries of 2: √28.
  EXPECT_EQ(screen_result(result(2), {0.0, 0.0}, norm), "");
  EXPECT_DOUBLE_EQ(norm, std::sqrt(28.0));
  EXPECT_EQ(screen_result(result(2), {6.0, 0.0}, norm), "");
  EXPECT_EQ(screen_result(result(2), {5.0, 0.0}, norm), "update norm 5.292 exceeds fl.screen_max_norm = 5");
  // The absurd update: every entry 1e30, finite, and far over the default bound.
  EXPECT_EQ(screen_result(result(1e30f), {1e6, 0.0}, norm),
            "update norm 2.646e+30 exceeds fl.screen_max_norm = 1e+06");
  // Values are checked first: a NaN update is refused for its values, whatever the bound.
  EXPECT_EQ(screen_result(result(std::nanf("")), {0.0, 0.0}, norm),
            "tensor 'bias' has 3 non-finite values (NaN or ±Inf) of 3");
}

TEST(Screening, MedianBound) {
  EXPECT_EQ(median({}), 0.0);
  EXPECT_EQ(median({3, 1, 2}), 2.0);
  EXPECT_EQ(median({4, 1, 3, 2}), 2.5);
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(median_bound({1, 2, 3}, 0.0), inf);        // off
  EXPECT_EQ(median_bound({1, 1e30}, 10.0), inf);       // two updates: no majority to trust
  EXPECT_EQ(median_bound({1, 1e30, 2}, 10.0), 20.0);   // one outlier of three
  EXPECT_EQ(median_bound({1, 1e30, 2, 3}, 5.0), 12.5);
}

}  // namespace
}  // namespace lethe::fl
