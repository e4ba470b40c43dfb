#include "lethe/fl/fl_config.h"

#include <gtest/gtest.h>

#include "fl/test_util.h"

namespace lethe::fl {
namespace {

using lethe::testing::expect_input_error;

struct Root {
  FlConfig fl;
  template <class V>
  void visit(V& v) {
    v.section("fl", fl);
  }
};

Root parse(const std::string& toml, const std::vector<std::string>& overrides = {}) {
  auto doc = config::Document::from_string(toml, "test.toml");
  doc.apply_overrides(overrides);
  Root r;
  doc.read(r);
  doc.finish();
  return r;
}

TEST(FlConfig, DefaultsAreValid) {
  auto r = parse("");
  EXPECT_EQ(r.fl.strategy, "fedavg");
  EXPECT_EQ(r.fl.clients, 10);
  EXPECT_DOUBLE_EQ(r.fl.sketch_energy, 0.97);
  EXPECT_DOUBLE_EQ(r.fl.tau, 1e-3);
}

TEST(FlConfig, ReadsValuesAndOverrides) {
  auto r = parse("[fl]\nstrategy = \"fedadam\"\nclients = 20\nalpha = 0.5\n",
                 {"fl.clients_per_round=5", "fl.partition=dirichlet"});
  EXPECT_EQ(r.fl.strategy, "fedadam");
  EXPECT_EQ(r.fl.clients, 20);
  EXPECT_EQ(r.fl.clients_per_round, 5);
  EXPECT_EQ(r.fl.partition, "dirichlet");
  EXPECT_DOUBLE_EQ(r.fl.alpha, 0.5);
}

TEST(FlConfig, TomlRoundTrip) {
  auto r = parse("[fl]\nrounds = 7\nserver_momentum = 0.5\npartition = \"by_source\"\n");
  auto again = parse(config::to_toml(r));
  EXPECT_EQ(again.fl.rounds, 7);
  EXPECT_DOUBLE_EQ(again.fl.server_momentum, 0.5);
  EXPECT_EQ(again.fl.partition, "by_source");
}

TEST(FlConfig, BoundsNameTheKey) {
  expect_input_error([] { parse("[fl]\nrounds = 0\n"); }, {"fl.rounds", "0", "[1, "});
  expect_input_error([] { parse("[fl]\ntrim_fraction = 0.5\n"); }, {"fl.trim_fraction", "0.49"});
  expect_input_error([] { parse("[fl]\npartition = \"dirichlet2\"\n"); },
                     {"fl.partition", "dirichlet2", "did you mean 'dirichlet'"});
  expect_input_error([] { parse("[fl]\nsketch_energy = 1.5\n"); }, {"fl.sketch_energy", "1.5"});
}

TEST(FlConfig, CrossFieldChecks) {
  expect_input_error([] { parse("[fl]\nclients = 4\nclients_per_round = 5\n"); },
                     {"fl.clients_per_round", "5", "fl.clients", "4"});
  expect_input_error([] { parse("[fl]\nclients = 4\nmin_fit_clients = 6\n"); },
                     {"fl.min_fit_clients", "6"});
  expect_input_error([] { parse("[fl]\nfraction_fit = 0.0\n"); }, {"sample no client"});
  expect_input_error([] { parse("[fl]\nscreen_median_k = 0.5\n"); },
                     {"fl.screen_median_k", "0.5", "0 (off) or at least 1"});
  expect_input_error([] { parse("[fl]\nscreen_max_norm = -1\n"); }, {"fl.screen_max_norm", "-1"});
  expect_input_error([] { parse("[fl]\nfailure_rate = 0.6\nstraggler_rate = 0.5\n"); },
                     {"fl.failure_rate", "fl.straggler_rate", "more than 1"});
}

}  // namespace
}  // namespace lethe::fl
