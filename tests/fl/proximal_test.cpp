// FedProx's proximal term as a local rule (proximal.h): its gradient, and its place before the
// server's terms and filters in what a client applies.
#include "lethe/fl/proximal.h"

#include <gtest/gtest.h>

#include <vector>

namespace lethe::fl {
namespace {

TEST(Proximal, AddsMuTimesTheDistanceToTheGlobalWeightsForTheNamesItKnows) {
  const TensorMap global{{"w", torch::tensor({1.0, 2.0}, torch::kFloat64)}};
  const TensorMap params{{"w", torch::tensor({3.0, -2.0}, torch::kFloat64)},
                         {"local_only", torch::tensor({5.0}, torch::kFloat64)}};
  TensorMap grads{{"w", torch::tensor({0.5, 0.5}, torch::kFloat64)},
                  {"local_only", torch::tensor({1.0}, torch::kFloat64)}};
  proximal_term(0.25, global)(0, params, grads);
  EXPECT_TRUE(torch::allclose(grads.at("w"), torch::tensor({0.5 + 0.25 * 2.0, 0.5 - 0.25 * 4.0}, torch::kFloat64)));
  EXPECT_EQ(grads.at("local_only").item<double>(), 1.0);  // a name θ^t lacks is left alone
}

TEST(Proximal, ComesBeforeTheServersTermsAndFiltersAndOnlyWhenAskedFor) {
  const TensorMap global{{"w", torch::zeros({1}, torch::kFloat64)}};
  std::vector<double> seen_by_term, seen_by_filter;
  LocalRules server{.gradient_terms = {[&](int64_t, const TensorMap&, TensorMap& g) {
                      seen_by_term.push_back(g.at("w").item<double>());
                      g.at("w").add_(10.0);
                    }},
                    .gradient_filters = {[&](int64_t, TensorMap& g) { seen_by_filter.push_back(g.at("w").item<double>()); }}};
  const TensorMap params{{"w", torch::ones({1}, torch::kFloat64)}};
  auto run = [&](double mu) {
    FitIns ins{.global = global, .round = 1, .seed = 0, .config = {.proximal_mu = mu}, .local = server};
    TensorMap grads{{"w", torch::zeros({1}, torch::kFloat64)}};
    client_rules(ins).apply(0, params, grads);
    return grads.at("w").item<double>();
  };
  EXPECT_DOUBLE_EQ(run(0.0), 10.0);
  EXPECT_DOUBLE_EQ(run(0.5), 10.5);
  EXPECT_EQ(seen_by_term, (std::vector<double>{0.0, 0.5}));  // FedProx's gradient first
  EXPECT_EQ(seen_by_filter, (std::vector<double>{10.0, 10.5}));

  const LocalRules none;
  FitIns plain{.global = global, .round = 1, .seed = 0, .config = {}, .local = none};
  EXPECT_TRUE(client_rules(plain).empty());
}

}  // namespace
}  // namespace lethe::fl
