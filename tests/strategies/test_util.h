#pragma once
// Helpers shared by the strategies tests: one-tensor maps, a round driven by hand, and the
// scalar re-derivation of the server optimisers (METHODS.md §1; Reddi et al. 2021, Algorithm 2)
// that the tensor code is checked against.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "common/test_util.h"
#include "lethe/fl/server_state.h"
#include "lethe/fl/strategy.h"
#include "lethe/strategies/registry.h"
#include "lethe/strategies/server_optimizer.h"

namespace lethe::strategies::testing {

// {"w": v} in `dtype`.
inline TensorMap one(std::vector<double> v, torch::ScalarType dtype = torch::kFloat) {
  return {{"w", torch::tensor(v, torch::kDouble).to(dtype)}};
}
inline double at(const TensorMap& m, int64_t i, const std::string& name = "w") {
  return m.at(name)[i].item<double>();
}

// One round of `s` from `global`: its own aggregator fed (update, n_k) in ascending client id,
// as the engine does.
inline TensorMap run_round(fl::Strategy& s, int64_t t, const TensorMap& global,
                           const std::vector<std::pair<TensorMap, double>>& updates) {
  auto agg = s.make_aggregator(t);
  for (size_t k = 0; k < updates.size(); ++k)
    agg->add(static_cast<int64_t>(k), updates[k].first, updates[k].second);
  return s.aggregate_fit(t, global, *agg);
}

// The server optimisers on one coordinate, written out from the equations.
struct Scalar {
  double theta = 0, m = 0, v = 0;
};
inline Scalar adaptive_reference(Adaptivity kind, double theta0, const std::vector<double>& deltas,
                                 const AdaptiveParams& p) {
  Scalar s{theta0, 0.0, p.tau * p.tau};  // m₋₁ = 0, v₋₁ = τ²
  for (double d : deltas) {
    s.m = p.beta1 * s.m + (1 - p.beta1) * d;
    const double d2 = d * d;
    const double sign = s.v - d2 > 0 ? 1.0 : (s.v - d2 < 0 ? -1.0 : 0.0);
    switch (kind) {
      case Adaptivity::kAdam: s.v = p.beta2 * s.v + (1 - p.beta2) * d2; break;
      case Adaptivity::kYogi: s.v = s.v - (1 - p.beta2) * d2 * sign; break;
      case Adaptivity::kAdagrad: s.v = s.v + d2; break;
    }
    s.theta += p.lr * s.m / (std::sqrt(s.v) + p.tau);
  }
  return s;
}

inline const char* kind_name(Adaptivity kind) {
  switch (kind) {
    case Adaptivity::kAdam: return "adam";
    case Adaptivity::kYogi: return "yogi";
    case Adaptivity::kAdagrad: return "adagrad";
  }
  return "?";
}

// Resuming `cfg.strategy` from a checkpoint is exact: two rounds, the server state saved to disk
// (fl::CheckpointStore, as the engine does), round 3 run both by the uninterrupted strategy and
// by a new one restored from the file; the models and the server state must be bit-identical,
// and a new strategy without the state must disagree (the state matters).
inline void expect_exact_resume(fl::FlConfig cfg, const std::string& dir) {
  SCOPED_TRACE(cfg.strategy);
  auto params = [](double a, double b, double c) {
    return TensorMap{{"blk.w", torch::tensor({a, b, c}, torch::kDouble).to(torch::kFloat)},
                     {"s", torch::tensor(c - a, torch::kFloat)}};
  };
  const std::vector<std::vector<std::pair<TensorMap, double>>> rounds = {
      {{params(0.5, -0.1, 0.02), 3.0}, {params(0.1, 0.3, -0.4), 1.0}},
      {{params(-0.2, 0.05, 0.3), 2.0}, {params(0.4, -0.3, 0.1), 2.0}},
      {{params(0.05, 0.2, -0.1), 1.0}, {params(-0.3, 0.1, 0.2), 5.0}}};
  auto whole = make_strategy(cfg);
  auto theta = params(1.0, -1.0, 0.5);
  for (int64_t t = 1; t <= 2; ++t) theta = run_round(*whole, t, theta, rounds[size_t(t - 1)]);
  const auto snapshot = whole->state();
  ASSERT_FALSE(snapshot.empty());

  fl::CheckpointStore store(dir, 0);
  fl::ServerState st;
  st.round = 2;
  st.num_clients = 2;
  st.global = theta;
  st.strategy_name = cfg.strategy;
  st.strategy = snapshot;
  store.save(st);
  const auto want = run_round(*whole, 3, theta, rounds[2]);
  // state() was a copy: round 3 moved the strategy's state but not the snapshot.
  EXPECT_FALSE(lethe::testing::identical(whole->state().tensors, snapshot.tensors));

  const auto loaded = store.load(2);
  EXPECT_TRUE(lethe::testing::identical(loaded.strategy.tensors, snapshot.tensors));
  auto resumed = make_strategy(cfg);
  resumed->load_state(loaded.strategy);
  EXPECT_TRUE(lethe::testing::identical(run_round(*resumed, 3, loaded.global, rounds[2]), want));
  EXPECT_TRUE(lethe::testing::identical(resumed->state().tensors, whole->state().tensors));
  // load_state copied: the resumed round did not write through into the loaded blob.
  EXPECT_TRUE(lethe::testing::identical(loaded.strategy.tensors, snapshot.tensors));

  auto fresh = make_strategy(cfg);
  EXPECT_FALSE(lethe::testing::identical(run_round(*fresh, 3, theta, rounds[2]), want));
}

}  // namespace lethe::strategies::testing
