// The strategy registry (registry.h): every name METHODS.md §1 promises, and helpful errors.
#include "lethe/strategies/registry.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "strategies/test_util.h"

namespace lethe::strategies {
namespace {

using lethe::testing::expect_input_error;

const std::vector<std::string> kAll = {"creamfl", "fedadagrad", "fedadam",      "fedavg", "fedavgm",
                                       "fedprox", "fedyogi",    "median", "trimmed_mean"};

TEST(StrategyRegistry, ListsExactlyTheNineStrategies) {
  EXPECT_EQ(strategies().names(), kAll);  // names() is sorted
  for (const auto* e : strategies().entries()) {
    EXPECT_FALSE(e->description.empty()) << e->name;
    fl::FlConfig cfg;
    cfg.strategy = e->name;
    if (e->name == "creamfl") {  // representation-level: no weight-averaging strategy object
      expect_input_error([&] { make_strategy(cfg); }, {"exchanges representations, not weights"});
      continue;
    }
    auto s = e->factory(cfg);
    ASSERT_NE(s, nullptr) << e->name;
    EXPECT_EQ(s->name(), e->name);  // checkpoints record name(); it must be the registry key
    EXPECT_EQ(make_strategy(cfg)->name(), e->name);
  }
}

TEST(StrategyRegistry, UnknownNamesGetASuggestionAndTheValidList) {
  fl::FlConfig cfg;
  cfg.strategy = "fedadm";
  expect_input_error([&] { make_strategy(cfg); },
                     {"unknown strategy 'fedadm'", "did you mean 'fedadam'?",
                      "valid: creamfl, fedadagrad, fedadam, fedavg, fedavgm, fedprox, fedyogi, median, "
                      "trimmed_mean"});
  cfg.strategy = "trimmed-mean";
  expect_input_error([&] { make_strategy(cfg); }, {"did you mean 'trimmed_mean'?"});
  cfg.strategy = "FedAvg";  // two edits in six letters: still a typo (matching is case-sensitive)
  expect_input_error([&] { make_strategy(cfg); }, {"did you mean 'fedavg'?"});
  // Nothing close: no guess, but still the list.
  cfg.strategy = "krum";
  try {
    make_strategy(cfg);
    ADD_FAILURE() << "expected an InputError";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.find("did you mean"), std::string::npos) << msg;
    EXPECT_NE(msg.find("valid: creamfl, fedadagrad"), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace lethe::strategies
